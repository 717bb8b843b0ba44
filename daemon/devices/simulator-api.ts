/**
 * The simulator controls, typed: what the simulator panel (daemon/http/simulator.ts) does over HTTP
 * and what tests do directly. Everything goes through the device simulators, so the daemon sees it
 * through the real drivers and their real bytes: a tag placed here is read by the RFID driver's
 * continuous inventory, a scan arrives as HID POS reports, a receipt is what the printer simulator
 * decoded from the ESC/POS stream.
 *
 *  - pad: placeItem(barcode) — a programmed library tag (ISO 28560-3 by default) with the site's
 *    owner ISIL and AFI; a unit of a kit carries its set information, part n of m, as the backend's
 *    parts list says; placeKit(code or a unit's barcode, parts?) — the kit's units at once (or some);
 *    placeCard(patron card number or RFID UID); removeTag, removeItem, clearPad, listPad;
 *  - scanner: scan(code);
 *  - printer: receipts() as text and SVG, paper out/in, cover open/closed, drawer state and closing it;
 *  - tablet: sign(), confirm(), cancel(), clear(), next(), and a test capture to try the tablet alone;
 *  - locker: the doors of the simulated lock boards with their open/locked state; close a door (a
 *    patron shuts it), force one open (no unlock: the driver reports it `forced`), jam one (the next
 *    unlock releases nothing), silence a board, corrupt the next reply;
 *  - any simulated device: unplug(id), replug(id). A replugged device is not announced to the
 *    manager: it notices by its own retries, as with real hardware.
 *
 * Controls of a device that is not simulated fail with `SimulatorError` 'not_simulated'.
 */
import { TypedEmitter, type DeviceStatus } from '../../drivers/device.ts';
import type { PrinterSimulatorState } from '../../drivers/printer/escpos.simulator.ts';
import type { SimulatedBoardView, SimulatedDoorView } from '../../drivers/locker/kerong-cu.simulator.ts';
import type { CaptureResult, SignatureTablet } from '../../drivers/signature/index.ts';
import type { SimTag, SimTagSpec } from '../../drivers/rfid/pad.simulator.ts';
import { libraryTag } from '../../drivers/rfid/pad.simulator.ts';
import type { ScanSymbology } from '../../protocols/hid-pos/index.ts';
import type { CatalogueKit, ItemLookup, SimItemInfo, SimulatorCatalogue } from './catalogue.ts';
import { catalogueItemLookup } from './catalogue.ts';
import type {
  DeviceManager,
  LockerSimulatorHandle,
  ManagedDeviceStatus,
  PrinterSimulatorHandle,
  RfidSimulatorHandle,
  ScannerSimulatorHandle,
  SignatureSimulatorHandle,
  SimulatorHandle,
} from './manager.ts';

export type SimulatorErrorCode = 'no_device' | 'not_simulated' | 'not_found' | 'bad_request' | 'unplugged' | 'no_capture' | 'busy';

export class SimulatorError extends Error {
  constructor(
    readonly code: SimulatorErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SimulatorError';
  }
}

/** A tag on the simulated pad, as the panel shows it. */
export interface PadTagView {
  uid: string;
  kind: 'item' | 'card' | 'tag';
  /** Item barcode or patron card number (null for a card known only by its UID, or a foreign tag). */
  barcode: string | null;
  title: string | null;
  label: string;
  /** Set information written to the tag (kits). */
  part: { partNumber: number; partsInSet: number } | null;
  kit: string | null;
  /** From the tag's AFI/EAS against the site's pair; null when neither value matches. */
  secured: boolean | null;
}

export interface PadOptions {
  /** RFID device id; default the first simulated pad. */
  pad?: string;
}

export interface PlaceOptions extends PadOptions {
  /** Security state of the tag; default: secured unless the item is on loan. */
  secured?: boolean;
}

export interface ReceiptView {
  index: number;
  text: string;
  svg: string;
}

export interface TabletPageView {
  index: number;
  count: number;
  signing: boolean;
}

export interface CaptureView {
  running: boolean;
  /** The last test capture's outcome. */
  result:
    | { status: 'signed'; pointCount: number; svg: string; pagesShown: number }
    | { status: 'cancelled' | 'timeout'; pagesShown: number }
    | { status: 'error'; message: string }
    | null;
}

export interface TabletStateView {
  id: string;
  model: 'wacom-stu' | 'signotec';
  plugged: boolean;
  /** The page the tablet shows in a capture, as far as the simulator saw it. */
  page: TabletPageView | null;
  capture: CaptureView;
}

export interface PrinterStateView {
  id: string;
  device: DeviceStatus | null;
  simulator: PrinterSimulatorState;
  receipts: number;
}

