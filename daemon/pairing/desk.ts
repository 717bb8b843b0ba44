/**
 * The desk side of a paired pad: what the RFID reader sees, decoded for staff (barcode, set info,
 * owner library, security state, data model, blank / foreign / corrupt), and the staff actions on
 * it — check-out and check-in against the backend with the security bit set accordingly, tag
 * programming and data-model conversion.
 *
 * It listens to the same reader facts as the kiosk's PadModel (daemon/station/pad.ts) but keeps
 * what the kiosk does not need: the raw tag data and the AFI/EAS read from each tag. Security
 * writes follow the station's rule (DESIGN.md "Where the flows run"): the driver's setSecurity
 * verifies and retries; an item whose write did not verifiably take is never reported done — it is
 * reported `security_failed` with the problem, for staff to fix on the spot.
 *
 * Block locking (config pairing.programming.lockBlocks): after a programming or conversion whose data
 * was read back and verified, the desk locks the configured blocks through the driver (ISO 15693
 * LOCK BLOCK; irreversible) and reports every block: locked, locked already, or NOT locked with the
 * tag's reason. A refused lock never turns into "programmed and locked": the tag view carries the
 * outcome (`lock`), the audit row says so, and the page shows it. The lock state read from each tag
 * (`locks`) tells staff that a tag cannot be rewritten before they try.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { DeviceError } from '../../drivers/device.ts';
import type { BlockLockResult, ItemTagInput, RfidReader, RfidTag, TagSecurity } from '../../drivers/rfid/index.ts';
import { encodeItemImage } from '../../drivers/rfid/item-image.ts';
import type { Config } from '../../config/schema.ts';
import { DSFID_ISO28560_2, encodeRfid501, padToBlocks, type LibraryItemTag, type TagModel, type TagUsage } from '../../protocols/iso28560/index.ts';
import type { KioskLanguage } from '../../protocols/kiosk-api/reasons.ts';
import type { CirculationBackend, ItemInformation, RequestContext } from '../circulation/backend.ts';

export type TagCondition = 'item' | 'patron-card' | 'blank' | 'foreign' | 'corrupt';

export interface DeskTagView {
  uid: string;
  condition: TagCondition;
  model: TagModel | null;
  barcode: string | null;
  setInfo: { partNumber: number; partsInSet: number } | null;
  ownerLibrary: string | null;
  usage: TagUsage | null;
  dsfid: number | null;
  /** Tolerated deviations (reversed blocks, bad CRC …), ISO 28560 quirk codes. */
  quirks: string[];
  /** Why a blank/corrupt tag has no item data. */
  problem: string | null;
  blank: 'zeroed' | '3m-factory' | null;
  /** Read from the tag; null while it is being read. */
  security: { state: 'secured' | 'unsecured' | 'unknown'; afi: number | null; eas: boolean | null; error: string | null } | null;
  /** Locked user memory blocks as read from the tag; null while not read. */
  locks: { blocks: number[]; blockCount: number | null; error: string | null } | null;
  /** What the last lock at this desk did (after programming); null when nothing was locked here. */
  lock: DeskLockView | null;
  /** The backend's record of the barcode; null when unknown or not looked up. */
  item: { title: string; status: string; dueDate: string | null; kit: { code: string; partNumber: number; partsTotal: number } | null } | null;
  seenAt: string;
}

export interface DeskPadView {
  reader: string;
  tags: DeskTagView[];
  /** config pairing.programming.lockBlocks, for the page to warn before it writes. */
  lockPolicy: LockPolicy;
}

/** config pairing.programming.lockBlocks: 'none' | 'data' | 'all' | block numbers. */
export type LockPolicy = Config['pairing']['programming']['lockBlocks'];

export interface DeskLockView {
  policy: Exclude<LockPolicy, 'none'>;
  /** The blocks the policy asked to lock on this tag. */
  requested: number[];
  /** Locked now by this desk, read back from the tag. */
  locked: number[];
  alreadyLocked: number[];
  /** Blocks NOT locked (or not confirmed), each with the tag's/reader's reason. */
  failed: Array<{ block: number; code: string; message: string }>;
  /** done: every requested block is locked; failed: at least one is not (the data itself is written and verified). */
  status: 'done' | 'failed';
  message: string;
}

