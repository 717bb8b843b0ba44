/**
 * What every serial RFID reader driver shares, whatever its frames: the port (serialport's
 * `SerialPortStream` with an injected binding, the native one by default), one request in flight
 * at a time with a response timeout, frame splitting with resynchronisation (the protocol's
 * splitter from protocols/), a bounded line-retry budget, the device state, continuous inventory
 * with arrival/departure tracking, verify-after-write, the security write policy and tag
 * programming. A family driver (3m810.driver.ts, feig-isc.driver.ts) supplies the splitter and the
 * ISO 15693 operations in its own frames (`proto*` methods).
 *
 * State (drivers/device.ts): open() → 'connecting' → probe answered → 'ready'. Consecutive line
 * errors (timeouts, CRC/framing) reaching `degradeAfterLineErrors` → 'degraded' with the reason;
 * the next clean exchange → 'ready'. The port closing under us with an error (a pulled USB cable:
 * `SerialPortStream` emits 'close' with a DisconnectedError) → 'offline' with "unplugged: …", every
 * waiting operation rejects with `unplugged`, and the presence of tags is forgotten
 * (`tag.departed` with reason 'reader-offline'). Reopening and backoff are the daemon's; a later
 * successful open() resumes a continuous inventory that was started.
 *
 * Retry policy:
 *  - line: each exchange is tried 1 + `lineRetries` (default 2) times on timeout / CRC / protocol
 *    errors; a new attempt first drops whatever half-frame is buffered;
 *  - tag: reads are repeated up to `tagRetries` (2) times on intermittent RF errors (3M 0x15/0x16,
 *    FEIG 0x83/0x03), as Biblio-RFID found necessary;
 *  - write: write + read-back compare, up to `writeAttempts` (2) rounds;
 *  - security: read state, write AFI and/or EAS, read back, up to `securityAttempts` (4) rounds with
 *    `securityRetryDelayMs` × round between them (20, 40, 60 ms: a tag at the edge of the field gets
 *    a moment to settle, the patron waits at most a few hundred ms). Locked AFI/EAS, unplugged or
 *    closed stop at once. On failure the driver restores what it changed (AFI+EAS sites: one half
 *    may have taken) and rejects: a failed security write leaves the tag as it found it, so the
 *    daemon's "failed" is true of the tag too.
 *  - lock: blocks already locked are skipped; the rest are locked in runs of consecutive blocks
 *    (the family's frame size), then the lock state is read back. Blocks still unlocked after an
 *    intermittent RF error are tried again, up to `tagRetries` more passes; a refusal (the tag
 *    says "locked"/"not available") is not retried. Every requested block ends up in the result
 *    as locked, already locked or failed: a partial lock is reported, never hidden.
 */

import { performance } from 'node:perf_hooks';
import { SerialPortStream } from '@serialport/stream';
import pino, { type Logger } from 'pino';
import { Device, DeviceError, type DriverClock } from '../device.ts';
import { bytesEqual, bytesToHex, concatBytes, copyBytes, type FrameSplitter } from '../../protocols/crc/index.ts';
import {
  DSFID_ISO28560_2,
  detectAndDecode,
  padToBlocks,
  type AfiPair,
  type LibraryItemTag,
} from '../../protocols/iso28560/index.ts';
import {
  DEFAULT_SECURITY,
  RFID_ERROR,
  RFID_FINAL_ERRORS,
  resolveAfiPair,
  rfidError,
  type BlockLockFailure,
  type BlockLockResult,
  type InventoryEntry,
  type InventoryOptions,
  type ItemTagInput,
  type RfidCapabilities,
  type RfidDeparture,
  type RfidEvents,
  type RfidSecurityConfig,
  type RfidTag,
  type SecurityWriteResult,
  type TagSecurity,
  type TagUid,
} from './index.ts';
import { loadNativeBinding, type SerialBinding } from '../serial.ts';
import { encodeItemImage } from './item-image.ts';


export interface SerialRfidOptions {
  /** Device id for status and logs (default 'rfid'). */
  id?: string;
  /** Serial device path, e.g. /dev/ttyUSB0 (or a PTY, or any path the injected binding knows). */
  path: string;
  /** Default: the family's (3M 19200, FEIG 38400). */
  baudRate?: number;
  /** serialport binding; default the native one (`serialport`'s autoDetect). */
  binding?: SerialBinding;
  security?: Partial<RfidSecurityConfig>;
  /** Per attempt (default: the family's: 3M 1000 ms, FEIG 600 ms). */
  responseTimeoutMs?: number;
  lineRetries?: number;
  degradeAfterLineErrors?: number;
  tagRetries?: number;
  writeAttempts?: number;
  securityAttempts?: number;
  securityRetryDelayMs?: number;
  /** Blocks read on arrival (default 9 = 36 bytes: a whole ISO 28560-3 basic block or a 3M 501 image). */
  readBlockCount?: number;
  /** Reading goes on while the last block read is not all zero, up to this many blocks (default 28). */
  maxReadBlocks?: number;
  /** Inventories a present tag may be missing from before it departs (default 2). */
  departAfterMisses?: number;
  /** Cycles a failing arrival read is retried before the arrival is reported with its error (default 2). */
  arrivalReadAttempts?: number;
  /** Data model `writeItemTag` writes by default. */
  tagModel?: 'iso28560-3' | 'iso28560-2';
  clock?: DriverClock;
  /** Monotonic milliseconds for durations (default performance.now). */
  monotonicMs?: () => number;
  logger?: Logger;
}