export interface LockerStateView {
  id: string;
  plugged: boolean;
  device: DeviceStatus | null;
  boards: SimulatedBoardView[];
  doors: SimulatedDoorView[];
}

export interface LockerDoorOptions {
  /** Locker device id; default the first simulated locker. */
  locker?: string;
}

export interface SimulatorDeviceView {
  id: string;
  kind: SimulatorHandle['kind'];
  model: string;
  plugged: boolean;
}

/** Everything the panel shows, in one read. */
export interface SimulatorState {
  devices: ManagedDeviceStatus[];
  simulators: SimulatorDeviceView[];
  pads: Array<{ id: string; plugged: boolean; tags: PadTagView[] }>;
  printers: PrinterStateView[];
  tablets: TabletStateView[];
  lockers: LockerStateView[];
}

export type SimulatorTopic = 'devices' | 'pad' | 'printer' | 'tablet' | 'locker';

export interface SimulatorApiEvents {
  /** Something the panel shows changed; it re-reads `state()`. */
  changed: [SimulatorTopic];
}

export interface SimulatorApiOptions {
  manager: DeviceManager;
  /** The demo catalogue (kits by code, patrons with their RFID cards). */
  catalogue?: SimulatorCatalogue;
  /** Item data for tagging; default from the catalogue. In the daemon: `backendItemLookup(backend)`. */
  lookupItem?: ItemLookup;
  /** Owner library ISIL written to item tags (config `site.isil`). */
  ownerIsil?: string;
  /** How long sign() waits for the tablet to turn a page. Default 5 s. */
  pageTimeoutMs?: number;
}

interface TagMeta {
  kind: 'item' | 'card';
  barcode: string | null;
  title: string | null;
  part: { partNumber: number; partsInSet: number } | null;
  kit: string | null;
}

const UID_PATTERN = /^[0-9A-F]{16}$/i;

/** ISO 28560-3 type of usage (main qualifier) of a patron card; ISO 28560-2 byte 0x80. */
const PATRON_CARD_USAGE_3 = 8;
const PATRON_CARD_USAGE_2 = 0x80;

/** What the test capture shows (a membership form, as COBISS libraries use the tablet for). */
const TEST_PAGES = [
  'Simulator test capture',
  'Member: %name%',
  'Card: %card%',
  '<page>',
  'I confirm that the data above is correct and I accept the rules of the library.',
].join('\n');

export class SimulatorApi extends TypedEmitter<SimulatorApiEvents> {
  readonly #manager: DeviceManager;
  readonly #catalogue: SimulatorCatalogue | undefined;
  readonly #lookup: ItemLookup | undefined;
  readonly #ownerIsil: string | undefined;
  readonly #pageTimeoutMs: number;
  /** What we know about the tags we placed, by pad id and UID. */
  readonly #meta = new Map<string, Map<string, TagMeta>>();
  readonly #pages = new Map<string, TabletPageView | null>();
  readonly #captures = new Map<string, CaptureView>();
  readonly #receiptOffset = new Map<string, number>();
  readonly #tracked = new Set<string>();
  readonly #untrack: Array<() => void> = [];
  #managerTracked = false;

  readonly printer: PrinterControls;
  readonly tablet: TabletControls;
  readonly locker: LockerControls;

  constructor(options: SimulatorApiOptions) {
    super();
    this.#manager = options.manager;
    this.#catalogue = options.catalogue;
    this.#lookup = options.lookupItem ?? (options.catalogue ? catalogueItemLookup(options.catalogue) : undefined);
    this.#ownerIsil = options.ownerIsil;
    this.#pageTimeoutMs = options.pageTimeoutMs ?? 5000;
    this.printer = new PrinterControls(this);
    this.tablet = new TabletControls(this);
    this.locker = new LockerControls(this);
    this.track();
  }

  get manager(): DeviceManager {
    return this.#manager;
  }

  get catalogue(): SimulatorCatalogue | undefined {
    return this.#catalogue;
  }