export type DeskOutcome = {
  barcode: string;
  title: string | null;
  /** done: backend and security both as wanted; security_failed: the backend changed, the tag did not. */
  status: 'done' | 'refused' | 'security_failed';
  reason: string | null;
  message: string | null;
  dueDate: string | null;
  units: string[];
  problems: string[];
};

/** ISO 15511 ISIL, e.g. SI-50000, DK-718500, US-DLC. */
const ISIL = /^[A-Za-z0-9]{1,4}-[A-Za-z0-9/:-]{1,11}$/;

export class DeskError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface DeskOptions {
  reader: RfidReader | null;
  backend: CirculationBackend;
  logger: Logger;
  site: { isil: string; department: string; language: KioskLanguage };
  /** config kiosk.rfidSecurity: items carry a security bit that follows the loan. */
  rfidSecurity: boolean;
  /** Circulation changed these items (the kiosk's pad forgets its cached catalogue data). */
  onItemsChanged?: (barcodes: string[]) => void;
  /** A tag was rewritten here: the kiosk's pad should see the new data. */
  onTagRewritten?: (tag: RfidTag) => void;
  /** config pairing.programming.lockBlocks (default 'none': locking is permanent). */
  lockBlocks?: LockPolicy;
}

interface Rec {
  tag: RfidTag;
  security: DeskTagView['security'];
  info: ItemInformation | null | undefined;
  locks: DeskTagView['locks'];
  lock: DeskLockView | null;
}

const ON_LOAN = new Set(['C', 'S', 'D', 'B', 'L']);

export interface ProgramRequest {
  uid: string;
  barcode: string;
  partNumber?: number;
  partsInSet?: number;
  ownerLibrary?: string;
  model?: TagModel;
  /** Needed to rewrite a readable tag of this library. */
  overwrite?: boolean;
}

export class Desk extends EventEmitter<{ changed: [DeskPadView] }> {
  private readonly tags = new Map<string, Rec>();
  private readonly o: DeskOptions;
  private readonly log: Logger;
  private active = 0;
  private readerState = 'offline';

  constructor(o: DeskOptions) {
    super();
    this.o = o;
    this.log = o.logger.child({ component: 'desk' });
    const r = o.reader;
    if (!r) return;
    this.readerState = r.state;
    for (const t of r.presentTags()) this.arrived(t);
    r.on('tag.arrived', (t) => this.arrived(t));
    r.on('tag.departed', (d) => {
      if (this.tags.delete(d.uid)) this.changed();
    });
    r.on('state', (st) => {
      this.readerState = st.state;
      // An offline reader no longer vouches for what it saw (as the kiosk's pad does).
      if (st.state === 'offline') this.tags.clear();
      this.changed();
    });
  }

  /** A paired desk is watching (one call per socket, true on connect and false on disconnect). */
  setWatching(watching: boolean): void {
    const was = this.active > 0;
    this.active = Math.max(0, this.active + (watching ? 1 : -1));
    if (!was && this.active > 0) {
      for (const rec of this.tags.values()) {
        if (rec.info === undefined) void this.lookup(rec);
        void this.readSecurity(rec, true);
      }
    }
  }

  private changed(): void {
    this.emit('changed', this.view());
  }

  private arrived(tag: RfidTag): void {
    const rec: Rec = { tag, security: null, info: undefined, locks: null, lock: null };
    this.tags.set(tag.uid, rec);
    this.changed(); // at once, before any lookup: the desk sees the tag as fast as the kiosk does
    // Catalogue lookups and security reads only while a paired desk watches (the kiosk's pad
    // does its own lookups; RF time on the reader is shared with the kiosk's inventory).
    if (this.active > 0) {
      void this.lookup(rec);
      void this.readSecurity(rec, true);
    }
  }

  private async lookup(rec: Rec): Promise<void> {
    const item = rec.tag.item;
    if (!item || item.usage === 'patron-card') {
      rec.info = null;
      return;
    }
    try {
      const r = await this.o.backend.itemInformation(item.primaryItemId);
      rec.info = r.ok ? r.item : null;
    } catch {
      rec.info = null;
    }
    if (this.tags.get(rec.tag.uid) === rec) this.changed();
  }

