/**
 * A virtual RFID pad: the RF field with the ISO 15693 tags lying on it, the USB cable (plugged or
 * not) and the faults a test or the simulator panel wants to see. Protocol-neutral: the reader
 * front-ends (3m810.simulator.ts, feig-isc.simulator.ts) turn their frames into the ISO 15693
 * operations below and their results back into frames; every operation reports the air time it
 * took according to air-time.ts, which the front-end adds to the delay of its answer.
 *
 * A tag: 8-byte UID, user memory of `blockCount` blocks of 4 bytes (ICODE SLI: 28), AFI, DSFID,
 * NXP EAS bit, per-block locks and AFI/DSFID/EAS locks. `libraryTag()` builds one from item data
 * with the project's codecs (ISO 28560-3, ISO 28560-2 or 3M 501), so what the driver reads is what a
 * real library tag holds.
 *
 * Deterministic: UIDs come from a seeded generator; nothing reads the clock.
 */

import { TypedEmitter } from '../device.ts';
import { mulberry32 } from '../seeded-random.ts';
import { bytesToHex, copyBytes } from '../../protocols/crc/index.ts';
import {
  AFI_ISO28560,
  DSFID_ISO28560_2,
  encodeIso28560_2,
  encodeIso28560_3,
  encodeRfid501,
  padToBlocks,
  reverseBlockBytes,
  type AfiPair,
  type SetInfo,
} from '../../protocols/iso28560/index.ts';
import {
  ISO15693_FRAME_BYTES,
  easAlarmAirUs,
  exchangeUs,
  inventoryAirTime,
  noAnswerAirUs,
  readBlocksAirUs,
  setEasAirUs,
  systemInfoAirUs,
  writeBlocksAirUs,
  writeValueAirUs,
} from './air-time.ts';

export const SIM_BLOCK_SIZE = 4;

/** An ISO 15693 error answer: flags, error code, CRC. */
const ERROR_ANSWER_BYTES = 4;

/** What to put on the pad. Everything but the UID has an ICODE SLI-like default. */
export interface SimTagSpec {
  /** 16 hex digits; generated (E00401…) when absent. */
  uid?: string;
  /** User memory in memory order; zero-padded to `blockCount` blocks. */
  memory?: Uint8Array;
  /** Default 28 (ICODE SLI, 112 bytes). */
  blockCount?: number;
  afi?: number;
  dsfid?: number;
  eas?: boolean;
  lockedBlocks?: readonly number[];
  afiLocked?: boolean;
  dsfidLocked?: boolean;
  easLocked?: boolean;
  /** IC reference byte reported by get-system-info. */
  icReference?: number;
  /** A label for the simulator panel ("Harry Potter 1/3"). */
  label?: string;
}

/** A tag as the pad holds it (snapshots handed out are copies). */
export interface SimTag {
  uid: string;
  blockCount: number;
  memory: Uint8Array;
  lockedBlocks: number[];
  afi: number;
  afiLocked: boolean;
  dsfid: number;
  dsfidLocked: boolean;
  eas: boolean;
  easLocked: boolean;
  icReference: number;
  label?: string;
}

/** Faults the pad injects. Counted faults fire on the next `count` (default 1) matching events. */
export type PadFault =
  /** The next answers leave the reader with a corrupted CRC (line noise). */
  | { kind: 'crc-error'; count?: number }
  /** The reader swallows the next requests (no answer at all). */
  | { kind: 'no-answer'; count?: number }
  /** Line noise: a few stray bytes arrive just before each of the next answers. */
  | { kind: 'line-noise'; count?: number }
  /** The next writes (blocks, AFI, DSFID, EAS) are refused as if locked. */
  | { kind: 'write-refused'; count?: number; uid?: string }
  /**
   * The next LOCK BLOCK commands are refused as if locked (ISO error 0x12), while data writes still
   * go through: a tag whose lock is password-protected or disabled by its vendor.
   */
  | { kind: 'lock-refused'; count?: number; uid?: string }
  /** The next writes fail with an RF write error (not enough power; worth retrying). */
  | { kind: 'write-error'; count?: number; uid?: string }
  /** The next block reads fail with an RF read error. */
  | { kind: 'read-error'; count?: number; uid?: string }
  /** The tag leaves the field after `afterBlocks` (default 1) blocks of its next multi-block write. */
  | { kind: 'tag-removed-mid-write'; uid: string; afterBlocks?: number }
  /** The next inventories report every UID twice (the 3M firmware does this). */
  | { kind: 'duplicate-uids'; count?: number }
  /** The reader's USB cable is pulled: its port closes with an error until `replug()`. */
  | { kind: 'unplug'; reason?: string };