  /** Stops listening to the devices. */
  dispose(): void {
    for (const off of this.#untrack.splice(0)) off();
    this.#tracked.clear();
    this.#managerTracked = false;
    this.removeAllListeners();
  }

  // ------------------------------------------------------------------------------------------ pad

  /** Puts an item's tag on the pad (a kit unit with its part n of m). Returns the tag (the one already there if it is). */
  async placeItem(barcode: string, options: PlaceOptions = {}): Promise<PadTagView> {
    const code = barcode.trim();
    if (!code) throw new SimulatorError('bad_request', 'no barcode given');
    const pad = this.#pad(options.pad);
    const already = this.#findTag(pad, (m) => m.kind === 'item' && m.barcode === code);
    if (already) return already;
    const info = await this.#lookupItem(code);
    const [uid] = pad.pad.placeTags([this.#itemSpec(pad, code, info, options.secured)]);
    if (uid === undefined) throw new SimulatorError('bad_request', 'the pad did not take the tag');
    this.#remember(pad, uid, this.#itemMeta(code, info));
    return this.#view(pad, uid);
  }

  /**
   * Puts a kit's units on the pad at once (a stack placed): the kit by code (K001) or by the barcode
   * of any of its units; `parts` (1-based part numbers) places only those, to leave a part missing.
   */
  async placeKit(codeOrBarcode: string, parts?: readonly number[], options: PlaceOptions = {}): Promise<PadTagView[]> {
    const pad = this.#pad(options.pad);
    const kit = await this.#resolveKit(codeOrBarcode.trim());
    const wanted = parts ? [...new Set(parts)] : kit.units.map((u) => u.partNumber);
    for (const n of wanted) {
      if (!kit.units.some((u) => u.partNumber === n)) {
        throw new SimulatorError('bad_request', `kit ${kit.code} has parts 1–${kit.units.length}; there is no part ${n}`);
      }
    }
    const placed: string[] = [];
    const specs: SimTagSpec[] = [];
    const metas: TagMeta[] = [];
    for (const unit of kit.units.filter((u) => wanted.includes(u.partNumber))) {
      const existing = this.#findTag(pad, (m) => m.kind === 'item' && m.barcode === unit.barcode);
      if (existing) {
        placed.push(existing.uid);
        continue;
      }
      specs.push(this.#itemSpec(pad, unit.barcode, unit.info, options.secured));
      metas.push(this.#itemMeta(unit.barcode, unit.info));
    }
    const uids = specs.length > 0 ? pad.pad.placeTags(specs) : [];
    uids.forEach((uid, k) => {
      const meta = metas[k];
      if (meta) this.#remember(pad, uid, meta);
    });
    return [...placed, ...uids].map((uid) => this.#view(pad, uid));
  }

  /**
   * Puts a patron's card on the pad: by card number or by the RFID card's UID (16 hex digits). A
   * patron whose record has an RFID UID among its alternative ids gets that card (a tag known by its
   * UID, no data: the daemon identifies the patron by the UID); otherwise the card is an ISO 28560
   * patron card (type of usage 8) carrying the card number.
   */
  async placeCard(identifier: string, options: PadOptions = {}): Promise<PadTagView> {
    const id = identifier.trim();
    if (!id) throw new SimulatorError('bad_request', 'no card number or UID given');
    const pad = this.#pad(options.pad);
    const patron = this.#catalogue?.patrons.find((p) => p.barcode === id || p.altIds.some((a) => a.toUpperCase() === id.toUpperCase()));
    const uid = UID_PATTERN.test(id) ? id.toUpperCase() : patron?.altIds.find((a) => UID_PATTERN.test(a))?.toUpperCase();
    const label = patron ? `card ${patron.barcode} (${patron.name})` : `card ${id}`;
    const existing = uid !== undefined ? (pad.pad.getTag(uid) ? this.#view(pad, uid) : undefined) : this.#findTag(pad, (m) => m.kind === 'card' && m.barcode === id);
    if (existing) return existing;
    let spec: SimTagSpec;
    if (uid !== undefined) {
      spec = { uid, afi: 0, eas: false, label };
    } else {
      const model = pad.tagModel === 'iso28560-2' ? 'iso28560-2' : 'iso28560-3';
      spec = libraryTag({
        barcode: id,
        model,
        typeOfUsage: model === 'iso28560-2' ? PATRON_CARD_USAGE_2 : PATRON_CARD_USAGE_3,
        secured: false,
        afiPair: pad.afiPair,
        label,
        ...(this.#ownerIsil !== undefined ? { ownerIsil: this.#ownerIsil } : {}),
      });
      // A card is no library item: it has no gate security.
      spec.afi = 0;
      spec.eas = false;
    }
    const placedUid = pad.pad.placeTag(spec);
    this.#remember(pad, placedUid, { kind: 'card', barcode: patron?.barcode ?? (uid === undefined ? id : null), title: patron?.name ?? null, part: null, kit: null });
    return this.#view(pad, placedUid);
  }

  /** Takes one tag off the pad. */
  removeTag(uid: string, options: PadOptions = {}): boolean {
    const pad = this.#pad(options.pad);
    const gone = pad.pad.removeTag(uid);
    this.#meta.get(pad.id)?.delete(uid.toUpperCase());
    return gone;
  }

  /** Takes an item (every tag with this barcode), a card (by number or UID) or a whole kit (by code) off the pad. Returns how many tags. */
  removeItem(barcodeOrCode: string, options: PadOptions = {}): number {
    const pad = this.#pad(options.pad);
    const key = barcodeOrCode.trim();
    const meta = this.#meta.get(pad.id);
    const uids = pad.pad
      .listTags()
      .filter((t) => {
        if (t.uid === key.toUpperCase()) return true;
        const m = meta?.get(t.uid);
        return m !== undefined && (m.barcode === key || (m.kit !== null && m.kit.toUpperCase() === key.toUpperCase()));
      })
      .map((t) => t.uid);
    for (const uid of uids) this.removeTag(uid, options);
    return uids.length;
  }

  clearPad(options: PadOptions = {}): void {
    const pad = this.#pad(options.pad);
    pad.pad.clear();
    this.#meta.get(pad.id)?.clear();
  }

  listPad(options: PadOptions = {}): PadTagView[] {
    const pad = this.#pad(options.pad);
    return pad.pad.listTags().map((t) => this.#viewOf(pad, t));
  }

  // -------------------------------------------------------------------------------------- scanner

  /** Scans a code on the scanner (default the first simulated one); Code 128 unless told. */
  async scan(code: string, options: { scanner?: string; symbology?: ScanSymbology } = {}): Promise<void> {
    if (!code) throw new SimulatorError('bad_request', 'no code given');
    const sim = this.#sim('scanner', options.scanner) as ScannerSimulatorHandle;
    if (!sim.plugged) throw new SimulatorError('unplugged', `scanner ${sim.id} is unplugged`);
    await sim.scan(code, options.symbology ?? 'code128');
  }

  // ------------------------------------------------------------------------------------- plugging

  /** Pulls the cable of a simulated device (rfid, scanner, printer, tablet). */
  unplug(deviceId: string): void {
    this.#plugTarget(deviceId).unplug();
    this.emit('changed', 'devices');
  }

  /** Plugs it back in; the device manager reconnects it on its next retry. */
  async replug(deviceId: string): Promise<void> {
    await this.#plugTarget(deviceId).replug();
    this.emit('changed', 'devices');
  }

  devices(): ManagedDeviceStatus[] {
    return this.#manager.list();
  }

  state(): SimulatorState {
    this.track();
    const sims = [...this.#manager.simulators.values()];
    return {
      devices: this.#manager.list(),
      simulators: sims.map((s) => ({ id: s.id, kind: s.kind, model: s.model, plugged: s.plugged })),
      pads: sims
        .filter((s): s is RfidSimulatorHandle => s.kind === 'rfid')
        .map((s) => ({ id: s.id, plugged: s.plugged, tags: this.listPad({ pad: s.id }) })),
      printers: sims.filter((s): s is PrinterSimulatorHandle => s.kind === 'printer').map((s) => this.printer.state(s.id)),
      tablets: sims.filter((s): s is SignatureSimulatorHandle => s.kind === 'signature').map((s) => this.tablet.state(s.id)),
      lockers: sims.filter((s): s is LockerSimulatorHandle => s.kind === 'locker').map((s) => this.locker.state(s.id)),
    };
  }

  /**
   * Listens to the devices so `changed` fires (the panel's live view). Called on construction and
   * again by `state()`, so devices the manager built after this API was made are picked up.
   */
  track(): void {
    if (!this.#managerTracked) {
      this.#managerTracked = true;
      const onState = (): void => void this.emit('changed', 'devices');
      this.#manager.on('device.state', onState);
      this.#untrack.push(() => this.#manager.off('device.state', onState));
    }
    for (const sim of this.#manager.simulators.values()) {
      if (this.#tracked.has(sim.id)) continue;
      this.#tracked.add(sim.id);
      if (sim.kind === 'rfid') {
        const on = (): void => void this.emit('changed', 'pad');
        sim.pad.on('tags.changed', on);
        sim.pad.on('unplugged', on);
        sim.pad.on('plugged', on);
        this.#untrack.push(() => {
          sim.pad.off('tags.changed', on);
          sim.pad.off('unplugged', on);
          sim.pad.off('plugged', on);
        });
      } else if (sim.kind === 'printer') {
        const on = (): void => void this.emit('changed', 'printer');
        sim.printer.on('changed', on);
        sim.printer.on('printed', on);
        this.#untrack.push(() => {
          sim.printer.off('changed', on);
          sim.printer.off('printed', on);
        });
      } else if (sim.kind === 'locker') {
        const on = (): void => void this.emit('changed', 'locker');
        sim.boards.on('changed', on);
        // The driver's view (a door seen opening or closing) is what the panel's device line shows.
        const driver = this.#manager.locker(sim.id);
        driver?.on('door.opened', on);
        driver?.on('door.closed', on);
        this.#untrack.push(() => {
          sim.boards.off('changed', on);
          driver?.off('door.opened', on);
          driver?.off('door.closed', on);
        });
      } else if (sim.kind === 'signature') {
        const driver = this.#manager.signature(sim.id);
        if (!driver) continue;
        const onPage = (page: TabletPageView): void => {
          this.#pages.set(sim.id, { ...page });
          this.emit('changed', 'tablet');
        };
        driver.on('signature.page', onPage);
        this.#untrack.push(() => driver.off('signature.page', onPage));
      }
    }
  }

  // ------------------------------------------------------------------------------------ internals

  /** @internal */
  sim<K extends SimulatorHandle['kind']>(kind: K, id?: string): Extract<SimulatorHandle, { kind: K }> {
    return this.#sim(kind, id);
  }

  /** @internal */
  notify(topic: SimulatorTopic): void {
    this.emit('changed', topic);
  }

  /** @internal */
  pages(): Map<string, TabletPageView | null> {
    return this.#pages;
  }

  /** @internal */
  captures(): Map<string, CaptureView> {
    return this.#captures;
  }

  /** @internal */
  receiptOffsets(): Map<string, number> {
    return this.#receiptOffset;
  }

  /** @internal */
  get pageTimeoutMs(): number {
    return this.#pageTimeoutMs;
  }

  #sim<K extends SimulatorHandle['kind']>(kind: K, id?: string): Extract<SimulatorHandle, { kind: K }> {
    this.track();
    if (id !== undefined) {
      const config = this.#manager.config(id);
      if (!config || config.kind !== kind) throw new SimulatorError('no_device', `there is no ${kind} device "${id}"`);
      const sim = this.#manager.simulators.get(id);
      if (!sim || sim.kind !== kind) throw new SimulatorError('not_simulated', `${kind} "${id}" is a real device, not a simulator`);
      return sim as Extract<SimulatorHandle, { kind: K }>;
    }
    const sim = this.#manager.simulator(kind);
    if (!sim) {
      const any = this.#manager.configs().some((c) => c.kind === kind);
      throw new SimulatorError(any ? 'not_simulated' : 'no_device', any ? `no ${kind} device is simulated` : `no ${kind} device is configured`);
    }
    return sim as Extract<SimulatorHandle, { kind: K }>;
  }

  #pad(id?: string): RfidSimulatorHandle {
    return this.#sim('rfid', id);
  }

  #plugTarget(deviceId: string): SimulatorHandle {
    if (deviceId.endsWith('.drawer')) {
      throw new SimulatorError('bad_request', 'the cash drawer hangs on its printer: unplug the printer');
    }
    const sim = this.#manager.simulators.get(deviceId);
    if (sim) return sim;
    throw this.#manager.config(deviceId)
      ? new SimulatorError('not_simulated', `${deviceId} is a real device, not a simulator`)
      : new SimulatorError('no_device', `there is no device "${deviceId}"`);
  }

  async #lookupItem(barcode: string): Promise<SimItemInfo | null> {
    if (!this.#lookup) return null;
    try {
      return await this.#lookup(barcode);
    } catch {
      // The backend being unreachable must not stop the simulator: the tag is still placed, plain.
      return null;
    }
  }

  #itemSpec(pad: RfidSimulatorHandle, barcode: string, info: SimItemInfo | null, secured: boolean | undefined): SimTagSpec {
    const set = info?.kit ? { partNumber: info.kit.partNumber, partsInSet: info.kit.partsTotal } : undefined;
    const title = info?.title ?? 'unknown item';
    return libraryTag({
      barcode,
      model: pad.tagModel,
      secured: secured ?? !(info?.onLoan ?? false),
      afiPair: pad.afiPair,
      label: set ? `${barcode} ${set.partNumber}/${set.partsInSet} ${title}` : `${barcode} ${title}`,
      ...(set ? { set } : {}),
      ...(this.#ownerIsil !== undefined ? { ownerIsil: this.#ownerIsil } : {}),
    });
  }

  #itemMeta(barcode: string, info: SimItemInfo | null): TagMeta {
    return {
      kind: 'item',
      barcode,
      title: info?.title ?? null,
      part: info?.kit ? { partNumber: info.kit.partNumber, partsInSet: info.kit.partsTotal } : null,
      kit: info?.kit?.code ?? null,
    };
  }

  async #resolveKit(key: string): Promise<{ code: string; units: Array<{ barcode: string; partNumber: number; info: SimItemInfo | null }> }> {
    if (!key) throw new SimulatorError('bad_request', 'no kit code or barcode given');
    const fromCatalogue: CatalogueKit | undefined = this.#catalogue?.kits.find((k) => k.code.toUpperCase() === key.toUpperCase() || k.parts.includes(key));
    // The backend's parts list is the truth (the catalogue is the demo file as it was loaded).
    const probe = fromCatalogue?.lead ?? fromCatalogue?.parts[0] ?? key;
    const info = await this.#lookupItem(probe);
    if (info?.kit) {
      const kit = info.kit;
      const units = await Promise.all(
        kit.parts.map(async (p) => {
          const unit = p.barcode === info.barcode ? info : await this.#lookupItem(p.barcode);
          const fallback: SimItemInfo = {
            barcode: p.barcode,
            title: p.title,
            onLoan: info.onLoan,
            kit: { ...kit, partNumber: p.partNumber },
          };
          return { barcode: p.barcode, partNumber: p.partNumber, info: unit?.kit ? unit : fallback };
        }),
      );
      return { code: kit.code, units };
    }
    if (fromCatalogue) {
      const total = fromCatalogue.parts.length;
      return {
        code: fromCatalogue.code,
        units: fromCatalogue.parts.map((barcode, i) => ({
          barcode,
          partNumber: i + 1,
          info: {
            barcode,
            title: this.#catalogue?.items.find((it) => it.barcode === barcode)?.title ?? barcode,
            onLoan: false,
            kit: { code: fromCatalogue.code, title: fromCatalogue.title, partNumber: i + 1, partsTotal: total, parts: [] },
          },
        })),
      };
    }
    throw new SimulatorError('not_found', `no kit "${key}" (give a kit code such as K001, or the barcode of one of its units)`);
  }

