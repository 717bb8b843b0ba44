/**
 * Typed FEIG ISC host commands and reader responses, both directions (driver and simulator).
 *
 * [B0] ISO 15693 host commands, REQUEST-DATA (devices.md §2.2; Biblio-RFID CPRM02.pm):
 *   01 inventory        MODE                                → DATA-SETS, n × (TR-TYPE DSFID UID[8])
 *   23 read blocks      MODE [UID] DB-ADR DB-N              → DB-N DB-SIZE, n × (SEC DB[DB-SIZE])
 *   24 write blocks     MODE [UID] DB-ADR DB-N DB-SIZE DB…  → –
 *   27 write AFI        MODE [UID] AFI                      → –
 *   28 lock AFI         MODE [UID]                          → –
 *   29 write DSFID      MODE [UID] DSFID                    → –
 *   2B system info      MODE [UID]                          → DSFID UID[8] AFI MEM-SIZE[2] IC-REF
 *   22 lock blocks      MODE [UID] DB-ADR DB-N              → –; STATUS 0x03 → DB-ADR-E;
 *                                                             STATUS 0x95 → ISO-ERROR DB-ADR-E
 *   2C block security   MODE [UID] DB-ADR DB-N              → DB-N, n × SEC-STATUS
 *   (22 and 2C: FEIG ISC.MR/PR/PRH101 manual H60301-3e §6.1.3 and §6.1.13; CPR30 manual H01114
 *   §6.1.5. DB-ADR-E is the block where locking stopped: the blocks before it are locked, the
 *   ones from it on are not. SEC-STATUS bit 0 = block locked, ISO 15693-3 block security status.)
 *   02 stay quiet / 25 select / 26 reset to ready: MODE [UID] → –
 * [B1] custom commands: MFR CMD MODE [UID]; NXP (MFR 0x04) A2 set EAS, A3 reset EAS, A4 lock EAS,
 *   A5 EAS alarm (FEIG ISC.MR/PR101 manual §8.3).
 * MODE bits 2–0: 000 non-addressed, 001 addressed (UID follows), 010 selected.
 * After STATUS 0x95 the data is the tag's ISO 15693 error code.
 *
 * Byte order: in ISO-host mode the reader sends data MSB first, so each block arrives reversed
 * relative to tag memory (CPRM02.pm reverses on read and write). These functions take and return
 * block data in tag memory order and reverse it on the wire; pass `{ blockByteOrder: 'memory' }`
 * for a reader configured to send memory order. MEM-SIZE is read in the same MSB-first order as
 * (block size − 1, number of blocks − 1), which is how CPRM02.pm uses it.
 *
 * [B0] responses do not echo the sub-command, so decoding a response needs the request it answers.
 */

import { bytesToHex, concatBytes, copyBytes, hexToBytes } from '../crc/index.ts';
import {
  FEIG_CMD,
  FEIG_ISO,
  FEIG_MODE_ADDRESSING,
  FEIG_NXP,
  FEIG_READ_MODE_SECURITY,
  FEIG_STATUS,
  FEIG_TR_TYPE_ISO15693,
  feigStatusCarriesData,
} from './constants.ts';
import { decodeFeigFrame, encodeFeigFrame, FEIG_BROADCAST_ADDRESS, type FeigEncodeFrameOptions } from './frame.ts';

/** ISO 15693 UID, 16 uppercase hex digits, most significant byte (0xE0) first. */
export type TagUid = string;

export type BlockByteOrder = 'msb-first' | 'memory';

export interface FeigCodecOptions extends FeigEncodeFrameOptions {
  /** How block data travels on the wire. Default 'msb-first' (each block reversed). */
  blockByteOrder?: BlockByteOrder;
}

/**
 * Tag addressing for [B0]/[B1] commands: `uid` → addressed mode, `selected: true` → selected mode,
 * neither → non-addressed (the single tag in the field).
 */