  /**
   * Reads the tag's security state, then which of its blocks are locked.
   *
   * `progressive` (a tag that just arrived, or a desk that just started watching): the view is
   * pushed once the security state is read and again when the lock state follows. Reading the lock
   * state costs the reader two more exchanges per tag (memory size, then the block lock bytes), on
   * the RF time the kiosk's inventory shares; issue 6 wants the decoded tag data — security state
   * included — on the desk as fast as the kiosk shows an item, so the security state must not wait
   * for the locks. The page keeps `locks: null` as "not read yet" and adds the line when it comes.
   * The other callers (after a write or a failed security write) want both read before they answer.
   */
  private async readSecurity(rec: Rec, progressive = false): Promise<void> {
    const r = this.o.reader;
    if (!r) return;
    try {
      const s = await r.getSecurity(rec.tag.uid);
      rec.security = securityView(s);
    } catch (e) {
      rec.security = { state: 'unknown', afi: null, eas: null, error: (e as Error).message };
    }
    if (progressive) {
      // Gone from the pad meanwhile (or rewritten into a new record): nothing more to read.
      if (this.tags.get(rec.tag.uid) !== rec) return;
      this.changed();
    }
    rec.locks = await this.readLocks(r, rec.tag.uid);
    if (this.tags.get(rec.tag.uid) === rec) this.changed();
  }

  private async readLocks(r: RfidReader, uid: string): Promise<NonNullable<DeskTagView['locks']>> {
    let blockCount: number | null = null;
    try {
      blockCount = await r.blockCount(uid);
      const flags = await r.readLocks(uid, 0, blockCount);
      return { blocks: flags.flatMap((locked, b) => (locked ? [b] : [])), blockCount, error: null };
    } catch (e) {
      return { blocks: [], blockCount, error: `lock state not read: ${(e as Error).message}` };
    }
  }

  // ------------------------------------------------------------------------------------- view

  private condition(rec: Rec): TagCondition {
    const t = rec.tag;
    if (!t.item) return t.error?.code === 'blank' ? 'blank' : 'corrupt';
    if (t.item.usage === 'patron-card') return 'patron-card';
    if (t.item.quirks.includes('bad-crc')) return 'corrupt';
    if (t.item.ownerLibrary && t.item.ownerLibrary.toUpperCase() !== this.o.site.isil.toUpperCase()) return 'foreign';
    return 'item';
  }

  tagView(rec: Rec): DeskTagView {
    const t = rec.tag;
    const it = t.item;
    const info = rec.info;
    return {
      uid: t.uid,
      condition: this.condition(rec),
      model: it?.model ?? null,
      barcode: it?.primaryItemId ?? null,
      setInfo: it?.setInfo ? { partNumber: it.setInfo.partNumber, partsInSet: it.setInfo.partsInSet } : null,
      ownerLibrary: it?.ownerLibrary ?? null,
      usage: it?.usage ?? null,
      dsfid: t.dsfid ?? null,
      quirks: it ? [...it.quirks] : [],
      problem: it
        ? this.condition(rec) === 'corrupt'
          ? 'The data fails its CRC check, so the barcode shown may be wrong: program the tag again.'
          : null
        : (t.error?.message ?? 'no data read'),
      blank: t.error?.code === 'blank' ? (t.error.blank ?? 'zeroed') : null,
      security: rec.security,
      locks: rec.locks,
      lock: rec.lock,
      item: info
        ? {
            title: info.title,
            status: info.status,
            dueDate: info.dueDate,
            kit: info.kit ? { code: info.kit.code, partNumber: info.kit.partNumber, partsTotal: info.kit.partsTotal } : null,
          }
        : null,
      seenAt: t.seenAt,
    };
  }

  view(): DeskPadView {
    return { reader: this.readerState, tags: [...this.tags.values()].map((r) => this.tagView(r)), lockPolicy: this.o.lockBlocks ?? 'none' };
  }

  // ----------------------------------------------------------------------------- circulation

  private ctx(key: string): RequestContext {
    return { channel: 'staff', department: this.o.site.department, idempotencyKey: `staff:${key}`, language: this.o.site.language };
  }