  #remember(pad: RfidSimulatorHandle, uid: string, meta: TagMeta): void {
    let m = this.#meta.get(pad.id);
    if (!m) this.#meta.set(pad.id, (m = new Map()));
    m.set(uid.toUpperCase(), meta);
  }

  #findTag(pad: RfidSimulatorHandle, match: (m: TagMeta) => boolean): PadTagView | undefined {
    const meta = this.#meta.get(pad.id);
    if (!meta) return undefined;
    for (const t of pad.pad.listTags()) {
      const m = meta.get(t.uid);
      if (m && match(m)) return this.#viewOf(pad, t);
    }
    return undefined;
  }

  #view(pad: RfidSimulatorHandle, uid: string): PadTagView {
    const tag = pad.pad.getTag(uid);
    if (!tag) throw new SimulatorError('not_found', `tag ${uid} is not on the pad`);
    return this.#viewOf(pad, tag);
  }

  #viewOf(pad: RfidSimulatorHandle, tag: SimTag): PadTagView {
    const m = this.#meta.get(pad.id)?.get(tag.uid);
    const pair = pad.afiPair;
    const byAfi = tag.afi === pair.secured ? true : tag.afi === pair.unsecured ? false : null;
    return {
      uid: tag.uid,
      kind: m?.kind ?? 'tag',
      barcode: m?.barcode ?? null,
      title: m?.title ?? null,
      label: tag.label ?? m?.barcode ?? tag.uid,
      part: m?.part ?? null,
      kit: m?.kit ?? null,
      secured: m?.kind === 'card' ? null : (byAfi ?? (tag.eas ? true : null)),
    };
  }
}

