/**
 * What is on the pad: tags reported by the RFID reader, grouped into items, kits (ISO 28560 set
 * information held against the backend's parts list) and patron cards. Resolution against the
 * backend is asynchronous; the pad emits `changed` whenever the grouped view changes.
 */
import { EventEmitter } from 'node:events';
import type { DeviceStateName, PadEntry, PadState } from '../../protocols/kiosk-api/events.ts';
import type { CirculationBackend, ItemInformation } from '../circulation/backend.ts';
import type { RfidDeparture, RfidTag } from '../../drivers/rfid/index.ts';

interface TagRecord {
  uid: string;
  barcode: string | null;
  problem: string | null;
  /** Resolved: an item of the catalogue, a patron card, or nothing we know. */
  resolved: { kind: 'item'; info: ItemInformation } | { kind: 'card'; barcode: string } | { kind: 'unknown' } | null;
}

export class PadModel extends EventEmitter {
  private readonly tags = new Map<string, TagRecord>();
  private readonly itemCache = new Map<string, ItemInformation | null>();
  private readerState: DeviceStateName = 'offline';
  private pendingResolves = 0;

  constructor(private readonly backend: CirculationBackend) {
    super();
  }

  setReaderState(state: DeviceStateName): void {
    if (state === this.readerState) return;
    this.readerState = state;
    this.emit('changed', this.state());
  }

  /** Forget cached catalogue data (after a checkout/checkin changed an item's state). */
  invalidate(barcodes: string[]): void {
    for (const b of barcodes) this.itemCache.delete(b);
  }

  arrived(tag: RfidTag): void {
    const usage = tag.item?.usage;
    const rec: TagRecord = {
      uid: tag.uid,
      barcode: tag.item?.primaryItemId ?? null,
      problem: tag.item ? null : (tag.error?.code ?? 'unreadable'),
      resolved: null,
    };
    this.tags.set(tag.uid, rec);
    this.emit('changed', this.state());
    this.pendingResolves++;
    void this.resolve(rec, usage === 'patron-card')
      .catch(() => {
        rec.resolved = { kind: 'unknown' };
      })
      .finally(() => {
        this.pendingResolves--;
        if (this.tags.get(rec.uid) === rec) this.emit('changed', this.state());
      });
  }

  departed(d: RfidDeparture): void {
    if (this.tags.delete(d.uid)) this.emit('changed', this.state());
  }

  clear(): void {
    if (this.tags.size === 0) return;
    this.tags.clear();
    this.emit('changed', this.state());
  }

  /** Resolves once every arrival seen so far has been looked up. */
  async settled(): Promise<void> {
    while (this.pendingResolves > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private async item(barcode: string): Promise<ItemInformation | null> {
    if (this.itemCache.has(barcode)) return this.itemCache.get(barcode) ?? null;
    const r = await this.backend.itemInformation(barcode);
    const info = r.ok ? r.item : null;
    this.itemCache.set(barcode, info);
    return info;
  }

  private async resolve(rec: TagRecord, cardUsage: boolean): Promise<void> {
    if (rec.barcode && !cardUsage) {
      const info = await this.item(rec.barcode);
      if (info) {
        rec.resolved = { kind: 'item', info };
        return;
      }
    }
    // A patron card: by the number on its tag, or by its UID registered as an alternative id.
    for (const id of [rec.barcode, rec.uid]) {
      if (!id) continue;
      const p = await this.backend.lookupPatron(id);
      if (p.ok) {
        rec.resolved = { kind: 'card', barcode: p.patron.barcode };
        rec.problem = null;
        return;
      }
    }
    rec.resolved = { kind: 'unknown' };
    if (!rec.problem) rec.problem = rec.barcode ? 'unknown_item' : 'unreadable';
  }

  /** UIDs on the pad carrying a barcode. */
  uidsFor(barcode: string): string[] {
    return [...this.tags.values()].filter((t) => t.barcode === barcode).map((t) => t.uid);
  }

  /** Barcodes of the items on the pad. */
  barcodes(): string[] {
    return [...new Set([...this.tags.values()].filter((t) => t.resolved?.kind === 'item').map((t) => t.barcode!))];
  }

  entry(barcode: string): PadEntry | undefined {
    return this.state().entries.find((e) => e.barcode === barcode || e.kit?.present.some((p) => p.barcode === barcode));
  }

  state(): PadState {
    const entries: PadEntry[] = [];
    const kits = new Map<string, { info: ItemInformation; uids: string[]; present: Map<string, number> }>();
    for (const t of this.tags.values()) {
      const r = t.resolved;
      if (!r) {
        entries.push({ key: t.uid, kind: 'unreadable', barcode: t.barcode, title: null, kit: null, uids: [t.uid], problem: t.problem ?? 'reading' });
        continue;
      }
      if (r.kind === 'card') {
        entries.push({ key: `card:${r.barcode}`, kind: 'card', barcode: r.barcode, title: null, kit: null, uids: [t.uid], problem: null });
        continue;
      }
      if (r.kind === 'unknown') {
        entries.push({ key: t.uid, kind: 'unreadable', barcode: t.barcode, title: null, kit: null, uids: [t.uid], problem: t.problem });
        continue;
      }
      const info = r.info;
      if (info.kit) {
        let k = kits.get(info.kit.code);
        if (!k) kits.set(info.kit.code, (k = { info, uids: [], present: new Map() }));
        k.uids.push(t.uid);
        k.present.set(info.barcode, info.kit.partNumber);
        continue;
      }
      const existing = entries.find((e) => e.kind === 'item' && e.barcode === info.barcode);
      if (existing) existing.uids.push(t.uid);
      else entries.push({ key: info.barcode, kind: 'item', barcode: info.barcode, title: info.title, kit: null, uids: [t.uid], problem: null });
    }
    for (const [code, k] of kits) {
      const kit = k.info.kit!;
      const present = [...k.present.entries()].map(([barcode, partNumber]) => ({ partNumber, barcode })).sort((a, b) => a.partNumber - b.partNumber);
      const missing = kit.parts.filter((p) => !k.present.has(p.barcode)).map((p) => ({ partNumber: p.partNumber, barcode: p.barcode, title: p.title }));
      entries.push({
        key: `kit:${code}`,
        kind: 'kit',
        barcode: kit.leadBarcode,
        title: kit.title,
        kit: { code, title: kit.title, partsTotal: kit.partsTotal, present, missing, complete: missing.length === 0 },
        uids: k.uids,
        problem: null,
      });
    }
    return { entries, reader: this.readerState };
  }
}