  /** Barcodes on the pad belonging to the same kit as `barcode` (all parts present, for the backend's check). */
  private kitParts(barcode: string): string[] | undefined {
    const recs = [...this.tags.values()];
    const own = recs.find((r) => r.tag.item?.primaryItemId === barcode)?.info;
    if (!own?.kit) return undefined;
    const code = own.kit.code;
    return [...new Set(recs.filter((r) => r.info?.kit?.code === code).map((r) => r.tag.item!.primaryItemId))];
  }

  /** Sets the security state of every tag of these items on the pad; returns the problems. */
  private async secure(units: string[], secured: boolean): Promise<string[]> {
    if (!this.o.rfidSecurity) return [];
    const reader = this.o.reader;
    const problems: string[] = [];
    for (const barcode of units) {
      const recs = [...this.tags.values()].filter((r) => r.tag.item?.primaryItemId === barcode);
      if (recs.length === 0) {
        problems.push(`${barcode}: tag not on the pad`);
        continue;
      }
      if (!reader || reader.state === 'offline') {
        problems.push(`${barcode}: RFID reader offline`);
        continue;
      }
      for (const rec of recs) {
        try {
          // The driver writes, reads back and retries; it resolves only for a verified state.
          rec.security = securityView(await reader.setSecurity(rec.tag.uid, secured));
        } catch (e) {
          problems.push(`${barcode}: ${(e as Error).message}`);
          await this.readSecurity(rec);
        }
      }
    }
    return problems;
  }

  private async refreshInfo(barcodes: string[]): Promise<void> {
    this.o.onItemsChanged?.(barcodes);
    for (const rec of this.tags.values()) if (rec.tag.item && barcodes.includes(rec.tag.item.primaryItemId)) await this.lookup(rec);
    this.changed();
  }

  async checkout(req: { key: string; barcode: string; patron: string }): Promise<DeskOutcome> {
    const parts = this.kitParts(req.barcode);
    const r = await this.o.backend.checkout({ patron: req.patron, item: req.barcode, ...(parts ? { parts } : {}) }, this.ctx(req.key));
    if (!r.ok) return { barcode: req.barcode, title: null, status: 'refused', reason: r.reason, message: r.screenMessage, dueDate: null, units: [], problems: [] };
    const units = r.units.map((u) => u.barcode);
    const problems = await this.secure(units, false);
    await this.refreshInfo(units);
    if (problems.length) this.log.warn({ barcode: req.barcode, problems }, 'lent at the desk but still secured');
    return { barcode: req.barcode, title: r.title, status: problems.length ? 'security_failed' : 'done', reason: null, message: null, dueDate: r.dueDate, units, problems };
  }

  async checkin(req: { key: string; barcode: string }): Promise<DeskOutcome> {
    const parts = this.kitParts(req.barcode);
    const r = await this.o.backend.checkin({ item: req.barcode, ...(parts ? { parts } : {}) }, this.ctx(req.key));
    if (!r.ok) {
      // An item that was not on loan belongs in the library: make sure it is secured anyway.
      const problems = r.reason === 'not_on_loan' ? await this.secure(parts ?? [req.barcode], true) : [];
      return { barcode: req.barcode, title: null, status: 'refused', reason: r.reason, message: r.screenMessage, dueDate: null, units: [], problems };
    }
    const problems = await this.secure(r.units, r.securityOn);
    await this.refreshInfo(r.units);
    if (problems.length) this.log.warn({ barcode: req.barcode, problems }, 'returned at the desk but not secured');
    const routing = r.routing.destination !== 'shelf' ? `${r.routing.destination}${r.routing.pickupPlace ? ` (${r.routing.pickupPlace})` : ''}` : null;
    return { barcode: req.barcode, title: r.title, status: problems.length ? 'security_failed' : 'done', reason: null, message: routing, dueDate: null, units: r.units, problems };
  }

  /** Staff set a tag's security by hand (e.g. after a `security_failed`). */
  async setSecurity(uid: string, secured: boolean): Promise<DeskTagView> {
    const rec = this.mustGet(uid);
    const reader = this.reader();
    try {
      rec.security = securityView(await reader.setSecurity(rec.tag.uid, secured));
    } catch (e) {
      await this.readSecurity(rec);
      throw new DeskError('security_failed', (e as Error).message);
    }
    this.changed();
    return this.tagView(rec);
  }

  // ------------------------------------------------------------------------------ programming