export type PadFaultKind = PadFault['kind'];

/**
 * Why a tag operation failed, in ISO 15693 terms (the front-ends map these to reader codes):
 * 'locked' = ISO error 0x12 (block locked, content cannot change), 'already-locked' = 0x11 (LOCK
 * BLOCK on a block that is locked already), 'block-unavailable' = 0x10.
 */
export type TagFailure = 'no-tag' | 'locked' | 'already-locked' | 'write-error' | 'read-error' | 'block-unavailable';

export type PadResult<T> = ({ ok: true; value: T } | { ok: false; error: TagFailure; done?: number }) & {
  /** Air time the operation took, in microseconds (air-time.ts). */
  airUs: number;
};

export interface PadInventory {
  tags: Array<{ uid: string; dsfid: number }>;
  airUs: number;
  rounds: number;
  collisions: number;
}

export interface PadSystemInfo {
  dsfid: number;
  afi: number;
  blockSize: number;
  blockCount: number;
  icReference: number;
}

export interface PadEvents {
  /** The set of tags (or a tag's content) changed. */
  'tags.changed': [SimTag[]];
  'faults.changed': [PadFault[]];
  unplugged: [string];
  plugged: [];
}

export interface RfidPadOptions {
  /** Seed of the UID generator (default 1). */
  seed?: number;
}