/** What a family driver tells the base about its reader. */
export interface ReaderFamily {
  model: string;
  baudRate: number;
  parity: 'none' | 'even';
  /** Quiet time before each request (FEIG: ≥ 5 ms, devices.md §2.2). */
  requestGapMs: number;
  responseTimeoutMs: number;
  maxBlocksPerRead: number;
  maxBlocksPerWrite: number;
  /** Blocks one lock request covers (3M 08 locks one block; FEIG [B0 22] up to 32 of 4 bytes). */
  maxBlocksPerLock: number;
}

export interface LineCounters {
  exchanges: number;
  retries: number;
  timeouts: number;
  crcErrors: number;
  protocolErrors: number;
  strayFrames: number;
  garbageBytes: number;
}

interface Pending {
  what: string;
  accept(frame: Uint8Array): unknown;
  resolve(value: unknown): void;
  reject(err: DeviceError): void;
  timer: ReturnType<typeof setTimeout>;
  done: boolean;
}

interface PresentTag {
  tag: RfidTag;
  misses: number;
}

const LINE_ERRORS: ReadonlySet<string> = new Set([RFID_ERROR.timeout, RFID_ERROR.crc, RFID_ERROR.protocol]);

export function asDeviceError(e: unknown): DeviceError {
  if (e instanceof DeviceError) return e;
  return rfidError(RFID_ERROR.readerError, e instanceof Error ? e.message : String(e));
}

/** Accepts a UID in either case; the drivers speak uppercase. */
function uidOf(uid: string): TagUid {
  const up = typeof uid === 'string' ? uid.toUpperCase() : '';
  if (!/^[0-9A-F]{16}$/.test(up)) throw rfidError(RFID_ERROR.badRequest, `UID must be 16 hex digits: ${JSON.stringify(uid)}`);
  return up;
}

function copyTag(t: RfidTag): RfidTag {
  return t.data ? { ...t, data: copyBytes(t.data) } : { ...t };
}

function lastBlockNonZero(data: Uint8Array): boolean {
  return data.subarray(Math.max(0, data.length - 4)).some((b) => b !== 0);
}

/** Index of the block after the last non-zero byte. */
function usedBlocks(data: Uint8Array): number {
  for (let i = data.length - 1; i >= 0; i--) if (data[i] !== 0) return Math.floor(i / 4) + 1;
  return 0;
}


export abstract class SerialRfidReader extends Device<RfidEvents> implements RfidCapabilities {
  /** Firmware/version string the reader gave on open. */
  firmware: string | null = null;

  protected readonly log: Logger;
  protected readonly security: { method: RfidSecurityConfig['method']; afi: AfiPair };
  private readonly path: string;
  private readonly baudRate: number;
  private readonly binding: SerialBinding | undefined;
  private readonly responseTimeoutMs: number;
  private readonly lineRetries: number;
  private readonly degradeAfter: number;
  private readonly tagRetries: number;
  private readonly writeAttempts: number;
  private readonly securityAttempts: number;
  private readonly securityRetryDelayMs: number;
  private readonly readBlockCount: number;
  private readonly maxReadBlocks: number;
  private readonly departAfterMisses: number;
  private readonly arrivalReadAttempts: number;
  private readonly tagModel: 'iso28560-3' | 'iso28560-2';
  private readonly now: () => number;

  private port: SerialPortStream | undefined;
  private splitter: FrameSplitter | undefined;
  private pending: Pending | undefined;
  private queue: Promise<void> = Promise.resolve();
  private closing = false;
  private opening: Promise<void> | undefined;
  private lastPortError: Error | undefined;
  private consecutiveLineErrors = 0;
  private lastFrameAt = Number.NEGATIVE_INFINITY;
  private readonly counters: LineCounters = {
    exchanges: 0,
    retries: 0,
    timeouts: 0,
    crcErrors: 0,
    protocolErrors: 0,
    strayFrames: 0,
    garbageBytes: 0,
  };

  private inventoryWanted = false;
  private intervalMs = 250;
  private loop: Promise<void> | undefined;
  private wakeLoop: (() => void) | undefined;
  private readonly present = new Map<TagUid, PresentTag>();
  private readonly arrivalFailures = new Map<TagUid, number>();