export interface FeigTarget {
  uid?: TagUid;
  selected?: boolean;
}

type Addr = { address?: number };

export type FeigEasCommand = 'setEas' | 'resetEas' | 'lockEas' | 'easAlarm';
export type FeigAckType =
  | 'writeBlocks'
  | 'writeAfi'
  | 'lockAfi'
  | 'writeDsfid'
  | 'stayQuiet'
  | 'select'
  | 'resetToReady'
  | 'setEas'
  | 'resetEas'
  | 'lockEas'
  | 'rfReset';

export type FeigRequest =
  | ({ type: 'inventory'; mode?: number } & Addr)
  | ({ type: 'readBlocks'; firstBlock: number; blockCount: number; withSecurity?: boolean } & FeigTarget & Addr)
  | ({ type: 'lockBlocks' | 'blockSecurity'; firstBlock: number; blockCount: number } & FeigTarget & Addr)
  | ({ type: 'writeBlocks'; firstBlock: number; blockSize?: number; data: Uint8Array } & FeigTarget & Addr)
  | ({ type: 'writeAfi'; afi: number } & FeigTarget & Addr)
  | ({ type: 'writeDsfid'; dsfid: number } & FeigTarget & Addr)
  | ({ type: 'lockAfi' | 'systemInfo' | 'resetToReady' } & FeigTarget & Addr)
  | ({ type: 'stayQuiet' | 'select'; uid: TagUid } & Addr)
  | ({ type: FeigEasCommand; manufacturer?: number } & FeigTarget & Addr)
  | ({ type: 'softwareVersion' | 'rfReset' } & Addr)
  | ({ type: 'raw'; command: number; data: Uint8Array } & Addr);

export interface FeigInventoryTag {
  trType: number;
  dsfid: number;
  uid: TagUid;
}

export interface FeigBlock {
  /** Block security status byte (lock state). */
  security: number;
  /** Tag memory order (see `blockByteOrder`). */
  data: Uint8Array;
}

type RBase = { address?: number; status: number; isoError?: number };

export type FeigResponse =
  | ({ type: 'inventory'; tags: FeigInventoryTag[] } & RBase)
  | ({ type: 'readBlocks'; blockSize?: number; blocks: FeigBlock[] } & RBase)
  | ({
      type: 'systemInfo';
      dsfid?: number;
      uid?: TagUid;
      afi?: number;
      blockSize?: number;
      blockCount?: number;
      icReference?: number;
    } & RBase)
  | ({ type: FeigAckType } & RBase)
  /** `errorBlock` (DB-ADR-E): where locking stopped, after STATUS 0x03 or 0x95. */
  | ({ type: 'lockBlocks'; errorBlock?: number } & RBase)
  /** One SEC-STATUS byte per block asked for (bit 0: locked). */
  | ({ type: 'blockSecurity'; security: number[] } & RBase)
  | ({ type: 'easAlarm'; data: Uint8Array } & RBase)
  | ({ type: 'softwareVersion'; data: Uint8Array } & RBase)
  | ({ type: 'raw'; command: number; data: Uint8Array } & RBase);

export interface FeigCodecError {
  code: 'bad-frame' | 'bad-payload' | 'unexpected-command';
  message: string;
}

export type FeigDecodeResult<T> = { ok: true; value: T } | { ok: false; error: FeigCodecError };

// ------------------------------------------------------------------------------------------- helpers

export function uidToBytes(uid: TagUid): Uint8Array {
  if (!/^[0-9A-Fa-f]{16}$/.test(uid)) throw new RangeError(`UID must be 16 hex digits: ${JSON.stringify(uid)}`);
  return hexToBytes(uid);
}

export function bytesToUid(bytes: Uint8Array, offset = 0): TagUid {
  return bytesToHex(bytes.subarray(offset, offset + 8), '');
}