// ------------------------------------------------------------------------------------------ printer

/** The simulated lock boards: what a person at the locker wall does, and the faults. */
export class LockerControls {
  constructor(private readonly api: SimulatorApi) {}

  #sim(id?: string): LockerSimulatorHandle {
    return this.api.sim('locker', id);
  }

  /** Runs a control; the simulator's RangeError (no such board / door) becomes a 'bad_request'. */
  #act(options: LockerDoorOptions, fn: (sim: LockerSimulatorHandle) => void): void {
    const sim = this.#sim(options.locker);
    try {
      fn(sim);
    } catch (e) {
      if (e instanceof RangeError) throw new SimulatorError('bad_request', `locker ${sim.id}: ${e.message}`);
      throw e;
    }
    this.api.notify('locker');
  }

  state(id?: string): LockerStateView {
    const sim = this.#sim(id);
    return {
      id: sim.id,
      plugged: sim.plugged,
      device: this.api.manager.status(sim.id) ?? null,
      boards: sim.boards.boards(),
      doors: sim.boards.doors(),
    };
  }

  /** Someone shuts the door (after taking the items out); the latch engages. */
  closeDoor(board: number, lock: number, options: LockerDoorOptions = {}): void {
    this.#act(options, (sim) => sim.boards.closeDoor(board, lock));
  }

  /** The door is opened without an unlock (pried, mechanical key): the driver reports it forced. */
  forceOpen(board: number, lock: number, options: LockerDoorOptions = {}): void {
    this.#act(options, (sim) => sim.boards.openByHand(board, lock));
  }

  /** A jammed door stays shut when unlocked (the board still answers). */
  jam(board: number, lock: number, jammed = true, options: LockerDoorOptions = {}): void {
    this.#act(options, (sim) => sim.boards.jam(board, lock, jammed));
  }

  /** The board stops (or resumes) answering; the driver goes degraded. */
  setBoardSilent(board: number, silent = true, options: LockerDoorOptions = {}): void {
    this.#act(options, (sim) => sim.boards.setSilent(board, silent));
  }

  /** The next reply on the bus has a wrong checksum (the driver asks again). */
  corruptNextReply(options: LockerDoorOptions = {}): void {
    this.#act(options, (sim) => sim.boards.corruptNextReply());
  }
}