  private mustGet(uid: string): Rec {
    const rec = this.tags.get(uid.toUpperCase());
    if (!rec) throw new DeskError('tag_missing', `tag ${uid} is not on the pad`);
    return rec;
  }

  private reader(): RfidReader {
    const r = this.o.reader;
    if (!r || r.state === 'offline') throw new DeskError('reader_offline', 'the RFID reader is offline');
    return r;
  }

  /**
   * Writes ISO 28560 item data (barcode, set info, owner ISIL) to a blank, foreign or corrupt tag, or
   * to any tag with `overwrite`. The data is read back from the tag and decoded before this returns.
   * Security: set to what the backend says about the barcode (on loan: unsecured, otherwise secured).
   */
  async program(req: ProgramRequest): Promise<DeskTagView> {
    const rec = this.mustGet(req.uid);
    const cond = this.condition(rec);
    if (!req.overwrite && (cond === 'item' || cond === 'patron-card')) {
      throw new DeskError('tag_in_use', `tag ${rec.tag.uid} already carries ${cond === 'item' ? `item ${rec.tag.item!.primaryItemId} of this library` : 'a patron card'}; confirm to overwrite it`);
    }
    const barcode = req.barcode.trim();
    // No `|`: SIP2 carries barcodes as AB fields delimited by it (reference §1), as the import refuses it too.
    if (!/^[\x21-\x7b\x7d\x7e]{1,16}$/.test(barcode)) throw new DeskError('bad_barcode', 'a barcode is 1–16 printable ASCII characters without spaces or "|"');
    const partsInSet = req.partsInSet ?? 1;
    const partNumber = req.partNumber ?? 1;
    if (!Number.isInteger(partsInSet) || !Number.isInteger(partNumber) || partsInSet < 1 || partNumber < 1 || partNumber > partsInSet || partsInSet > 255) {
      throw new DeskError('bad_set_info', `part ${partNumber} of ${partsInSet} is not valid (part 1…n of n, n ≤ 255)`);
    }
    let secured: boolean | undefined;
    if (this.o.rfidSecurity) {
      const info = await this.o.backend.itemInformation(barcode).catch(() => null);
      secured = !(info?.ok && ON_LOAN.has(info.item.status));
    }
    const ownerLibrary = (req.ownerLibrary ?? this.o.site.isil).trim();
    // ISO 15511: a prefix (country code or other) of 1–4 characters, a hyphen, and up to 11
    // characters for the library. A typo here would make the library's own items foreign.
    if (req.ownerLibrary !== undefined && !ISIL.test(ownerLibrary)) {
      throw new DeskError('bad_owner', `"${ownerLibrary}" is not an ISIL: a prefix of up to 4 letters or digits, a hyphen and up to 11 letters, digits, "-", "/" or ":" (e.g. ${this.o.site.isil})`);
    }
    if ((req.model ?? 'iso28560-3') === '3m-501') this.ownerFits3M(rec, ownerLibrary);
    return this.write(rec, { barcode, partNumber, partsInSet, ownerLibrary, model: req.model ?? 'iso28560-3', usage: 'circulating', secured });
  }

  /** Rewrites a readable tag's data in another data model (same barcode, set info, owner); security unchanged. */
  async convert(uid: string, model: TagModel): Promise<DeskTagView> {
    const rec = this.mustGet(uid);
    const it = rec.tag.item;
    if (!it) throw new DeskError('no_data', `tag ${rec.tag.uid} holds no readable item data to convert; program it instead`);
    if (it.model === model) throw new DeskError('same_model', `tag ${rec.tag.uid} is already ${model}`);
    // Converting would write the damaged data back with a good CRC, and the tag would no longer look corrupt.
    if (this.condition(rec) === 'corrupt') {
      throw new DeskError('corrupt', `tag ${rec.tag.uid} fails its CRC check, so its barcode "${it.primaryItemId}" may be wrong; program it instead of converting it`);
    }
    if (model === '3m-501') this.ownerFits3M(rec, it.ownerLibrary ?? this.o.site.isil);
    return this.write(rec, {
      barcode: it.primaryItemId,
      partNumber: it.setInfo?.partNumber ?? 1,
      partsInSet: it.setInfo?.partsInSet ?? 1,
      // The 3M layout has no owner: its tags are this library's own (ownerFits3M), which the ISO layouts say.
      ownerLibrary: it.ownerLibrary ?? (it.model === '3m-501' ? this.o.site.isil : ''),
      model,
      usage: it.usage,
      secured: undefined,
    });
  }