function byte(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${name} must be 0–255: ${v}`);
  return v;
}

function reorder(data: Uint8Array, blockSize: number, order: BlockByteOrder): Uint8Array {
  if (order === 'memory') return copyBytes(data);
  const out = new Uint8Array(data.length);
  for (let at = 0; at < data.length; at += blockSize) {
    const end = Math.min(at + blockSize, data.length);
    for (let i = at; i < end; i++) out[i] = data[end - 1 - (i - at)] ?? 0;
  }
  return out;
}

function targetBytes(t: FeigTarget): Uint8Array {
  if (t.uid !== undefined) return concatBytes(Uint8Array.of(FEIG_MODE_ADDRESSING.addressed), uidToBytes(t.uid));
  return Uint8Array.of(t.selected ? FEIG_MODE_ADDRESSING.selected : FEIG_MODE_ADDRESSING.nonAddressed);
}

const ISO_SUB: Record<string, number> = {
  inventory: FEIG_ISO.inventory,
  stayQuiet: FEIG_ISO.stayQuiet,
  readBlocks: FEIG_ISO.readBlocks,
  writeBlocks: FEIG_ISO.writeBlocks,
  select: FEIG_ISO.select,
  resetToReady: FEIG_ISO.resetToReady,
  writeAfi: FEIG_ISO.writeAfi,
  lockAfi: FEIG_ISO.lockAfi,
  writeDsfid: FEIG_ISO.writeDsfid,
  systemInfo: FEIG_ISO.systemInfo,
  lockBlocks: FEIG_ISO.lockBlocks,
  blockSecurity: FEIG_ISO.blockSecurity,
};
const ISO_TYPE = new Map<number, string>(Object.entries(ISO_SUB).map(([k, v]) => [v, k]));

const NXP_SUB: Record<FeigEasCommand, number> = {
  setEas: FEIG_NXP.setEas,
  resetEas: FEIG_NXP.resetEas,
  lockEas: FEIG_NXP.lockEas,
  easAlarm: FEIG_NXP.easAlarm,
};
const NXP_TYPE = new Map<number, FeigEasCommand>(
  (Object.entries(NXP_SUB) as Array<[FeigEasCommand, number]>).map(([k, v]) => [v, k]),
);

/** The CMD byte a request (and its response) travels under. */
export function feigCommandOf(type: FeigRequest['type'] | FeigResponse['type'], raw?: number): number {
  if (type === 'raw') return raw ?? 0;
  if (type === 'softwareVersion') return FEIG_CMD.softwareVersion;
  if (type === 'rfReset') return FEIG_CMD.rfReset;
  if (type in NXP_SUB) return FEIG_CMD.isoCustom;
  return FEIG_CMD.isoHost;
}

// ------------------------------------------------------------------------------------ host → reader

/** Encodes a host → reader frame. The address defaults to 0xFF (any reader). */
export function encodeFeigRequest(req: FeigRequest, options: FeigCodecOptions = {}): Uint8Array {
  const address = req.address ?? FEIG_BROADCAST_ADDRESS;
  const order = options.blockByteOrder ?? 'msb-first';
  const iso = (sub: number, ...parts: Array<Uint8Array | number[]>): Uint8Array =>
    encodeFeigFrame(
      {
        address,
        command: FEIG_CMD.isoHost,
        data: concatBytes(Uint8Array.of(sub), ...parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)))),
      },
      options,
    );

  switch (req.type) {
    case 'inventory':
      return iso(FEIG_ISO.inventory, [byte('mode', req.mode ?? 0)]);
    case 'readBlocks': {
      const t = targetBytes(req);
      if (req.withSecurity) t[0] = (t[0] ?? 0) | FEIG_READ_MODE_SECURITY;
      return iso(FEIG_ISO.readBlocks, t, [byte('firstBlock', req.firstBlock), byte('blockCount', req.blockCount)]);
    }
    case 'writeBlocks': {
      const size = byte('blockSize', req.blockSize ?? 4);
      if (size === 0 || req.data.length === 0 || req.data.length % size !== 0) {
        throw new RangeError(`write data (${req.data.length} bytes) must be whole blocks of ${size}`);
      }
      return iso(
        FEIG_ISO.writeBlocks,
        targetBytes(req),
        [byte('firstBlock', req.firstBlock), byte('blockCount', req.data.length / size), size],
        reorder(req.data, size, order),
      );
    }
    case 'lockBlocks':
    case 'blockSecurity':
      if (req.blockCount < 1) throw new RangeError(`${req.type}: blockCount must be at least 1`);
      return iso(ISO_SUB[req.type] ?? 0, targetBytes(req), [byte('firstBlock', req.firstBlock), byte('blockCount', req.blockCount)]);
    case 'writeAfi':
      return iso(FEIG_ISO.writeAfi, targetBytes(req), [byte('afi', req.afi)]);
    case 'writeDsfid':
      return iso(FEIG_ISO.writeDsfid, targetBytes(req), [byte('dsfid', req.dsfid)]);
    case 'lockAfi':
    case 'systemInfo':
    case 'resetToReady':
      return iso(ISO_SUB[req.type] ?? 0, targetBytes(req));
    case 'stayQuiet':
    case 'select':
      return iso(ISO_SUB[req.type] ?? 0, targetBytes({ uid: req.uid }));
    case 'setEas':
    case 'resetEas':
    case 'lockEas':
    case 'easAlarm':
      return encodeFeigFrame(
        {
          address,
          command: FEIG_CMD.isoCustom,
          data: concatBytes(
            Uint8Array.of(byte('manufacturer', req.manufacturer ?? FEIG_NXP.manufacturer), NXP_SUB[req.type]),
            targetBytes(req),
          ),
        },
        options,
      );
    case 'softwareVersion':
    case 'rfReset':
      return encodeFeigFrame({ address, command: feigCommandOf(req.type) }, options);
    case 'raw':
      return encodeFeigFrame({ address, command: byte('command', req.command), data: req.data }, options);
  }
}

/** Decodes a host → reader frame (the simulator side). Unknown commands come back as `raw`. */
export function decodeFeigRequest(bytes: Uint8Array, options: FeigCodecOptions = {}): FeigDecodeResult<FeigRequest> {
  const f = decodeFeigFrame(bytes, 'request');
  if (!f.ok) return { ok: false, error: { code: 'bad-frame', message: `${f.error.code}: ${f.error.message}` } };
  const { address, command, data } = f.frame;
  const order = options.blockByteOrder ?? 'msb-first';
  const ok = (value: FeigRequest): FeigDecodeResult<FeigRequest> => ({ ok: true, value });
  const bad = (message: string): FeigDecodeResult<FeigRequest> => ({
    ok: false,
    error: { code: 'bad-payload', message: `command 0x${hex(command)}: ${message}` },
  });
  const raw = (): FeigDecodeResult<FeigRequest> => ok({ type: 'raw', address, command, data: copyBytes(data) });

  /** Reads MODE [UID] at `at`; returns the target, the mode byte and the next offset. */
  const target = (at: number): { t: FeigTarget; mode: number; next: number } | undefined => {
    if (at >= data.length) return undefined;
    const mode = data[at] ?? 0;
    const addressing = mode & 0x07;
    if (addressing === FEIG_MODE_ADDRESSING.addressed) {
      if (at + 9 > data.length) return undefined;
      return { t: { uid: bytesToUid(data, at + 1) }, mode, next: at + 9 };
    }
    return { t: addressing === FEIG_MODE_ADDRESSING.selected ? { selected: true } : {}, mode, next: at + 1 };
  };

  if (command === FEIG_CMD.softwareVersion && data.length === 0) return ok({ type: 'softwareVersion', address });
  if (command === FEIG_CMD.rfReset && data.length === 0) return ok({ type: 'rfReset', address });

  if (command === FEIG_CMD.isoCustom) {
    const sub = NXP_TYPE.get(data[1] ?? -1);
    if (data.length < 3 || sub === undefined) return raw();
    const tg = target(2);
    if (!tg || tg.next !== data.length) return bad('malformed MODE/UID');
    const req: FeigRequest = { type: sub, address, ...tg.t };
    if ((data[0] ?? 0) !== FEIG_NXP.manufacturer) req.manufacturer = data[0] ?? 0;
    return ok(req);
  }
  if (command !== FEIG_CMD.isoHost || data.length < 1) return raw();

  const type = ISO_TYPE.get(data[0] ?? -1);
  switch (type) {
    case 'inventory':
      if (data.length < 2) return bad('inventory needs MODE');
      return ok({ type: 'inventory', address, mode: data[1] ?? 0 });
    case 'readBlocks': {
      const tg = target(1);
      if (!tg || tg.next + 2 !== data.length) return bad('expected MODE [UID] DB-ADR DB-N');
      const req: FeigRequest = {
        type: 'readBlocks',
        address,
        ...tg.t,
        firstBlock: data[tg.next] ?? 0,
        blockCount: data[tg.next + 1] ?? 0,
      };
      if (tg.mode & FEIG_READ_MODE_SECURITY) req.withSecurity = true;
      return ok(req);
    }
    case 'lockBlocks':
    case 'blockSecurity': {
      const tg = target(1);
      if (!tg || tg.next + 2 !== data.length) return bad('expected MODE [UID] DB-ADR DB-N');
      if ((data[tg.next + 1] ?? 0) === 0) return bad('DB-N is 0');
      return ok({ type, address, ...tg.t, firstBlock: data[tg.next] ?? 0, blockCount: data[tg.next + 1] ?? 0 });
    }
    case 'writeBlocks': {
      const tg = target(1);
      if (!tg || tg.next + 3 > data.length) return bad('expected MODE [UID] DB-ADR DB-N DB-SIZE data');
      const count = data[tg.next + 1] ?? 0;
      const size = data[tg.next + 2] ?? 0;
      const payload = data.subarray(tg.next + 3);
      if (size === 0 || payload.length !== count * size) return bad(`${count} × ${size} bytes announced, ${payload.length} sent`);
      const req: FeigRequest = {
        type: 'writeBlocks',
        address,
        ...tg.t,
        firstBlock: data[tg.next] ?? 0,
        data: reorder(payload, size, order),
      };
      if (size !== 4) req.blockSize = size;
      return ok(req);
    }
    case 'writeAfi':
    case 'writeDsfid': {
      const tg = target(1);
      if (!tg || tg.next + 1 !== data.length) return bad('expected MODE [UID] value');
      const v = data[tg.next] ?? 0;
      return ok(type === 'writeAfi' ? { type, address, ...tg.t, afi: v } : { type: 'writeDsfid', address, ...tg.t, dsfid: v });
    }
    case 'lockAfi':
    case 'systemInfo':
    case 'resetToReady': {
      const tg = target(1);
      if (!tg || tg.next !== data.length) return bad('expected MODE [UID]');
      return ok({ type, address, ...tg.t });
    }
    case 'stayQuiet':
    case 'select': {
      const tg = target(1);
      if (!tg || tg.next !== data.length || tg.t.uid === undefined) return bad('expected MODE UID (addressed)');
      return ok({ type, address, uid: tg.t.uid });
    }
    default:
      return raw();
  }
}

// ------------------------------------------------------------------------------------ reader → host

/** Encodes a reader → host frame (the simulator side). The address defaults to 0x00. */
export function encodeFeigResponse(res: FeigResponse, options: FeigCodecOptions = {}): Uint8Array {
  const address = res.address ?? 0x00;
  const order = options.blockByteOrder ?? 'msb-first';
  const command = feigCommandOf(res.type, res.type === 'raw' ? res.command : undefined);
  const frame = (data: Uint8Array | number[]): Uint8Array =>
    encodeFeigFrame(
      { address, command, status: byte('status', res.status), data: data instanceof Uint8Array ? data : Uint8Array.from(data) },
      options,
    );

  if (res.type === 'lockBlocks') {
    // The two error answers name the block where locking stopped (DB-ADR-E).
    const at = res.errorBlock === undefined ? [] : [byte('errorBlock', res.errorBlock)];
    if (res.status === FEIG_STATUS.isoError) return frame([...(res.isoError === undefined ? [] : [byte('isoError', res.isoError)]), ...at]);
    if (res.status === FEIG_STATUS.writeError) return frame(at);
    return frame([]);
  }
  if (res.status === FEIG_STATUS.isoError && res.isoError !== undefined && res.type !== 'raw') {
    return frame([byte('isoError', res.isoError)]);
  }
  if (!feigStatusCarriesData(res.status)) return frame([]);

  switch (res.type) {
    case 'inventory': {
      const out: number[] = [byte('data sets', res.tags.length)];
      for (const t of res.tags) out.push(byte('trType', t.trType), byte('dsfid', t.dsfid), ...uidToBytes(t.uid));
      return frame(out);
    }
    case 'readBlocks': {
      if (res.blocks.length === 0) return frame([]);
      const size = res.blockSize ?? res.blocks[0]?.data.length ?? 4;
      const parts: Uint8Array[] = [Uint8Array.of(byte('block count', res.blocks.length), byte('block size', size))];
      for (const b of res.blocks) {
        if (b.data.length !== size) throw new RangeError(`block of ${b.data.length} bytes, DB-SIZE is ${size}`);
        parts.push(Uint8Array.of(byte('security', b.security)), reorder(b.data, size, order));
      }
      return frame(concatBytes(...parts));
    }
    case 'blockSecurity':
      return frame([byte('block count', res.security.length), ...res.security.map((v) => byte('security', v))]);
    case 'systemInfo': {
      if (res.uid === undefined) return frame([]);
      return frame([
        byte('dsfid', res.dsfid ?? 0),
        ...uidToBytes(res.uid),
        byte('afi', res.afi ?? 0),
        byte('blockSize - 1', (res.blockSize ?? 4) - 1),
        byte('blockCount - 1', (res.blockCount ?? 28) - 1),
        byte('icReference', res.icReference ?? 0),
      ]);
    }
    case 'easAlarm':
    case 'softwareVersion':
    case 'raw':
      return frame(res.data);
    default:
      return frame([]);
  }
}

/**
 * Decodes a reader → host frame. `request` is what was sent (its type decides how [B0] data is
 * read, since the reader does not echo the sub-command).
 */
export function decodeFeigResponse(
  bytes: Uint8Array,
  request: FeigRequest | FeigRequest['type'],
  options: FeigCodecOptions = {},
): FeigDecodeResult<FeigResponse> {
  const f = decodeFeigFrame(bytes, 'response');
  if (!f.ok) return { ok: false, error: { code: 'bad-frame', message: `${f.error.code}: ${f.error.message}` } };
  const { address, command, data } = f.frame;
  const status = f.frame.status ?? 0;
  const type = typeof request === 'string' ? request : request.type;
  const rawCommand = typeof request === 'string' ? undefined : request.type === 'raw' ? request.command : undefined;
  const order = options.blockByteOrder ?? 'msb-first';
  const ok = (value: FeigResponse): FeigDecodeResult<FeigResponse> => ({ ok: true, value });
  const bad = (message: string): FeigDecodeResult<FeigResponse> => ({
    ok: false,
    error: { code: 'bad-payload', message: `${type} response: ${message}` },
  });

  if (type === 'raw') {
    if (rawCommand !== undefined && command !== rawCommand) {
      return { ok: false, error: { code: 'unexpected-command', message: `sent 0x${hex(rawCommand)}, got 0x${hex(command)}` } };
    }
    return ok({ type: 'raw', address, command, status, data: copyBytes(data) });
  }
  const expected = feigCommandOf(type);
  if (command !== expected) {
    return {
      ok: false,
      error: { code: 'unexpected-command', message: `${type} goes with 0x${hex(expected)}, got 0x${hex(command)}` },
    };
  }

  const base: RBase = { address, status };
  if (status === FEIG_STATUS.isoError && data.length >= 1) base.isoError = data[0] ?? 0;
  const carries = feigStatusCarriesData(status) && status !== FEIG_STATUS.isoError;

  switch (type) {
    case 'inventory': {
      const tags: FeigInventoryTag[] = [];
      if (carries && data.length > 0) {
        const count = data[0] ?? 0;
        let at = 1;
        for (let i = 0; i < count; i++) {
          const trType = data[at] ?? 0;
          // Only ISO 15693 data sets (TR-TYPE 0x03: DSFID + UID) have a layout known here.
          if (trType !== FEIG_TR_TYPE_ISO15693) return bad(`data set ${i + 1} has TR-TYPE 0x${hex(trType)}`);
          if (at + 10 > data.length) return bad(`data set ${i + 1} of ${count} is cut off`);
          tags.push({ trType, dsfid: data[at + 1] ?? 0, uid: bytesToUid(data, at + 2) });
          at += 10;
        }
        if (at !== data.length) return bad(`${data.length - at} bytes after ${count} data sets`);
      }
      return ok({ type, ...base, tags });
    }
    case 'readBlocks': {
      const blocks: FeigBlock[] = [];
      if (!carries || data.length === 0) return ok({ type, ...base, blocks });
      if (data.length < 2) return bad('DB-N and DB-SIZE missing');
      const count = data[0] ?? 0;
      const size = data[1] ?? 0;
      if (size === 0 || data.length !== 2 + count * (size + 1)) {
        return bad(`${count} blocks of ${size} bytes do not fit ${data.length - 2} bytes`);
      }
      for (let i = 0; i < count; i++) {
        const at = 2 + i * (size + 1);
        blocks.push({ security: data[at] ?? 0, data: reorder(data.subarray(at + 1, at + 1 + size), size, order) });
      }
      return ok({ type, ...base, blockSize: size, blocks });
    }
    case 'lockBlocks': {
      // STATUS 0x95: ISO-ERROR DB-ADR-E; STATUS 0x03: DB-ADR-E (manual §6.1.3).
      const at = status === FEIG_STATUS.isoError ? 1 : status === FEIG_STATUS.writeError ? 0 : -1;
      if (at >= 0 && data.length > at) return ok({ type, ...base, errorBlock: data[at] ?? 0 });
      return ok({ type, ...base });
    }
    case 'blockSecurity': {
      if (!carries || data.length === 0) return ok({ type, ...base, security: [] });
      const count = data[0] ?? 0;
      if (data.length !== 1 + count) return bad(`${count} security bytes announced, ${data.length - 1} sent`);
      return ok({ type, ...base, security: Array.from(data.subarray(1)) });
    }
    case 'systemInfo': {
      if (!carries || data.length === 0) return ok({ type, ...base });
      if (data.length !== 13) return bad(`expected 13 bytes, got ${data.length}`);
      return ok({
        type,
        ...base,
        dsfid: data[0] ?? 0,
        uid: bytesToUid(data, 1),
        afi: data[9] ?? 0,
        blockSize: ((data[10] ?? 0) & 0x1f) + 1,
        blockCount: (data[11] ?? 0) + 1,
        icReference: data[12] ?? 0,
      });
    }
    case 'easAlarm':
    case 'softwareVersion':
      return ok({ type, ...base, data: carries ? copyBytes(data) : new Uint8Array(0) });
    default:
      return ok({ type, ...base });
  }
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