  protected constructor(
    protected readonly family: ReaderFamily,
    options: SerialRfidOptions,
  ) {
    super(options.id ?? 'rfid', 'rfid', family.model, options.clock);
    this.path = options.path;
    this.baudRate = options.baudRate ?? family.baudRate;
    this.binding = options.binding;
    const sec = { ...DEFAULT_SECURITY, ...options.security };
    this.security = { method: sec.method, afi: resolveAfiPair(sec.afi) };
    this.responseTimeoutMs = options.responseTimeoutMs ?? family.responseTimeoutMs;
    this.lineRetries = options.lineRetries ?? 2;
    this.degradeAfter = options.degradeAfterLineErrors ?? 3;
    this.tagRetries = options.tagRetries ?? 2;
    this.writeAttempts = options.writeAttempts ?? 2;
    this.securityAttempts = options.securityAttempts ?? 4;
    this.securityRetryDelayMs = options.securityRetryDelayMs ?? 20;
    this.readBlockCount = options.readBlockCount ?? 9;
    this.maxReadBlocks = options.maxReadBlocks ?? 28;
    this.departAfterMisses = options.departAfterMisses ?? 2;
    this.arrivalReadAttempts = options.arrivalReadAttempts ?? 2;
    this.tagModel = options.tagModel ?? 'iso28560-3';
    this.now = options.monotonicMs ?? (() => performance.now());
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'rfid', device: this.id, model: family.model });
  }

  // --------------------------------------------------------------------------- family protocol

  protected abstract createSplitter(): FrameSplitter;
  /** Asks the reader who it is; resolves with a version string. */
  protected abstract probe(): Promise<string>;
  protected abstract protoInventory(): Promise<InventoryEntry[]>;
  protected abstract protoRead(uid: TagUid, firstBlock: number, count: number): Promise<Uint8Array>;
  protected abstract protoWrite(uid: TagUid, firstBlock: number, data: Uint8Array): Promise<void>;
  protected abstract protoBlockCount(uid: TagUid): Promise<number>;
  protected abstract protoGetAfi(uid: TagUid): Promise<number>;
  protected abstract protoWriteAfi(uid: TagUid, afi: number): Promise<void>;
  protected abstract protoGetEas(uid: TagUid): Promise<boolean>;
  protected abstract protoSetEas(uid: TagUid, on: boolean): Promise<void>;
  protected abstract protoGetDsfid(uid: TagUid): Promise<number>;
  protected abstract protoWriteDsfid(uid: TagUid, dsfid: number): Promise<void>;
  /** Locks `count` consecutive blocks (at most `maxBlocksPerLock`); rejects at the first that fails. */
  protected abstract protoLockBlocks(uid: TagUid, firstBlock: number, count: number): Promise<void>;
  /** Lock flags of `count` blocks (at most `maxBlocksPerRead`). */
  protected abstract protoReadLocks(uid: TagUid, firstBlock: number, count: number): Promise<boolean[]>;

  /**
   * One request/answer exchange. `accept` turns a CRC-valid frame into the answer, returns
   * undefined for a frame that is not the answer to this request (stray), or throws a DeviceError
   * (tag-level errors end the exchange; 'protocol' is retried like a line error).
   */
  protected exchange<T>(what: string, request: Uint8Array, accept: (frame: Uint8Array) => T | undefined): Promise<T> {
    return this.exclusive(async () => {
      let last: DeviceError | undefined;
      for (let attempt = 0; attempt <= this.lineRetries; attempt++) {
        if (attempt > 0) this.counters.retries++;
        try {
          const value = (await this.transact(what, request, accept)) as T;
          this.lineHealthy();
          return value;
        } catch (e) {
          const err = asDeviceError(e);
          if (!LINE_ERRORS.has(err.code)) throw err;
          last = err;
          this.lineTrouble(err);
        }
      }
      throw last ?? rfidError(RFID_ERROR.timeout, `${what}: no answer`);
    });
  }

  // ------------------------------------------------------------------------------- lifecycle

  open(): Promise<void> {
    if (this.port?.isOpen && (this.state === 'ready' || this.state === 'degraded')) return Promise.resolve();
    // Two callers opening at once share one attempt (one port, one probe).
    this.opening ??= this.doOpen().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async doOpen(): Promise<void> {
    this.setState('connecting', `opening ${this.path}`);
    let port: SerialPortStream;
    try {
      const binding = this.binding ?? (await loadNativeBinding());
      port = new SerialPortStream({
        binding,
        path: this.path,
        baudRate: this.baudRate,
        dataBits: 8,
        parity: this.family.parity,
        stopBits: 1,
        autoOpen: false,
      });
      // Without a listener an 'error' event would throw. A failed write destroys the stream, which
      // then emits 'close' without an argument: remember the error so the close can say why.
      port.on('error', (err: Error) => {
        this.lastPortError = err;
        this.log.warn({ err: err.message }, 'serial port error');
      });
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.setState('offline', `cannot open ${this.path}: ${msg}`, e);
      throw rfidError(RFID_ERROR.openFailed, `cannot open ${this.path}: ${msg}`);
    }
    this.port = port;
    this.lastPortError = undefined;
    this.splitter = this.createSplitter();
    this.consecutiveLineErrors = 0;
    this.lastFrameAt = Number.NEGATIVE_INFINITY;
    port.on('data', (chunk: Buffer) => this.onData(port, chunk));
    port.on('close', (err: Error | null) => this.onPortClose(port, err));
    try {
      this.firmware = await this.probe();
    } catch (e) {
      const err = asDeviceError(e);
      await this.closePort(port);
      this.setState('offline', `reader did not answer on ${this.path}: ${err.code}: ${err.message}`, err);
      throw rfidError(RFID_ERROR.openFailed, `reader did not answer on ${this.path}: ${err.message}`);
    }
    this.log.info({ path: this.path, firmware: this.firmware }, 'reader ready');
    this.setState('ready', null);
    if (this.inventoryWanted) this.ensureLoop();
  }

  async close(): Promise<void> {
    this.inventoryWanted = false;
    this.wakeLoop?.();
    const port = this.port;
    this.closing = true;
    try {
      this.failPending(rfidError(RFID_ERROR.closed, 'the driver was closed'));
      if (this.loop) await this.loop.catch(() => undefined);
      if (port) await this.closePort(port);
    } finally {
      this.closing = false;
      this.port = undefined;
    }
    this.forgetPresence('closed');
    this.setState('offline', 'closed');
  }

  lineCounters(): LineCounters {
    return { ...this.counters };
  }

  // ------------------------------------------------------------------------------- inventory

  async inventory(): Promise<InventoryEntry[]> {
    const entries = await this.protoInventory();
    // 3M firmware may list a UID twice in one answer (devices.md §2.1): keep the first.
    const seen = new Set<string>();
    return entries.filter((e) => (seen.has(e.uid) ? false : (seen.add(e.uid), true)));
  }

  startInventory(options: InventoryOptions = {}): void {
    if (options.intervalMs !== undefined) {
      if (!(options.intervalMs >= 0)) throw rfidError(RFID_ERROR.badRequest, `intervalMs ${options.intervalMs}`);
      this.intervalMs = options.intervalMs;
    }
    this.inventoryWanted = true;
    if (this.isUsable()) this.ensureLoop();
  }

  async stopInventory(): Promise<void> {
    this.inventoryWanted = false;
    this.wakeLoop?.();
    if (this.loop) await this.loop.catch(() => undefined);
  }

  get inventoryRunning(): boolean {
    return this.inventoryWanted;
  }

  presentTags(): RfidTag[] {
    return [...this.present.values()].map((p) => copyTag(p.tag));
  }

  // ------------------------------------------------------------------------------ read/write

  async read(uidIn: TagUid, firstBlock: number, count: number): Promise<Uint8Array> {
    const uid = uidOf(uidIn);
    this.checkRange(firstBlock, count);
    const parts: Uint8Array[] = [];
    for (let at = 0; at < count; at += this.family.maxBlocksPerRead) {
      const n = Math.min(this.family.maxBlocksPerRead, count - at);
      parts.push(await this.tagRetry(() => this.protoRead(uid, firstBlock + at, n)));
    }
    return concatBytes(...parts);
  }

  async readItem(uidIn: TagUid, dsfid?: number): Promise<RfidTag> {
    const uid = uidOf(uidIn);
    const data = await this.readUserData(uid);
    const det = detectAndDecode(data, dsfid !== undefined ? { dsfid } : {});
    const tag: RfidTag = { uid, data, seenAt: this.clock.now().toISOString() };
    if (dsfid !== undefined) tag.dsfid = dsfid;
    if (det.ok) tag.item = det.tag;
    else tag.error = det.error.blank ? { ...det.error, blank: det.error.blank } : { code: det.error.code, message: det.error.message };
    return tag;
  }

  async write(uidIn: TagUid, firstBlock: number, data: Uint8Array): Promise<void> {
    const uid = uidOf(uidIn);
    if (data.length === 0 || data.length % 4 !== 0) {
      throw rfidError(RFID_ERROR.badRequest, `write data must be whole 4-byte blocks, got ${data.length} bytes`);
    }
    const count = data.length / 4;
    this.checkRange(firstBlock, count);
    let last: DeviceError | undefined;
    for (let attempt = 1; attempt <= this.writeAttempts; attempt++) {
      try {
        // Block 0 last, on its own: it holds the ISO 28560 header (version and usage byte, the -2
        // precursor), so a write cut short (the tag taken off the pad) leaves a head that is still
        // blank or still the old one, which reads as blank or fails the CRC, never as a short item.
        const head = firstBlock === 0 && count > 1 ? 1 : 0;
        for (let at = head; at < count; at += this.family.maxBlocksPerWrite) {
          const n = Math.min(this.family.maxBlocksPerWrite, count - at);
          await this.protoWrite(uid, firstBlock + at, data.subarray(at * 4, (at + n) * 4));
        }
        if (head) await this.protoWrite(uid, 0, data.subarray(0, 4));
        const back = await this.read(uid, firstBlock, count);
        if (bytesEqual(back, data)) return;
        last = rfidError(RFID_ERROR.verifyFailed, `${uid} blocks ${firstBlock}–${firstBlock + count - 1}: read back differs from what was written`);
      } catch (e) {
        last = asDeviceError(e);
        if (RFID_FINAL_ERRORS.has(last.code)) throw last;
      }
      this.log.debug({ uid, attempt, code: last.code }, 'write not verified');
    }
    throw last ?? rfidError(RFID_ERROR.verifyFailed, `${uid}: write not verified`);
  }

  // -------------------------------------------------------------------------------- security

  async getSecurity(uidIn: TagUid): Promise<TagSecurity> {
    const uid = uidOf(uidIn);
    const method = this.security.method;
    const out: TagSecurity = { uid, state: 'unknown' };
    if (method !== 'eas') out.afi = await this.tagRetry(() => this.protoGetAfi(uid));
    if (method !== 'afi') out.eas = await this.tagRetry(() => this.protoGetEas(uid));
    out.state = this.judge(out.afi, out.eas);
    return out;
  }

  async setSecurity(uidIn: TagUid, secured: boolean): Promise<SecurityWriteResult> {
    const uid = uidOf(uidIn);
    const want = secured ? 'secured' : 'unsecured';
    const useAfi = this.security.method !== 'eas';
    const useEas = this.security.method !== 'afi';
    const targetAfi = secured ? this.security.afi.secured : this.security.afi.unsecured;

    let original: TagSecurity;
    try {
      original = await this.getSecurity(uid);
    } catch (e) {
      const err = asDeviceError(e);
      throw new DeviceError(err.code, `security ${want} on ${uid} failed: cannot read its state: ${err.message}`);
    }
    if (original.state === want) return { ...original, attempts: 0, changed: false };

    let current = original;
    let last: DeviceError | undefined;
    let attempts = 0;
    for (let round = 1; round <= this.securityAttempts; round++) {
      attempts = round;
      try {
        if (useAfi && current.afi !== targetAfi) await this.protoWriteAfi(uid, targetAfi);
        if (useEas && current.eas !== secured) await this.protoSetEas(uid, secured);
        current = await this.getSecurity(uid);
        if (current.state === want) {
          this.log.info({ uid, state: want, attempts }, 'security written');
          return { ...current, attempts, changed: true };
        }
        last = rfidError(
          RFID_ERROR.verifyFailed,
          `read back AFI ${hex(current.afi)} EAS ${current.eas ?? '-'} instead of ${want}`,
        );
      } catch (e) {
        last = asDeviceError(e);
        if (RFID_FINAL_ERRORS.has(last.code)) break;
      }
      if (round < this.securityAttempts) await delay(this.securityRetryDelayMs * round);
    }
    const failure = last ?? rfidError(RFID_ERROR.verifyFailed, 'not verified');
    const restored = await this.restoreSecurity(uid, original, failure);
    this.log.warn({ uid, want, attempts, code: failure.code, restored }, 'security write failed');
    throw new DeviceError(failure.code, `security ${want} on ${uid} failed after ${attempts} attempt(s): ${failure.message}; ${restored}`);
  }

  // ---------------------------------------------------------------------------- programming

  async writeItemTag(uidIn: TagUid, item: ItemTagInput): Promise<LibraryItemTag> {
    const uid = uidOf(uidIn);
    const model = item.model ?? this.tagModel;
    const encoded = encodeItemImage(item, this.tagModel);
    // Old data beyond the new image would read as extension blocks / trailing elements: clear it.
    const old = await this.readUserData(uid);
    const blocks = Math.max(Math.ceil(encoded.length / 4), usedBlocks(old));
    const image = padToBlocks(encoded, 4, blocks * 4);
    await this.write(uid, 0, image);

    const wantDsfid = model === 'iso28560-2' ? DSFID_ISO28560_2 : 0;
    const dsfid = await this.tagRetry(() => this.protoGetDsfid(uid));
    if (dsfid !== wantDsfid && (model === 'iso28560-2' || dsfid === DSFID_ISO28560_2)) {
      await this.tagRetry(() => this.protoWriteDsfid(uid, wantDsfid));
      const back = await this.tagRetry(() => this.protoGetDsfid(uid));
      if (back !== wantDsfid) throw rfidError(RFID_ERROR.verifyFailed, `${uid}: DSFID reads ${hex(back)} after writing ${hex(wantDsfid)}`);
    }
    if (item.secured !== undefined) await this.setSecurity(uid, item.secured);

    const det = detectAndDecode(image, { dsfid: wantDsfid });
    if (!det.ok) throw rfidError(RFID_ERROR.verifyFailed, `${uid}: written data does not decode: ${det.error.message}`);
    const known = this.present.get(uid);
    if (known) known.tag = { ...known.tag, item: det.tag, data: image, dsfid: wantDsfid };
    return det.tag;
  }

  // ---------------------------------------------------------------------------------- locking

  async blockCount(uidIn: TagUid): Promise<number> {
    const uid = uidOf(uidIn);
    return this.tagRetry(() => this.protoBlockCount(uid));
  }

  async readLocks(uidIn: TagUid, firstBlock: number, count: number): Promise<boolean[]> {
    const uid = uidOf(uidIn);
    this.checkRange(firstBlock, count);
    const out: boolean[] = [];
    for (let at = 0; at < count; at += this.family.maxBlocksPerRead) {
      const n = Math.min(this.family.maxBlocksPerRead, count - at);
      out.push(...(await this.tagRetry(() => this.protoReadLocks(uid, firstBlock + at, n))));
    }
    return out;
  }

  async lockBlocks(uidIn: TagUid, blocksIn: readonly number[]): Promise<BlockLockResult> {
    const uid = uidOf(uidIn);
    if (!Array.isArray(blocksIn) || blocksIn.length === 0) throw rfidError(RFID_ERROR.badRequest, 'lockBlocks: give at least one block number');
    for (const b of blocksIn) {
      if (!Number.isInteger(b) || b < 0 || b > 255) throw rfidError(RFID_ERROR.badRequest, `lockBlocks: block ${JSON.stringify(b)} is not a block number 0–255`);
    }
    const blocks = [...new Set(blocksIn)].sort((a, b) => a - b);
    const failures = new Map<number, BlockLockFailure>();
    const fail = (block: number, err: DeviceError): void => void failures.set(block, { block, code: err.code, message: err.message });

    // The tag's size first: a block past its end is reported, not sent.
    const size = await this.blockCount(uid);
    const inRange = blocks.filter((b) => b < size);
    for (const b of blocks) if (b >= size) fail(b, rfidError(RFID_ERROR.blockUnavailable, `${uid} has blocks 0–${size - 1}; there is no block ${b}`));
    const result = (locked: number[], alreadyLocked: number[]): BlockLockResult => ({
      uid,
      locked,
      alreadyLocked,
      failed: [...failures.values()].sort((a, b) => a.block - b.block),
    });
    if (inRange.length === 0) return result([], []);

    const first = inRange[0]!;
    const span = inRange[inRange.length - 1]! - first + 1;
    const stateOf = async (): Promise<boolean[]> => this.readLocks(uid, first, span);
    const before = await stateOf();
    const alreadyLocked = inRange.filter((b) => before[b - first]);
    let pending = inRange.filter((b) => !before[b - first]);
    const locked: number[] = [];

    for (let pass = 0; pending.length > 0 && pass <= this.tagRetries; pass++) {
      let retryable = false;
      let readerGone: DeviceError | undefined;
      for (const run of runs(pending, this.family.maxBlocksPerLock)) {
        try {
          await this.protoLockBlocks(uid, run[0]!, run.length);
          for (const b of run) failures.delete(b);
        } catch (e) {
          const err = asDeviceError(e);
          for (const b of run) fail(b, err);
          if (err.code === RFID_ERROR.rfError) retryable = true;
          if (err.code === RFID_ERROR.unplugged || err.code === RFID_ERROR.closed || err.code === RFID_ERROR.notOpen) {
            readerGone = err;
            break;
          }
        }
      }
      if (readerGone) {
        for (const b of pending) if (!failures.has(b)) fail(b, new DeviceError(readerGone.code, `lock not confirmed: ${readerGone.message}`));
        break;
      }
      // Read back what the tag says now: the only judge of what is locked (a lock run that
      // failed half-way has locked the blocks before the failing one).
      let now: boolean[];
      try {
        now = await stateOf();
      } catch (e) {
        const err = asDeviceError(e);
        for (const b of pending) if (!failures.has(b)) fail(b, rfidError(RFID_ERROR.verifyFailed, `lock state could not be read back: ${err.message}`));
        break;
      }
      for (const b of pending) {
        if (now[b - first]) {
          locked.push(b);
          failures.delete(b);
        } else if (!failures.has(b)) {
          fail(b, rfidError(RFID_ERROR.verifyFailed, `${uid} block ${b}: the tag accepted the lock but reads as unlocked`));
        }
      }
      pending = pending.filter((b) => !now[b - first]);
      if (!retryable) break;
    }
    locked.sort((a, b) => a - b);
    const out = result(locked, alreadyLocked);
    if (out.failed.length > 0) this.log.warn({ uid, locked: out.locked, failed: out.failed.map((f) => [f.block, f.code]) }, 'blocks not locked');
    else this.log.info({ uid, locked: out.locked, alreadyLocked }, 'blocks locked');
    return out;
  }

  // --------------------------------------------------------------------------------- private

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private isUsable(): boolean {
    return !this.closing && this.port !== undefined && this.port.isOpen && this.state !== 'offline';
  }

  private usablePort(what: string): SerialPortStream {
    if (this.closing) throw rfidError(RFID_ERROR.closed, `${what}: the driver is closing`);
    const port = this.port;
    if (!port || !port.isOpen) {
      const unplugged = this.status().reason?.startsWith('unplugged') ?? false;
      throw rfidError(unplugged ? RFID_ERROR.unplugged : RFID_ERROR.notOpen, `${what}: reader is ${this.state} (${this.status().reason ?? 'not open'})`);
    }
    return port;
  }

  private async transact(what: string, request: Uint8Array, accept: (frame: Uint8Array) => unknown): Promise<unknown> {
    let port = this.usablePort(what);
    const quiet = this.family.requestGapMs - (this.now() - this.lastFrameAt);
    if (quiet > 0) {
      await delay(quiet);
      port = this.usablePort(what);
    }
    this.splitter?.flush(); // whatever half-frame is left from a failed attempt is dead
    this.counters.exchanges++;
    return new Promise<unknown>((resolve, reject) => {
      const p: Pending = {
        what,
        accept,
        resolve,
        reject,
        done: false,
        timer: setTimeout(() => {
          this.counters.timeouts++;
          this.settle(p, rfidError(RFID_ERROR.timeout, `${what}: no answer within ${this.responseTimeoutMs} ms`));
        }, this.responseTimeoutMs),
      };
      this.pending = p;
      this.log.trace({ tx: bytesToHex(request) }, what);
      port.write(Buffer.from(request), (err) => {
        if (err) this.settle(p, rfidError(port.isOpen ? RFID_ERROR.readerError : RFID_ERROR.unplugged, `${what}: write failed: ${err.message}`));
      });
    });
  }

  private settle(p: Pending, err: DeviceError | undefined, value?: unknown): void {
    if (p.done) return;
    p.done = true;
    clearTimeout(p.timer);
    if (this.pending === p) this.pending = undefined;
    if (err) p.reject(err);
    else p.resolve(value);
  }

  private failPending(err: DeviceError): void {
    if (this.pending) this.settle(this.pending, err);
  }

  private onData(port: SerialPortStream, chunk: Buffer): void {
    if (port !== this.port || !this.splitter) return;
    this.log.trace({ rx: bytesToHex(chunk) }, 'received');
    const p = this.pending;
    let garbage = false;
    for (const ev of this.splitter.push(chunk)) {
      if (ev.type === 'garbage') {
        this.counters.garbageBytes += ev.bytes.length;
        garbage = true;
        continue;
      }
      this.lastFrameAt = this.now();
      if (!p || p.done) {
        this.counters.strayFrames++;
        continue;
      }
      let value: unknown;
      try {
        value = p.accept(ev.bytes);
      } catch (e) {
        const err = asDeviceError(e);
        // A tag-level error (no tag, locked …) is a clean answer: the line is fine.
        if (err.code === RFID_ERROR.protocol) this.counters.protocolErrors++;
        else this.lineHealthy();
        this.settle(p, err);
        continue;
      }
      if (value === undefined) {
        this.counters.strayFrames++;
        continue;
      }
      this.settle(p, undefined, value);
    }
    if (garbage && p && !p.done) {
      this.counters.crcErrors++;
      this.settle(p, rfidError(RFID_ERROR.crc, `${p.what}: answer failed its CRC or framing`));
    }
  }

  /**
   * The port closed without us asking. serialport reports a vanished device as 'close' with a
   * DisconnectedError; a write into a vanished device destroys the stream first ('error', then
   * 'close' without an argument). Either way the device is gone: it is an unplug.
   */
  private onPortClose(port: SerialPortStream, err: Error | null | undefined): void {
    if (port !== this.port) return;
    this.port = undefined;
    if (this.closing) return;
    const cause = err ?? this.lastPortError;
    const reason = `unplugged: ${cause ? cause.message : 'the port closed'}`;
    this.log.warn({ reason }, 'reader went offline');
    this.failPending(rfidError(RFID_ERROR.unplugged, `reader ${reason}`));
    this.forgetPresence('reader-offline');
    this.setState('offline', reason, cause ?? new Error('the port closed'));
    this.wakeLoop?.();
  }

  private async closePort(port: SerialPortStream): Promise<void> {
    if (this.port === port) this.port = undefined;
    this.failPending(rfidError(RFID_ERROR.closed, 'port closed'));
    if (!port.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private lineTrouble(err: DeviceError): void {
    this.consecutiveLineErrors++;
    this.log.debug({ code: err.code, msg: err.message, inARow: this.consecutiveLineErrors }, 'line error');
    if (this.consecutiveLineErrors >= this.degradeAfter && this.state === 'ready') {
      this.setState('degraded', `${this.consecutiveLineErrors} line errors in a row (last: ${err.code}: ${err.message})`, err);
    }
  }

  private lineHealthy(): void {
    this.consecutiveLineErrors = 0;
    if (this.state === 'degraded') this.setState('ready', null);
  }

  private async tagRetry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const err = asDeviceError(e);
        if (err.code !== RFID_ERROR.rfError || attempt >= this.tagRetries) throw err;
      }
    }
  }

  private checkRange(firstBlock: number, count: number): void {
    if (!Number.isInteger(firstBlock) || !Number.isInteger(count) || firstBlock < 0 || count < 1 || firstBlock + count > 256) {
      throw rfidError(RFID_ERROR.badRequest, `blocks ${firstBlock} + ${count} out of range`);
    }
  }

  /** Reads user memory from block 0 for as long as data may go on (see `maxReadBlocks`). */
  private async readUserData(uid: TagUid): Promise<Uint8Array> {
    let limit = this.maxReadBlocks;
    let sizeKnown = false;
    const learnSize = async (): Promise<void> => {
      limit = Math.min(limit, await this.tagRetry(() => this.protoBlockCount(uid)));
      sizeKnown = true;
    };
    let data: Uint8Array = new Uint8Array(0);
    while (data.length / 4 < limit && (data.length === 0 || lastBlockNonZero(data))) {
      const have = data.length / 4;
      const n = Math.min(this.readBlockCount, limit - have);
      try {
        data = concatBytes(data, await this.read(uid, have, n));
      } catch (e) {
        const err = asDeviceError(e);
        // Past the end of a small tag (3M stickers have 8 blocks): ask its size once, then go on.
        if (err.code !== RFID_ERROR.blockUnavailable || sizeKnown) throw err;
        await learnSize();
      }
    }
    return data;
  }

  private judge(afi: number | undefined, eas: boolean | undefined): TagSecurity['state'] {
    const byAfi = afi === undefined ? undefined : afi === this.security.afi.secured ? 'secured' : afi === this.security.afi.unsecured ? 'unsecured' : 'unknown';
    const byEas = eas === undefined ? undefined : eas ? 'secured' : 'unsecured';
    if (byAfi !== undefined && byEas !== undefined) return byAfi === byEas ? byAfi : 'unknown';
    return byAfi ?? byEas ?? 'unknown';
  }

  /** Best effort: puts back the AFI/EAS a failed security write may have changed. */
  private async restoreSecurity(uid: TagUid, original: TagSecurity, failure: DeviceError): Promise<string> {
    if (failure.code === RFID_ERROR.unplugged || failure.code === RFID_ERROR.closed || failure.code === RFID_ERROR.notOpen) {
      return 'tag state not checked (reader gone)';
    }
    try {
      const now = await this.getSecurity(uid);
      const fixes: string[] = [];
      if (original.afi !== undefined && now.afi !== original.afi) {
        await this.protoWriteAfi(uid, original.afi);
        fixes.push(`AFI ${hex(original.afi)}`);
      }
      if (original.eas !== undefined && now.eas !== original.eas) {
        await this.protoSetEas(uid, original.eas);
        fixes.push(`EAS ${original.eas ? 1 : 0}`);
      }
      return fixes.length === 0 ? 'tag unchanged' : `restored ${fixes.join(', ')}`;
    } catch (e) {
      return `tag state unknown (${asDeviceError(e).message})`;
    }
  }

  private forgetPresence(reason: RfidDeparture['reason']): void {
    const gone = [...this.present.values()];
    this.present.clear();
    this.arrivalFailures.clear();
    for (const p of gone) {
      const dep: RfidDeparture = { uid: p.tag.uid, reason };
      if (p.tag.item) dep.item = p.tag.item;
      this.emit('tag.departed', dep);
    }
  }

  private ensureLoop(): void {
    if (this.loop) return;
    this.loop = this.runLoop().finally(() => {
      this.loop = undefined;
      // open() may have come back while the old loop was winding down.
      if (this.inventoryWanted && this.isUsable()) this.ensureLoop();
    });
  }

  private async runLoop(): Promise<void> {
    while (this.inventoryWanted && this.isUsable()) {
      const started = this.now();
      try {
        await this.inventoryCycle(started);
      } catch (e) {
        const err = asDeviceError(e);
        if (RFID_FINAL_ERRORS.has(err.code) || !this.isUsable()) break;
        this.log.debug({ code: err.code, msg: err.message }, 'inventory round failed');
      }
      if (!this.inventoryWanted) break;
      await this.pause(Math.max(0, this.intervalMs - (this.now() - started)));
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const wake = (): void => done();
      this.wakeLoop = wake;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  private async inventoryCycle(started: number): Promise<void> {
    const entries = await this.inventory();
    const seen = new Set(entries.map((e) => e.uid));
    for (const entry of entries) {
      const known = this.present.get(entry.uid);
      if (known) {
        known.misses = 0;
        continue;
      }
      let tag: RfidTag;
      try {
        tag = await this.readItem(entry.uid, entry.dsfid);
      } catch (e) {
        const err = asDeviceError(e);
        if (err.code === RFID_ERROR.unplugged || err.code === RFID_ERROR.closed || err.code === RFID_ERROR.notOpen) throw err;
        if (err.code === RFID_ERROR.tagMissing) continue; // gone again before it could be read
        const failures = (this.arrivalFailures.get(entry.uid) ?? 0) + 1;
        if (failures < this.arrivalReadAttempts) {
          this.arrivalFailures.set(entry.uid, failures);
          continue;
        }
        tag = { uid: entry.uid, error: { code: err.code, message: err.message }, seenAt: this.clock.now().toISOString() };
        if (entry.dsfid !== undefined) tag.dsfid = entry.dsfid;
      }
      this.arrivalFailures.delete(entry.uid);
      this.present.set(entry.uid, { tag, misses: 0 });
      this.emit('tag.arrived', copyTag(tag));
    }
    for (const [uid, p] of [...this.present]) {
      if (seen.has(uid)) continue;
      p.misses++;
      if (p.misses >= this.departAfterMisses) {
        this.present.delete(uid);
        const dep: RfidDeparture = { uid, reason: 'left-field' };
        if (p.tag.item) dep.item = p.tag.item;
        this.emit('tag.departed', dep);
      }
    }
    for (const uid of [...this.arrivalFailures.keys()]) if (!seen.has(uid)) this.arrivalFailures.delete(uid);
    this.emit('inventory.completed', { uids: [...seen], durationMs: this.now() - started });
  }
}

/** Consecutive runs of sorted block numbers, each at most `max` long. */
function runs(sorted: readonly number[], max: number): number[][] {
  const out: number[][] = [];
  for (const b of sorted) {
    const last = out[out.length - 1];
    if (last && last[last.length - 1] === b - 1 && last.length < max) last.push(b);
    else out.push([b]);
  }
  return out;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function hex(n: number | undefined): string {
  return n === undefined ? '-' : `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
}