  /** The 3M 501 layout holds no owner library, so a reader takes its tags for this library's own. */
  private ownerFits3M(rec: Rec, ownerLibrary: string): void {
    if (ownerLibrary && ownerLibrary.toUpperCase() !== this.o.site.isil.toUpperCase()) {
      throw new DeskError(
        'not_encodable',
        `the 3M 501 layout has no owner library: tag ${rec.tag.uid} of ${ownerLibrary} would read as an item of this library (${this.o.site.isil}); keep it in ISO 28560`,
      );
    }
  }

  private async write(
    rec: Rec,
    d: { barcode: string; partNumber: number; partsInSet: number; ownerLibrary: string; model: TagModel; usage: TagUsage; secured: boolean | undefined },
  ): Promise<DeskTagView> {
    const reader = this.reader();
    const uid = rec.tag.uid;
    const card = d.usage === 'patron-card';
    const setInfo = { partNumber: d.partNumber, partsInSet: d.partsInSet };
    /** Blocks from 0 that hold the item data (what lockBlocks 'data' locks). */
    let dataBlocks = 0;
    try {
      if (d.model === '3m-501') {
        // The 3M layout has no ISIL (a numeric library/branch instead) and 4-bit set fields.
        if (d.partsInSet > 15) throw new DeskError('bad_set_info', 'the 3M 501 layout holds at most 15 parts in a set');
        const enc = encodeRfid501({ primaryItemId: d.barcode, setInfo });
        if (!enc.ok) throw new DeskError('not_encodable', `cannot encode 3M 501: ${enc.error.message}`);
        // First an ISO 28560-3 write through the driver: it clears the old data and resets a DSFID
        // of 0x06 (ISO 28560-2), which would otherwise make readers look for -2 data. Then the 3M image.
        const base = await reader.writeItemTag(uid, { primaryItemId: d.barcode, setInfo, model: 'iso28560-3', ...(d.secured !== undefined ? { secured: d.secured } : {}) });
        const image = padToBlocks(enc.bytes, 4, Math.max(enc.bytes.length, Math.ceil(base.normalized.length / 4) * 4));
        await reader.write(uid, 0, image);
        dataBlocks = Math.ceil(enc.bytes.length / 4);
      } else {
        const item: ItemTagInput = {
          primaryItemId: d.barcode,
          setInfo,
          model: d.model,
          ...(d.ownerLibrary ? { ownerLibrary: d.ownerLibrary } : {}),
          ...(card ? { typeOfUsage: d.model === 'iso28560-2' ? 0x80 : 8 } : {}),
          ...(d.secured !== undefined ? { secured: d.secured } : {}),
        };
        let image: Uint8Array;
        try {
          image = encodeItemImage(item); // before touching the tag: data that cannot be encoded is the request's fault
        } catch (e) {
          throw new DeskError('not_encodable', (e as Error).message);
        }
        dataBlocks = Math.ceil(image.length / 4);
        await reader.writeItemTag(uid, item);
      }
    } catch (e) {
      await this.readSecurity(rec); // also re-reads which blocks are locked
      if (e instanceof DeskError) throw e;
      if (e instanceof DeviceError && e.code === 'write_refused') {
        // The tag itself said no: a locked block (or a locked DSFID/AFI) never takes a write again.
        const locked = rec.locks?.blocks ?? [];
        const what = locked.length > 0 ? `its block${locked.length > 1 ? 's' : ''} ${blockRanges(locked)} ${locked.length > 1 ? 'are' : 'is'} locked for good` : 'part of it is locked';
        throw new DeskError('tag_locked', `tag ${uid} refused the write: ${what} (${e.message}). A locked tag cannot be reprogrammed; use a new tag.`);
      }
      throw new DeskError('write_failed', `writing tag ${uid} failed: ${(e as Error).message}. The tag may be half-written: keep it on the pad and program it again.`);
    }
    // Read it back from the tag, as a reader at the gate or the kiosk will see it.
    let back: RfidTag;
    try {
      // DSFID hint as the driver leaves it: 0x06 announces ISO 28560-2 (DSFID_ISO28560_2).
      back = await reader.readItem(uid, d.model === 'iso28560-2' ? DSFID_ISO28560_2 : 0);
    } catch (e) {
      throw new DeskError('readback_failed', `tag ${uid} was written but could not be read back: ${(e as Error).message}`);
    }
    if (!back.item || back.item.primaryItemId !== d.barcode || back.item.model !== d.model) {
      throw new DeskError('readback_failed', `tag ${uid} reads back as ${back.item ? `${back.item.model} ${back.item.primaryItemId}` : (back.error?.message ?? 'nothing')} instead of ${d.model} ${d.barcode}`);
    }
    const written: LibraryItemTag = back.item;
    const updated: RfidTag = { ...rec.tag, ...back, item: written, seenAt: rec.tag.seenAt };
    const fresh: Rec = { tag: updated, security: rec.security, info: undefined, locks: rec.locks, lock: null };
    this.tags.set(uid, fresh);
    this.o.onTagRewritten?.(updated);
    // Only now, with the data verified on the tag, may it be locked for good.
    fresh.lock = await this.lockAfterWrite(reader, uid, dataBlocks);
    await this.readSecurity(fresh);
    await this.lookup(fresh);
    this.changed();
    this.log.info({ uid, barcode: d.barcode, model: d.model, lock: fresh.lock?.status ?? 'none' }, 'tag programmed at the desk');
    return this.tagView(fresh);
  }