export class PrinterControls {
  constructor(private readonly api: SimulatorApi) {}

  #sim(id?: string): PrinterSimulatorHandle {
    return this.api.sim('printer', id);
  }

  /**
   * The driver polls the printer's status every few seconds; after a change made here it is asked
   * at once, so the panel and the daemon see the new state without waiting for the poll.
   */
  #refresh(sim: PrinterSimulatorHandle): void {
    void this.api.manager.printer(sim.id)?.queryStatus().catch(() => undefined);
    this.api.notify('printer');
  }

  /** Receipts cut so far (since `clearReceipts`), oldest first, as text and SVG. */
  receipts(id?: string): ReceiptView[] {
    const sim = this.#sim(id);
    const from = this.api.receiptOffsets().get(sim.id) ?? 0;
    return sim.printer
      .receipts()
      .filter((r) => r.index > from)
      .map((r) => ({ index: r.index, text: r.text, svg: r.svg }));
  }

  /** Tears the printed receipts off (the panel's list starts again). */
  clearReceipts(id?: string): void {
    const sim = this.#sim(id);
    this.api.receiptOffsets().set(sim.id, sim.printer.state().receipts);
    this.api.notify('printer');
  }

  state(id?: string): PrinterStateView {
    const sim = this.#sim(id);
    const from = this.api.receiptOffsets().get(sim.id) ?? 0;
    const simulator = sim.printer.state();
    return { id: sim.id, device: this.api.manager.status(sim.id) ?? null, simulator, receipts: simulator.receipts - from };
  }

  paperOut(id?: string): void {
    const sim = this.#sim(id);
    sim.printer.paperOut();
    this.#refresh(sim);
  }

  /** A new roll; `lines` makes it run out again after that many printed lines. */
  paperIn(id?: string, lines: number | null = null): void {
    const sim = this.#sim(id);
    sim.printer.loadPaper(lines);
    this.#refresh(sim);
  }

  paperNearEnd(on = true, id?: string): void {
    const sim = this.#sim(id);
    sim.printer.paperNearEnd(on);
    this.#refresh(sim);
  }

  openCover(id?: string): void {
    const sim = this.#sim(id);
    sim.printer.openCover();
    this.#refresh(sim);
  }

  closeCover(id?: string): void {
    const sim = this.#sim(id);
    sim.printer.closeCover();
    this.#refresh(sim);
  }

  /** Is the drawer on this printer open (kicked and not pushed shut yet)? */
  drawerOpen(id?: string): boolean {
    return this.#sim(id).printer.state().drawerOpen;
  }

  /** A person pushes the drawer shut. */
  closeDrawer(id?: string): void {
    const sim = this.#sim(id);
    sim.printer.closeDrawer();
    this.#refresh(sim);
  }
}