function checkByte(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${name} must be 0–255: ${v}`);
}

function snapshot(t: SimTag): SimTag {
  return { ...t, memory: copyBytes(t.memory), lockedBlocks: [...t.lockedBlocks] };
}

interface ActiveFault {
  fault: PadFault;
  remaining: number;
}

export class RfidPad extends TypedEmitter<PadEvents> {
  private readonly tags = new Map<string, SimTag>();
  private faults: ActiveFault[] = [];
  private isPlugged = true;
  private readonly random: () => number;

  constructor(options: RfidPadOptions = {}) {
    super();
    this.random = mulberry32(options.seed ?? 1);
  }

  // ------------------------------------------------------------------------------------- controls

  /** Puts a tag on the pad; returns its UID. Replaces a tag with the same UID. */
  placeTag(spec: SimTagSpec = {}): string {
    const uid = this.addTag(spec);
    this.changed();
    return uid;
  }

  /** Puts several tags on the pad at once (one change event: "a stack placed"). */
  placeTags(specs: readonly SimTagSpec[]): string[] {
    const uids = specs.map((s) => this.addTag(s));
    this.changed();
    return uids;
  }

  removeTag(uid: string): boolean {
    const gone = this.tags.delete(uid.toUpperCase());
    if (gone) this.changed();
    return gone;
  }

  /** Takes every tag off the pad. */
  clear(): void {
    if (this.tags.size === 0) return;
    this.tags.clear();
    this.changed();
  }

  listTags(): SimTag[] {
    return [...this.tags.values()].map(snapshot);
  }

  getTag(uid: string): SimTag | undefined {
    const t = this.tags.get(uid.toUpperCase());
    return t ? snapshot(t) : undefined;
  }

  /** Locks blocks / AFI / DSFID / EAS of a tag on the pad (as a library would after programming). */
  lock(uid: string, what: { blocks?: readonly number[]; afi?: boolean; dsfid?: boolean; eas?: boolean }): void {
    const t = this.mustGet(uid);
    for (const b of what.blocks ?? []) if (!t.lockedBlocks.includes(b)) t.lockedBlocks.push(b);
    if (what.afi) t.afiLocked = true;
    if (what.dsfid) t.dsfidLocked = true;
    if (what.eas) t.easLocked = true;
    this.changed();
  }

  setFault(fault: PadFault): void {
    if (fault.kind === 'unplug') {
      this.unplug(fault.reason);
      return;
    }
    const remaining = fault.kind === 'tag-removed-mid-write' ? 1 : Math.max(1, fault.count ?? 1);
    this.faults.push({ fault, remaining });
    this.emit('faults.changed', this.activeFaults());
  }

  clearFaults(): void {
    this.faults = [];
    this.emit('faults.changed', []);
  }

  activeFaults(): PadFault[] {
    return this.faults.map((f) =>
      f.fault.kind === 'tag-removed-mid-write' ? { ...f.fault } : ({ ...f.fault, count: f.remaining } as PadFault),
    );
  }

  get plugged(): boolean {
    return this.isPlugged;
  }

  /** Pulls the reader's cable: connected ports close with an error; opening fails until replug. */
  unplug(reason = 'USB device disconnected'): void {
    if (!this.isPlugged) return;
    this.isPlugged = false;
    this.emit('unplugged', reason);
  }

  replug(): void {
    if (this.isPlugged) return;
    this.isPlugged = true;
    this.emit('plugged');
  }

  /** Generates a UID the way ICODE SLIX tags look: E0 04 01 + 5 serial bytes. */
  nextUid(): string {
    let uid: string;
    do {
      const serial: number[] = [];
      for (let i = 0; i < 5; i++) serial.push(Math.floor(this.random() * 256));
      uid = `E00401${bytesToHex(Uint8Array.from(serial), '')}`;
    } while (this.tags.has(uid));
    return uid;
  }

  // ------------------------------------------------------------------- ISO 15693 (for front-ends)

  /** Consumes one occurrence of a line-level fault ('crc-error', 'no-answer', 'line-noise'). */
  takeLineFault(kind: 'crc-error' | 'no-answer' | 'line-noise'): boolean {
    return this.take((f) => f.kind === kind);
  }

  /** A full anti-collision inventory; `afi` 0 means every tag answers (ISO 15693-3 §8). */
  inventory(afi = 0): PadInventory {
    const answering = [...this.tags.values()].filter((t) => afi === 0 || t.afi === afi);
    const air = inventoryAirTime(
      answering.map((t) => t.uid),
      afi !== 0,
    );
    let tags = answering.map((t) => ({ uid: t.uid, dsfid: t.dsfid }));
    if (tags.length > 0 && this.take((f) => f.kind === 'duplicate-uids')) tags = tags.flatMap((t) => [t, { ...t }]);
    return { tags, airUs: air.us, rounds: air.rounds, collisions: air.collisions };
  }

  readBlocks(uid: string, first: number, count: number, withSecurity: boolean): PadResult<{ data: Uint8Array; locked: boolean[] }> {
    const t = this.tags.get(uid.toUpperCase());
    if (!t) return { ok: false, error: 'no-tag', airUs: noAnswerAirUs(ISO15693_FRAME_BYTES.readRequest) };
    if (count < 1 || first + count > t.blockCount) {
      // The tag answers with ISO error 0x10 (block not available): a short error answer.
      return { ok: false, error: 'block-unavailable', airUs: exchangeUs(ISO15693_FRAME_BYTES.readRequest, ERROR_ANSWER_BYTES) };
    }
    const airUs = readBlocksAirUs(count, withSecurity);
    if (this.take((f) => f.kind === 'read-error' && (f.uid === undefined || f.uid === t.uid))) {
      return { ok: false, error: 'read-error', airUs };
    }
    const data = copyBytes(t.memory, first * SIM_BLOCK_SIZE, (first + count) * SIM_BLOCK_SIZE);
    const locked: boolean[] = [];
    for (let b = first; b < first + count; b++) locked.push(t.lockedBlocks.includes(b));
    return { ok: true, value: { data, locked }, airUs };
  }

  /**
   * Writes whole blocks one by one (ICODE SLI has no write-multiple; readers loop write-single).
   * Stops at the first block that fails; `done` counts the blocks written before it.
   */
  writeBlocks(uid: string, first: number, data: Uint8Array): PadResult<{ blocks: number }> {
    const count = data.length / SIM_BLOCK_SIZE;
    const t = this.tags.get(uid.toUpperCase());
    if (!t) return { ok: false, error: 'no-tag', airUs: noAnswerAirUs(ISO15693_FRAME_BYTES.writeBlockRequest) };
    if (!Number.isInteger(count) || count < 1 || first + count > t.blockCount) {
      return { ok: false, error: 'block-unavailable', airUs: exchangeUs(ISO15693_FRAME_BYTES.writeBlockRequest, ERROR_ANSWER_BYTES) };
    }
    let airUs = 0;
    for (let i = 0; i < count; i++) {
      const block = first + i;
      const removal = this.faults.find(
        (f) => f.fault.kind === 'tag-removed-mid-write' && f.fault.uid.toUpperCase() === t.uid && (f.fault.afterBlocks ?? 1) <= i,
      );
      if (removal) {
        this.faults = this.faults.filter((f) => f !== removal);
        this.tags.delete(t.uid);
        this.changed();
        this.emit('faults.changed', this.activeFaults());
        return { ok: false, error: 'no-tag', done: i, airUs: airUs + noAnswerAirUs(ISO15693_FRAME_BYTES.writeBlockRequest) };
      }
      const failure = this.writeFailure(t, t.lockedBlocks.includes(block));
      airUs += writeBlocksAirUs(1);
      if (failure) {
        if (i > 0) this.changed();
        return { ok: false, error: failure, done: i, airUs };
      }
      t.memory.set(data.subarray(i * SIM_BLOCK_SIZE, (i + 1) * SIM_BLOCK_SIZE), block * SIM_BLOCK_SIZE);
    }
    this.changed();
    return { ok: true, value: { blocks: count }, airUs };
  }

  /**
   * ISO 15693 LOCK BLOCK (0x22): write-protects one block for good. A block past the end of memory
   * answers 0x10, a block locked already 0x11 ("already locked"); injected refusals and RF write
   * errors apply as to any write.
   */
  lockBlock(uid: string, block: number): PadResult<null> {
    const r = this.lockBlocks(uid, block, 1);
    return r.ok ? { ok: true, value: null, airUs: r.airUs } : r;
  }

  /**
   * LOCK BLOCK for `count` blocks from `first`, one after the other (what a reader's "lock multiple
   * blocks" does on the air). Stops at the first block that fails; `done` counts the blocks locked
   * before it.
   */
  lockBlocks(uid: string, first: number, count: number): PadResult<{ blocks: number }> {
    const t = this.tags.get(uid.toUpperCase());
    if (!t) return { ok: false, error: 'no-tag', airUs: noAnswerAirUs(ISO15693_FRAME_BYTES.writeValueRequest) };
    let airUs = 0;
    let locked = 0;
    const stop = (error: TagFailure): PadResult<{ blocks: number }> => {
      if (locked > 0) this.changed();
      return { ok: false, error, done: locked, airUs };
    };
    for (let i = 0; i < count; i++) {
      const block = first + i;
      const removal = this.faults.find((f) => f.fault.kind === 'tag-removed-mid-write' && f.fault.uid.toUpperCase() === t.uid);
      if (removal) {
        this.faults = this.faults.filter((f) => f !== removal);
        this.tags.delete(t.uid);
        this.emit('faults.changed', this.activeFaults());
        airUs += noAnswerAirUs(ISO15693_FRAME_BYTES.writeValueRequest);
        this.changed();
        return { ok: false, error: 'no-tag', done: locked, airUs };
      }
      if (block >= t.blockCount) {
        airUs += exchangeUs(ISO15693_FRAME_BYTES.writeValueRequest, ERROR_ANSWER_BYTES);
        return stop('block-unavailable');
      }
      airUs += writeValueAirUs();
      if (t.lockedBlocks.includes(block)) return stop('already-locked');
      if (this.take((f) => f.kind === 'lock-refused' && (f.uid === undefined || f.uid.toUpperCase() === t.uid))) return stop('locked');
      const failure = this.writeFailure(t, false);
      if (failure) return stop(failure);
      t.lockedBlocks.push(block);
      t.lockedBlocks.sort((x, y) => x - y);
      locked++;
    }
    this.changed();
    return { ok: true, value: { blocks: count }, airUs };
  }

  /** ISO 15693 GET MULTIPLE BLOCK SECURITY STATUS (0x2C): the lock flag of each block. */
  blockSecurity(uid: string, first: number, count: number): PadResult<boolean[]> {
    const t = this.tags.get(uid.toUpperCase());
    if (!t) return { ok: false, error: 'no-tag', airUs: noAnswerAirUs(ISO15693_FRAME_BYTES.readRequest) };
    if (count < 1 || first + count > t.blockCount) {
      return { ok: false, error: 'block-unavailable', airUs: exchangeUs(ISO15693_FRAME_BYTES.readRequest, ERROR_ANSWER_BYTES) };
    }
    const value: boolean[] = [];
    for (let b = first; b < first + count; b++) value.push(t.lockedBlocks.includes(b));
    // Answer: flags, one status byte per block, CRC.
    return { ok: true, value, airUs: exchangeUs(ISO15693_FRAME_BYTES.readRequest, 3 + count) };
  }

  writeAfi(uid: string, afi: number): PadResult<null> {
    checkByte('AFI', afi);
    return this.valueWrite(uid, (t) => void (t.afi = afi), (t) => t.afiLocked);
  }

  lockAfi(uid: string): PadResult<null> {
    return this.valueWrite(uid, (t) => void (t.afiLocked = true), (t) => t.afiLocked);
  }

  writeDsfid(uid: string, dsfid: number): PadResult<null> {
    checkByte('DSFID', dsfid);
    return this.valueWrite(uid, (t) => void (t.dsfid = dsfid), (t) => t.dsfidLocked);
  }

  lockDsfid(uid: string): PadResult<null> {
    return this.valueWrite(uid, (t) => void (t.dsfidLocked = true), (t) => t.dsfidLocked);
  }

  /** NXP custom SET EAS (0xA2) / RESET EAS (0xA3). */
  setEas(uid: string, on: boolean): PadResult<null> {
    const t = this.tags.get(uid.toUpperCase());
    if (!t) return { ok: false, error: 'no-tag', airUs: noAnswerAirUs(ISO15693_FRAME_BYTES.easRequest) };
    const failure = this.writeFailure(t, t.easLocked);
    if (failure) return { ok: false, error: failure, airUs: setEasAirUs() };
    t.eas = on;
    this.changed();
    return { ok: true, value: null, airUs: setEasAirUs() };
  }

  lockEas(uid: string): PadResult<null> {
    const t = this.tags.get(uid.toUpperCase());
    if (!t) return { ok: false, error: 'no-tag', airUs: noAnswerAirUs(ISO15693_FRAME_BYTES.easRequest) };
    t.easLocked = true;
    this.changed();
    return { ok: true, value: null, airUs: setEasAirUs() };
  }

  /**
   * NXP EAS ALARM (0xA5), addressed: only a tag with EAS = 1 answers (devices.md §1.1), so "no
   * answer" is both "EAS off" and "no tag"; `value` tells which when the tag is there.
   */
  easAlarm(uid: string): PadResult<boolean> {
    const t = this.tags.get(uid.toUpperCase());
    if (!t) return { ok: false, error: 'no-tag', airUs: easAlarmAirUs(false) };
    return { ok: true, value: t.eas, airUs: easAlarmAirUs(t.eas) };
  }

  systemInfo(uid: string): PadResult<PadSystemInfo> {
    const t = this.tags.get(uid.toUpperCase());
    if (!t) return { ok: false, error: 'no-tag', airUs: noAnswerAirUs(ISO15693_FRAME_BYTES.systemInfoRequest) };
    return {
      ok: true,
      value: { dsfid: t.dsfid, afi: t.afi, blockSize: SIM_BLOCK_SIZE, blockCount: t.blockCount, icReference: t.icReference },
      airUs: systemInfoAirUs(),
    };
  }

  /** Stay quiet / select / reset to ready: accepted, with the air time of a short addressed command. */
  addressed(uid: string): PadResult<null> {
    const t = this.tags.get(uid.toUpperCase());
    if (!t) return { ok: false, error: 'no-tag', airUs: noAnswerAirUs(12) };
    return { ok: true, value: null, airUs: systemInfoAirUs() };
  }

  // ------------------------------------------------------------------------------------- private

  private addTag(spec: SimTagSpec): string {
    const uid = (spec.uid ?? this.nextUid()).toUpperCase();
    if (!/^[0-9A-F]{16}$/.test(uid)) throw new RangeError(`UID must be 16 hex digits: ${uid}`);
    const blockCount = spec.blockCount ?? 28;
    if (!Number.isInteger(blockCount) || blockCount < 1 || blockCount > 256) throw new RangeError(`blockCount ${blockCount}`);
    const memory = new Uint8Array(blockCount * SIM_BLOCK_SIZE);
    if (spec.memory) {
      if (spec.memory.length > memory.length) {
        throw new RangeError(`${spec.memory.length} bytes do not fit ${blockCount} blocks`);
      }
      memory.set(spec.memory);
    }
    const tag: SimTag = {
      uid,
      blockCount,
      memory,
      lockedBlocks: [...(spec.lockedBlocks ?? [])],
      afi: spec.afi ?? 0,
      afiLocked: spec.afiLocked ?? false,
      dsfid: spec.dsfid ?? 0,
      dsfidLocked: spec.dsfidLocked ?? false,
      eas: spec.eas ?? false,
      easLocked: spec.easLocked ?? false,
      icReference: spec.icReference ?? 0x01,
    };
    checkByte('AFI', tag.afi);
    checkByte('DSFID', tag.dsfid);
    if (spec.label !== undefined) tag.label = spec.label;
    this.tags.set(uid, tag);
    return uid;
  }

  private mustGet(uid: string): SimTag {
    const t = this.tags.get(uid.toUpperCase());
    if (!t) throw new RangeError(`no tag ${uid} on the pad`);
    return t;
  }

  private valueWrite(
    uid: string,
    apply: (t: SimTag) => TagFailure | undefined,
    locked: (t: SimTag) => boolean,
  ): PadResult<null> {
    const t = this.tags.get(uid.toUpperCase());
    if (!t) return { ok: false, error: 'no-tag', airUs: noAnswerAirUs(ISO15693_FRAME_BYTES.writeValueRequest) };
    const airUs = writeValueAirUs();
    const removal = this.faults.find((f) => f.fault.kind === 'tag-removed-mid-write' && f.fault.uid.toUpperCase() === t.uid);
    if (removal) {
      this.faults = this.faults.filter((f) => f !== removal);
      this.tags.delete(t.uid);
      this.changed();
      return { ok: false, error: 'no-tag', airUs: noAnswerAirUs(ISO15693_FRAME_BYTES.writeValueRequest) };
    }
    const failure = this.writeFailure(t, locked(t));
    if (failure) return { ok: false, error: failure, airUs };
    const err = apply(t);
    if (err) return { ok: false, error: err, airUs };
    this.changed();
    return { ok: true, value: null, airUs };
  }

  /** Locked memory, then injected refusals and RF write errors, in that order. */
  private writeFailure(t: SimTag, locked: boolean): TagFailure | undefined {
    if (locked) return 'locked';
    if (this.take((f) => f.kind === 'write-refused' && (f.uid === undefined || f.uid.toUpperCase() === t.uid))) return 'locked';
    if (this.take((f) => f.kind === 'write-error' && (f.uid === undefined || f.uid.toUpperCase() === t.uid))) return 'write-error';
    return undefined;
  }

  private take(match: (f: PadFault) => boolean): boolean {
    const hit = this.faults.find((f) => match(f.fault));
    if (!hit) return false;
    hit.remaining--;
    if (hit.remaining <= 0) this.faults = this.faults.filter((f) => f !== hit);
    this.emit('faults.changed', this.activeFaults());
    return true;
  }

  private changed(): void {
    this.emit('tags.changed', this.listTags());
  }
}

// ------------------------------------------------------------------------------- library tag helpers

export interface LibraryTagSpec {
  uid?: string;
  /** Primary item identifier (barcode). */
  barcode: string;
  /** Owner library ISIL, e.g. "SI-51000" (ISO models; ignored by 3M 501). */
  ownerIsil?: string;
  /** Part n of m of a kit. */
  set?: SetInfo;
  /** Default 'iso28560-3'. */
  model?: 'iso28560-3' | 'iso28560-2' | '3m-501';
  /** In the library (secured) by default. */
  secured?: boolean;
  /** The site's AFI pair (default ISO 28560: 0x07 / 0xC2). EAS follows `secured` too. */
  afiPair?: AfiPair;
  /** ISO 28560-3 nibble (default 1) / ISO 28560-2 byte (default 0x10): circulating. */
  typeOfUsage?: number;
  blockCount?: number;
  /** Store each block byte-reversed (the FKI/FEIG-host quirk, devices.md §1.3). */
  reversedBlocks?: boolean;
  lockedBlocks?: readonly number[];
  afiLocked?: boolean;
  easLocked?: boolean;
  label?: string;
}

/** Builds the pad spec of a programmed library tag, encoding the item with the project's codecs. */
export function libraryTag(spec: LibraryTagSpec): SimTagSpec {
  const model = spec.model ?? 'iso28560-3';
  const blockCount = spec.blockCount ?? 28;
  let memory: Uint8Array;
  let dsfid = 0;
  if (model === 'iso28560-3') {
    const r = encodeIso28560_3({
      typeOfUsage: spec.typeOfUsage ?? 1,
      primaryItemId: spec.barcode,
      partsInSet: spec.set?.partsInSet ?? 1,
      partNumber: spec.set?.partNumber ?? 1,
      ...(spec.ownerIsil !== undefined ? { isil: spec.ownerIsil } : {}),
    });
    if (!r.ok) throw new RangeError(`cannot encode ISO 28560-3 tag: ${r.error.message}`);
    memory = r.bytes;
  } else if (model === 'iso28560-2') {
    const r = encodeIso28560_2({
      primaryItemId: spec.barcode,
      typeOfUsage: spec.typeOfUsage ?? 0x10,
      ...(spec.ownerIsil !== undefined ? { ownerInstitution: spec.ownerIsil } : {}),
      ...(spec.set !== undefined ? { setInfo: spec.set } : {}),
    });
    if (!r.ok) throw new RangeError(`cannot encode ISO 28560-2 tag: ${r.error.message}`);
    memory = r.bytes;
    dsfid = DSFID_ISO28560_2;
  } else {
    const r = encodeRfid501({ primaryItemId: spec.barcode, ...(spec.set !== undefined ? { setInfo: spec.set } : {}) });
    if (!r.ok) throw new RangeError(`cannot encode 3M 501 tag: ${r.error.message}`);
    memory = r.bytes;
  }
  memory = padToBlocks(memory, SIM_BLOCK_SIZE);
  if (spec.reversedBlocks) memory = reverseBlockBytes(memory, SIM_BLOCK_SIZE);
  const secured = spec.secured ?? true;
  const pair = spec.afiPair ?? AFI_ISO28560;
  const out: SimTagSpec = {
    memory,
    blockCount,
    afi: secured ? pair.secured : pair.unsecured,
    dsfid,
    eas: secured,
  };
  if (spec.uid !== undefined) out.uid = spec.uid;
  if (spec.lockedBlocks !== undefined) out.lockedBlocks = spec.lockedBlocks;
  if (spec.afiLocked !== undefined) out.afiLocked = spec.afiLocked;
  if (spec.easLocked !== undefined) out.easLocked = spec.easLocked;
  out.label = spec.label ?? (spec.set ? `${spec.barcode} ${spec.set.partNumber}/${spec.set.partsInSet}` : spec.barcode);
  return out;
}

/** The tags of a kit: one per part, `parts` of them, sharing a barcode (part n of m). */
export function kitTags(spec: Omit<LibraryTagSpec, 'set' | 'uid'> & { parts: number }): SimTagSpec[] {
  const out: SimTagSpec[] = [];
  for (let n = 1; n <= spec.parts; n++) out.push(libraryTag({ ...spec, set: { partNumber: n, partsInSet: spec.parts } }));
  return out;
}