  /** Locks what config pairing.programming.lockBlocks asks for; never throws, reports every block. */
  private async lockAfterWrite(reader: RfidReader, uid: string, dataBlocks: number): Promise<DeskLockView | null> {
    const policy = this.o.lockBlocks ?? 'none';
    if (policy === 'none') return null;
    const label: DeskLockView['policy'] = policy;
    let requested: number[];
    try {
      requested = policy === 'data' ? range(dataBlocks) : policy === 'all' ? range(await reader.blockCount(uid)) : [...policy].sort((a, b) => a - b);
    } catch (e) {
      const message = `NOT locked: the tag's size could not be read (${(e as Error).message})`;
      this.log.warn({ uid, policy }, message);
      return { policy: label, requested: [], locked: [], alreadyLocked: [], failed: [], status: 'failed', message };
    }
    let res: BlockLockResult;
    try {
      res = await reader.lockBlocks(uid, requested);
    } catch (e) {
      const code = e instanceof DeviceError ? e.code : 'reader_error';
      res = { uid, locked: [], alreadyLocked: [], failed: requested.map((block) => ({ block, code, message: (e as Error).message })) };
    }
    const failed = res.failed.map((f) => ({ ...f }));
    const parts: string[] = [];
    if (failed.length > 0) parts.push(`NOT locked: block${failed.length > 1 ? 's' : ''} ${blockRanges(failed.map((f) => f.block))} (${failed[0]!.message})`);
    if (res.locked.length > 0) parts.push(`locked block${res.locked.length > 1 ? 's' : ''} ${blockRanges(res.locked)} for good`);
    if (res.alreadyLocked.length > 0) parts.push(`block${res.alreadyLocked.length > 1 ? 's' : ''} ${blockRanges(res.alreadyLocked)} locked already`);
    const message = parts.join('; ').replace(/^./, (c) => c.toUpperCase());
    const view: DeskLockView = {
      policy: label,
      requested,
      locked: res.locked,
      alreadyLocked: res.alreadyLocked,
      failed,
      status: failed.length === 0 ? 'done' : 'failed',
      message: `${message}.`,
    };
    if (view.status === 'failed') this.log.warn({ uid, policy, locked: view.locked, failed: failed.map((f) => [f.block, f.code]) }, 'tag blocks not locked after programming');
    else this.log.info({ uid, policy, locked: view.locked, alreadyLocked: view.alreadyLocked }, 'tag blocks locked after programming');
    return view;
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** "0–8", "0–2, 5, 7–9" */
export function blockRanges(blocks: readonly number[]): string {
  const sorted = [...new Set(blocks)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

function securityView(s: TagSecurity): NonNullable<DeskTagView['security']> {
  return { state: s.state, afi: s.afi ?? null, eas: s.eas ?? null, error: null };
}