// ------------------------------------------------------------------------------------------- tablet

export class TabletControls {
  constructor(private readonly api: SimulatorApi) {}

  #sim(id?: string): SignatureSimulatorHandle {
    return this.api.sim('signature', id);
  }

  #driver(sim: SignatureSimulatorHandle): SignatureTablet {
    const driver = this.api.manager.signature(sim.id);
    if (!driver) throw new SimulatorError('no_device', `tablet ${sim.id} has no driver`);
    return driver;
  }

  #page(sim: SignatureSimulatorHandle): TabletPageView | null {
    return this.api.pages().get(sim.id) ?? null;
  }

  #nextPage(sim: SignatureSimulatorHandle): Promise<TabletPageView> {
    const driver = this.#driver(sim);
    return new Promise((resolve, reject) => {
      const on = (page: TabletPageView): void => {
        clearTimeout(timer);
        resolve(page);
      };
      const timer = setTimeout(() => {
        driver.off('signature.page', on);
        reject(new SimulatorError('no_capture', 'the tablet did not turn the page'));
      }, this.api.pageTimeoutMs);
      driver.once('signature.page', on);
    });
  }

  state(id?: string): TabletStateView {
    const sim = this.#sim(id);
    return {
      id: sim.id,
      model: sim.model,
      plugged: sim.plugged,
      page: this.#page(sim),
      capture: this.api.captures().get(sim.id) ?? { running: false, result: null },
    };
  }

  /** The STU's screen as PNG (what the patron sees); null for signotec (the pad server draws its own). */
  screenPng(id?: string): Uint8Array | null {
    const sim = this.#sim(id);
    return sim.model === 'wacom-stu' ? sim.stu.screenPng() : null;
  }

  /** On a reading page: the patron presses "next". */
  async next(id?: string): Promise<void> {
    const sim = this.#sim(id);
    const page = this.#page(sim);
    if (!page) throw new SimulatorError('no_capture', 'the tablet is not showing a capture');
    if (page.signing) throw new SimulatorError('bad_request', 'the tablet already shows the signing page');
    const turned = this.#nextPage(sim);
    if (sim.model === 'wacom-stu') await sim.stu.tapButton('next');
    else sim.signotec.pressConfirm();
    await turned;
  }

  /** The patron pages through to the signing page (if not there yet) and signs (the sample signature). */
  async sign(id?: string): Promise<void> {
    const sim = this.#sim(id);
    let page = this.#page(sim);
    if (!page) throw new SimulatorError('no_capture', 'the tablet is not asking for a signature');
    for (let guard = 0; !page.signing && guard < page.count; guard++) {
      await this.next(sim.id);
      page = this.#page(sim) ?? page;
    }
    if (sim.model === 'wacom-stu') await sim.stu.sign();
    else await sim.signotec.draw();
    this.api.notify('tablet');
  }

  /** The patron confirms (OK / the green tick). */
  async confirm(id?: string): Promise<void> {
    const sim = this.#sim(id);
    const page = this.#page(sim);
    if (!page) throw new SimulatorError('no_capture', 'the tablet is not showing a capture');
    if (!page.signing) return this.next(sim.id);
    if (sim.model === 'wacom-stu') await sim.stu.tapButton('ok');
    else sim.signotec.pressConfirm();
    this.api.pages().set(sim.id, null);
    this.api.notify('tablet');
  }

  /** The patron signs and confirms. */
  async signAndConfirm(id?: string): Promise<void> {
    await this.sign(id);
    await this.confirm(id);
  }

  /** The patron clears the signature to sign again. */
  async clear(id?: string): Promise<void> {
    const sim = this.#sim(id);
    const page = this.#page(sim);
    if (!page?.signing) throw new SimulatorError('no_capture', 'the tablet is not on its signing page');
    if (sim.model === 'wacom-stu') await sim.stu.tapButton('clear');
    else sim.signotec.pressRetry();
    this.api.notify('tablet');
  }

  /** The patron cancels (the red cross). */
  async cancel(id?: string): Promise<void> {
    const sim = this.#sim(id);
    if (!this.#page(sim)) throw new SimulatorError('no_capture', 'the tablet is not showing a capture');
    if (sim.model === 'wacom-stu') await sim.stu.tapButton('cancel');
    else sim.signotec.pressCancel();
    this.api.pages().set(sim.id, null);
    this.api.notify('tablet');
  }

  /**
   * Starts a capture on the tablet as the kiosk would (two pages: data, then declaration and
   * signature), to try the tablet from the panel. Resolves once it started; the outcome lands in
   * `state().capture` (and the returned promise's `done`).
   */
  startTestCapture(id?: string, vars: { name?: string; card?: string } = {}): { done: Promise<CaptureView['result']> } {
    const sim = this.#sim(id);
    const driver = this.#driver(sim);
    const captures = this.api.captures();
    if (captures.get(sim.id)?.running) throw new SimulatorError('busy', 'a test capture is already running');
    if (driver.state !== 'ready') throw new SimulatorError('unplugged', `tablet ${sim.id} is ${driver.state}`);
    captures.set(sim.id, { running: true, result: null });
    this.api.notify('tablet');
    const done = driver
      .capture(TEST_PAGES, { vars: { name: vars.name ?? 'Ana N.', card: vars.card ?? '0100001' }, timeoutMs: 120_000 })
      .then((r: CaptureResult): CaptureView['result'] =>
        r.status === 'signed' ? { status: 'signed', pointCount: r.pointCount, svg: r.svg, pagesShown: r.pagesShown } : { status: r.status, pagesShown: r.pagesShown },
      )
      .catch((e: unknown): CaptureView['result'] => ({ status: 'error', message: e instanceof Error ? e.message : String(e) }))
      .then((result) => {
        captures.set(sim.id, { running: false, result });
        this.api.pages().set(sim.id, null);
        this.api.notify('tablet');
        return result;
      });
    return { done };
  }
}
