/**
 * Typed 3M 210/810 commands and responses, both directions (host → reader for the driver,
 * reader → host for the simulator). Layouts after CMD (reference devices.md §2.1 table; Biblio-RFID
 * 3M810.pm for read/write blocks):
 *
 * | CMD | Request                                   | Response (after CMD, ERR)                       |
 * |-----|-------------------------------------------|-------------------------------------------------|
 * | FE  | AFI, RespOpts [, protocols if bit 6]      | AFI, RespOpts, N, N × ([DSFID] [UID])           |
 * | 11  | –                                         | 0A maj min build                                |
 * | 01  | UID                                       | UID                                             |
 * | 02  | UID, first, count [, opts]                | UID, N, N × (blk#, lock, 4 data) — lock byte    |
 * |     |                                           | absent when opts bit 3 ("no lock byte") was set |
 * | 04  | UID, first, count, 00, count × 4 data     | UID, next/error block                           |
 * | 05/07 | UID, blk, 4 data                        | UID                                             |
 * | 08  | UID, blk                                  | UID                                             |
 * | 0A/09/06 | UID [, AFI]  (get / write / lock)    | UID [, AFI] (AFI only for get)                  |
 * | 03  | UID                                       | UID [, EAS]; ERR 06 when EAS = 0                |
 * | 0C  | UID, 0/1                                  | UID                                             |
 * | 0F/0B/0E | UID [, DSFID] (get / write / lock)   | UID [, DSFID] (DSFID only for get)              |
 * | 0D  | UID, mask                                 | UID, available mask, DSFID, AFI, memsize(2), IC |
 *
 * A response with a non-zero ERR may stop right after ERR (`D6 00 04 99 02 25 CE`) or carry the
 * UID; the decoder accepts both. UIDs are 8 bytes, big-endian ("E004…"), represented as 16 uppercase
 * hex digits. Decoders never throw; builders throw RangeError on arguments that cannot be encoded
 * (that is a programming error, not line noise).
 */

import { bytesToHex, concatBytes, copyBytes, hexToBytes } from '../crc/index.ts';
import { THREEM_CMD, THREEM_TAG_INFO, THREEM_DEFAULT_INVENTORY_OPTIONS, THREEM_INVENTORY_OPTION } from './constants.ts';
import { decodeThreeMFrame, encodeThreeMFrame, THREEM_SOF_ALT, type ThreeMStart } from './frame.ts';

/** ISO 15693 UID, 16 uppercase hex digits, most significant byte (0xE0) first. */
export type TagUid = string;

type WithUid = { uid: TagUid };

export type ThreeMRequest =
  | { type: 'inventory'; afi?: number; options?: number; protocols?: number }
  | { type: 'version' }
  /** D5 hardware-version probe (`D5 00 05 04 00 11 8C 66`) that Biblio-RFID uses to find the pad. */
  | { type: 'hardwareProbe' }
  | ({ type: 'quiet' } & WithUid)
  | ({ type: 'readBlocks'; firstBlock: number; blockCount: number; options?: number } & WithUid)
  | ({ type: 'writeBlocks'; firstBlock: number; data: Uint8Array } & WithUid)
  | ({ type: 'writeBlock' | 'writeLockBlock'; block: number; data: Uint8Array } & WithUid)
  | ({ type: 'lockBlock'; block: number } & WithUid)
  | ({ type: 'getAfi' | 'lockAfi' | 'checkEas' | 'getDsfid' | 'lockDsfid' } & WithUid)
  | ({ type: 'writeAfi'; afi: number } & WithUid)
  | ({ type: 'setEas'; enabled: boolean } & WithUid)
  | ({ type: 'writeDsfid'; dsfid: number } & WithUid)
  | ({ type: 'tagInfo'; mask?: number } & WithUid)
  /** Anything else (ISO pass-thru 0x14, the undocumented 0x13 init, other D5 frames). */
  | { type: 'raw'; start?: ThreeMStart; command: number; payload: Uint8Array };

export interface ThreeMInventoryTag {
  uid: TagUid;
  dsfid?: number;
}

export interface ThreeMBlock {
  block: number;
  /** Lock/error byte per block; absent when the "no lock byte" option was used. */
  lockStatus?: number;
  data: Uint8Array;
}

type Status = { status: number };
type OptUid = { uid?: TagUid };

export type ThreeMSimpleResponseType =
  | 'quiet'
  | 'writeBlock'
  | 'writeLockBlock'
  | 'lockBlock'
  | 'writeAfi'
  | 'lockAfi'
  | 'setEas'
  | 'writeDsfid'
  | 'lockDsfid';

export type ThreeMResponse =
  | ({ type: 'inventory'; afi?: number; options?: number; tags: ThreeMInventoryTag[] } & Status)
  /** `version` holds the bytes after ERR, e.g. [0x0A, 3, 2, 6]. */
  | ({ type: 'version'; version: number[] } & Status)
  /** D5 probe answer, e.g. [10, 5, 0, 2] (hardware version 10.5.0.2). */
  | { type: 'hardwareVersion'; version: number[] }
  | ({ type: ThreeMSimpleResponseType } & Status & OptUid)
  | ({ type: 'readBlocks'; blocks: ThreeMBlock[] } & Status & OptUid)
  | ({ type: 'writeBlocks'; block?: number } & Status & OptUid)
  | ({ type: 'getAfi'; afi?: number } & Status & OptUid)
  | ({ type: 'checkEas'; eas?: boolean } & Status & OptUid)
  | ({ type: 'getDsfid'; dsfid?: number } & Status & OptUid)
  | ({
      type: 'tagInfo';
      available?: number;
      dsfid?: number;
      afi?: number;
      blockSize?: number;
      blockCount?: number;
      icReference?: number;
    } & Status &
      OptUid)
  | { type: 'raw'; start: ThreeMStart; command: number; status?: number; payload: Uint8Array };

export interface ThreeMCodecError {
  code: 'bad-frame' | 'bad-payload';
  message: string;
}

export type ThreeMDecodeResult<T> = { ok: true; value: T } | { ok: false; error: ThreeMCodecError };

// ------------------------------------------------------------------------------------------- helpers

export function uidToBytes(uid: TagUid): Uint8Array {
  if (!/^[0-9A-Fa-f]{16}$/.test(uid)) throw new RangeError(`UID must be 16 hex digits: ${JSON.stringify(uid)}`);
  return hexToBytes(uid);
}

export function bytesToUid(bytes: Uint8Array, offset = 0): TagUid {
  return bytesToHex(bytes.subarray(offset, offset + 8), '');
}

function byte(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new RangeError(`${name} must be 0–255: ${value}`);
  return value;
}

const CMD_BY_TYPE: Record<string, number> = {
  quiet: THREEM_CMD.quiet,
  readBlocks: THREEM_CMD.readBlocks,
  checkEas: THREEM_CMD.checkEas,
  writeBlocks: THREEM_CMD.writeBlocks,
  writeBlock: THREEM_CMD.writeBlock,
  lockAfi: THREEM_CMD.lockAfi,
  writeLockBlock: THREEM_CMD.writeLockBlock,
  lockBlock: THREEM_CMD.lockBlock,
  writeAfi: THREEM_CMD.writeAfi,
  getAfi: THREEM_CMD.getAfi,
  writeDsfid: THREEM_CMD.writeDsfid,
  setEas: THREEM_CMD.setEas,
  tagInfo: THREEM_CMD.tagInfo,
  lockDsfid: THREEM_CMD.lockDsfid,
  getDsfid: THREEM_CMD.getDsfid,
  version: THREEM_CMD.version,
  inventory: THREEM_CMD.inventory,
};

const TYPE_BY_CMD = new Map<number, string>(Object.entries(CMD_BY_TYPE).map(([k, v]) => [v, k]));

const HARDWARE_PROBE_BODY = Uint8Array.of(0x04, 0x00, 0x11);

// ------------------------------------------------------------------------------------ host → reader

/** Encodes a request as a complete frame. */
export function encodeThreeMRequest(req: ThreeMRequest): Uint8Array {
  const body = (cmd: number, ...parts: Array<Uint8Array | number[]>): Uint8Array =>
    encodeThreeMFrame(concatBytes(Uint8Array.of(cmd), ...parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)))));
  switch (req.type) {
    case 'inventory': {
      const options = byte('options', req.options ?? THREEM_DEFAULT_INVENTORY_OPTIONS);
      const extra = options & THREEM_INVENTORY_OPTION.protocolsByte ? [byte('protocols', req.protocols ?? 0)] : [];
      return body(THREEM_CMD.inventory, [byte('afi', req.afi ?? 0), options, ...extra]);
    }
    case 'version':
      return body(THREEM_CMD.version);
    case 'hardwareProbe':
      return encodeThreeMFrame(HARDWARE_PROBE_BODY, THREEM_SOF_ALT);
    case 'readBlocks': {
      const opts = req.options === undefined ? [] : [byte('options', req.options)];
      return body(THREEM_CMD.readBlocks, uidToBytes(req.uid), [
        byte('firstBlock', req.firstBlock),
        byte('blockCount', req.blockCount),
        ...opts,
      ]);
    }
    case 'writeBlocks': {
      if (req.data.length === 0 || req.data.length % 4 !== 0) {
        throw new RangeError(`write data must be whole 4-byte blocks, got ${req.data.length} bytes`);
      }
      return body(
        THREEM_CMD.writeBlocks,
        uidToBytes(req.uid),
        [byte('firstBlock', req.firstBlock), byte('blockCount', req.data.length / 4), 0x00],
        req.data,
      );
    }
    case 'writeBlock':
    case 'writeLockBlock':
      if (req.data.length !== 4) throw new RangeError(`block data must be 4 bytes, got ${req.data.length}`);
      return body(CMD_BY_TYPE[req.type] ?? 0, uidToBytes(req.uid), [byte('block', req.block)], req.data);
    case 'lockBlock':
      return body(THREEM_CMD.lockBlock, uidToBytes(req.uid), [byte('block', req.block)]);
    case 'getAfi':
    case 'lockAfi':
    case 'checkEas':
    case 'getDsfid':
    case 'lockDsfid':
    case 'quiet':
      return body(CMD_BY_TYPE[req.type] ?? 0, uidToBytes(req.uid));
    case 'writeAfi':
      return body(THREEM_CMD.writeAfi, uidToBytes(req.uid), [byte('afi', req.afi)]);
    case 'setEas':
      return body(THREEM_CMD.setEas, uidToBytes(req.uid), [req.enabled ? 0x01 : 0x00]);
    case 'writeDsfid':
      return body(THREEM_CMD.writeDsfid, uidToBytes(req.uid), [byte('dsfid', req.dsfid)]);
    case 'tagInfo':
      return body(THREEM_CMD.tagInfo, uidToBytes(req.uid), [byte('mask', req.mask ?? 0x0f)]);
    case 'raw':
      return encodeThreeMFrame(concatBytes(Uint8Array.of(byte('command', req.command)), req.payload), req.start);
  }
}

/** Decodes a request frame (the simulator side). */
export function decodeThreeMRequest(bytes: Uint8Array): ThreeMDecodeResult<ThreeMRequest> {
  const f = decodeThreeMFrame(bytes);
  if (!f.ok) return { ok: false, error: { code: 'bad-frame', message: `${f.error.code}: ${f.error.message}` } };
  const { start, body } = f.frame;
  const cmd = body[0] ?? 0;
  const p = body.subarray(1);
  const bad = (message: string): ThreeMDecodeResult<ThreeMRequest> => ({
    ok: false,
    error: { code: 'bad-payload', message: `command 0x${hex(cmd)}: ${message}` },
  });
  const ok = (value: ThreeMRequest): ThreeMDecodeResult<ThreeMRequest> => ({ ok: true, value });

  if (start === THREEM_SOF_ALT) {
    if (body.length === 3 && body.every((b, i) => b === HARDWARE_PROBE_BODY[i])) return ok({ type: 'hardwareProbe' });
    return ok({ type: 'raw', start, command: cmd, payload: copyBytes(p) });
  }
  const type = TYPE_BY_CMD.get(cmd);
  const uid = (): TagUid => bytesToUid(p, 0);
  switch (type) {
    case 'inventory': {
      if (p.length < 2) return bad('needs AFI and options');
      const options = p[1] ?? 0;
      const req: ThreeMRequest = { type: 'inventory', afi: p[0] ?? 0, options };
      if (options & THREEM_INVENTORY_OPTION.protocolsByte) {
        if (p.length < 3) return bad('options announce a protocols byte that is missing');
        req.protocols = p[2] ?? 0;
      }
      return ok(req);
    }
    case 'version':
      return ok({ type: 'version' });
    case 'readBlocks': {
      if (p.length !== 10 && p.length !== 11) return bad(`expected 10 or 11 bytes, got ${p.length}`);
      const req: ThreeMRequest = { type: 'readBlocks', uid: uid(), firstBlock: p[8] ?? 0, blockCount: p[9] ?? 0 };
      if (p.length === 11) req.options = p[10] ?? 0;
      return ok(req);
    }
    case 'writeBlocks': {
      if (p.length < 11) return bad('too short');
      const count = p[9] ?? 0;
      if (p.length !== 11 + count * 4) return bad(`count ${count} but ${p.length - 11} data bytes`);
      return ok({ type: 'writeBlocks', uid: uid(), firstBlock: p[8] ?? 0, data: copyBytes(p, 11) });
    }
    case 'writeBlock':
    case 'writeLockBlock':
      if (p.length !== 13) return bad(`expected 13 bytes, got ${p.length}`);
      return ok({ type, uid: uid(), block: p[8] ?? 0, data: copyBytes(p, 9, 13) });
    case 'lockBlock':
      if (p.length !== 9) return bad(`expected 9 bytes, got ${p.length}`);
      return ok({ type: 'lockBlock', uid: uid(), block: p[8] ?? 0 });
    case 'getAfi':
    case 'lockAfi':
    case 'checkEas':
    case 'getDsfid':
    case 'lockDsfid':
    case 'quiet':
      if (p.length !== 8) return bad(`expected a UID, got ${p.length} bytes`);
      return ok({ type, uid: uid() });
    case 'writeAfi':
    case 'writeDsfid':
    case 'setEas':
    case 'tagInfo': {
      if (p.length !== 9) return bad(`expected 9 bytes, got ${p.length}`);
      const v = p[8] ?? 0;
      if (type === 'writeAfi') return ok({ type, uid: uid(), afi: v });
      if (type === 'writeDsfid') return ok({ type, uid: uid(), dsfid: v });
      if (type === 'setEas') return ok({ type, uid: uid(), enabled: v !== 0 });
      return ok({ type: 'tagInfo', uid: uid(), mask: v });
    }
    default:
      return ok({ type: 'raw', start, command: cmd, payload: copyBytes(p) });
  }
}

// ------------------------------------------------------------------------------------ reader → host

/** Encodes a response as a complete frame (the simulator side). */
export function encodeThreeMResponse(res: ThreeMResponse): Uint8Array {
  const frame = (cmd: number, status: number, ...parts: Array<Uint8Array | number[]>): Uint8Array =>
    encodeThreeMFrame(
      concatBytes(
        Uint8Array.of(cmd, byte('status', status)),
        ...parts.map((q) => (q instanceof Uint8Array ? q : Uint8Array.from(q))),
      ),
    );
  const uidPart = (uid: TagUid | undefined): Uint8Array => (uid === undefined ? new Uint8Array(0) : uidToBytes(uid));

  switch (res.type) {
    case 'hardwareVersion':
      return encodeThreeMFrame(
        concatBytes(HARDWARE_PROBE_BODY, Uint8Array.from(res.version.map((v) => byte('version', v)))),
        THREEM_SOF_ALT,
      );
    case 'raw': {
      const head = res.status === undefined ? [byte('command', res.command)] : [byte('command', res.command), byte('status', res.status)];
      return encodeThreeMFrame(concatBytes(Uint8Array.from(head), res.payload), res.start);
    }
    case 'inventory': {
      if (res.status !== 0 && res.afi === undefined) return frame(THREEM_CMD.inventory, res.status);
      const options = byte('options', res.options ?? THREEM_DEFAULT_INVENTORY_OPTIONS);
      const entries: number[] = [];
      for (const t of res.tags) {
        if (options & THREEM_INVENTORY_OPTION.dsfid) entries.push(byte('dsfid', t.dsfid ?? 0));
        if (options & THREEM_INVENTORY_OPTION.uid) entries.push(...uidToBytes(t.uid));
      }
      return frame(THREEM_CMD.inventory, res.status, [byte('afi', res.afi ?? 0), options, byte('tag count', res.tags.length)], entries);
    }
    case 'version':
      return frame(THREEM_CMD.version, res.status, res.version.map((v) => byte('version', v)));
  }

  const cmd = CMD_BY_TYPE[res.type] ?? 0;
  if (res.status !== 0) return frame(cmd, res.status, uidPart(res.uid));
  if (res.uid === undefined) throw new RangeError(`a successful ${res.type} response carries the UID`);
  const uid = uidToBytes(res.uid);
  switch (res.type) {
    case 'readBlocks': {
      const withLock = res.blocks.every((b) => b.lockStatus !== undefined);
      const entries: number[] = [];
      for (const b of res.blocks) {
        if (b.data.length !== 4) throw new RangeError(`block data must be 4 bytes, got ${b.data.length}`);
        entries.push(byte('block', b.block));
        if (withLock) entries.push(byte('lockStatus', b.lockStatus ?? 0));
        entries.push(...b.data);
      }
      return frame(cmd, 0, uid, [byte('block count', res.blocks.length)], entries);
    }
    case 'writeBlocks':
      return frame(cmd, 0, uid, res.block === undefined ? [] : [byte('block', res.block)]);
    case 'getAfi':
      return frame(cmd, 0, uid, res.afi === undefined ? [] : [byte('afi', res.afi)]);
    case 'checkEas':
      return frame(cmd, 0, uid, res.eas === undefined ? [] : [res.eas ? 1 : 0]);
    case 'getDsfid':
      return frame(cmd, 0, uid, res.dsfid === undefined ? [] : [byte('dsfid', res.dsfid)]);
    case 'tagInfo': {
      const fields: number[] = [];
      let available = 0;
      if (res.dsfid !== undefined) {
        available |= THREEM_TAG_INFO.dsfid;
        fields.push(byte('dsfid', res.dsfid));
      }
      if (res.afi !== undefined) {
        available |= THREEM_TAG_INFO.afi;
        fields.push(byte('afi', res.afi));
      }
      if (res.blockSize !== undefined && res.blockCount !== undefined) {
        available |= THREEM_TAG_INFO.memorySize;
        fields.push(byte('blockSize - 1', res.blockSize - 1), byte('blockCount - 1', res.blockCount - 1));
      }
      if (res.icReference !== undefined) {
        available |= THREEM_TAG_INFO.icReference;
        fields.push(byte('icReference', res.icReference));
      }
      return frame(cmd, 0, uid, [res.available ?? available], fields);
    }
    default:
      return frame(cmd, 0, uid);
  }
}

/** Decodes a response frame (the driver side). Responses echo CMD, so no request context is needed. */
export function decodeThreeMResponse(bytes: Uint8Array): ThreeMDecodeResult<ThreeMResponse> {
  const f = decodeThreeMFrame(bytes);
  if (!f.ok) return { ok: false, error: { code: 'bad-frame', message: `${f.error.code}: ${f.error.message}` } };
  const { start, body } = f.frame;
  const cmd = body[0] ?? 0;
  const ok = (value: ThreeMResponse): ThreeMDecodeResult<ThreeMResponse> => ({ ok: true, value });
  const bad = (message: string): ThreeMDecodeResult<ThreeMResponse> => ({
    ok: false,
    error: { code: 'bad-payload', message: `response 0x${hex(cmd)}: ${message}` },
  });

  if (start === THREEM_SOF_ALT) {
    if (body.length >= 3 && HARDWARE_PROBE_BODY.every((b, i) => body[i] === b)) {
      return ok({ type: 'hardwareVersion', version: Array.from(body.subarray(3)) });
    }
    return ok({ type: 'raw', start, command: cmd, payload: copyBytes(body, 1) });
  }
  if (body.length < 2) return ok({ type: 'raw', start, command: cmd, payload: new Uint8Array(0) });
  const status = body[1] ?? 0;
  const p = body.subarray(2);
  const type = TYPE_BY_CMD.get(cmd);
  if (type === undefined) return ok({ type: 'raw', start, command: cmd, status, payload: copyBytes(p) });

  if (type === 'inventory') {
    if (status !== 0 && p.length < 3) return ok({ type: 'inventory', status, tags: [] });
    if (p.length < 3) return bad('needs AFI, options and count');
    const afi = p[0] ?? 0;
    const options = p[1] ?? 0;
    const count = p[2] ?? 0;
    const hasDsfid = (options & THREEM_INVENTORY_OPTION.dsfid) !== 0;
    const hasUid = (options & THREEM_INVENTORY_OPTION.uid) !== 0;
    const entry = (hasDsfid ? 1 : 0) + (hasUid ? 8 : 0);
    if (entry === 0 || p.length !== 3 + count * entry) {
      return bad(`${count} tags with options 0x${hex(options)} do not fit ${p.length - 3} bytes`);
    }
    const tags: ThreeMInventoryTag[] = [];
    for (let i = 0; i < count; i++) {
      let at = 3 + i * entry;
      const tag: ThreeMInventoryTag = { uid: '' };
      if (hasDsfid) tag.dsfid = p[at++] ?? 0;
      tag.uid = bytesToUid(p, at);
      tags.push(tag);
    }
    return ok({ type: 'inventory', status, afi, options, tags });
  }
  if (type === 'version') return ok({ type: 'version', status, version: Array.from(p) });

  const uid = p.length >= 8 ? bytesToUid(p, 0) : undefined;
  const withUid = <T extends object>(o: T): T & OptUid => (uid === undefined ? o : { ...o, uid });
  const rest = p.subarray(8);

  if (status !== 0) {
    // Error responses: CMD ERR [UID]; nothing else is interpreted.
    const value = type === 'readBlocks' ? { type, status, blocks: [] } : { type, status };
    return ok(withUid(value) as ThreeMResponse);
  }
  if (uid === undefined) return bad('missing UID');

  switch (type) {
    case 'readBlocks': {
      const count = rest[0] ?? 0;
      const data = rest.subarray(1);
      let stride: number;
      if (data.length === count * 6) stride = 6;
      else if (data.length === count * 5) stride = 5;
      else return bad(`${count} blocks do not fit ${data.length} bytes`);
      const blocks: ThreeMBlock[] = [];
      for (let i = 0; i < count; i++) {
        const at = i * stride;
        const block: ThreeMBlock = { block: data[at] ?? 0, data: copyBytes(data, at + stride - 4, at + stride) };
        if (stride === 6) block.lockStatus = data[at + 1] ?? 0;
        blocks.push(block);
      }
      return ok({ type, status, uid, blocks });
    }
    case 'writeBlocks':
      return ok(rest.length >= 1 ? { type, status, uid, block: rest[0] ?? 0 } : { type, status, uid });
    case 'getAfi':
      return ok(rest.length >= 1 ? { type, status, uid, afi: rest[0] ?? 0 } : { type, status, uid });
    case 'checkEas':
      return ok(rest.length >= 1 ? { type, status, uid, eas: (rest[0] ?? 0) !== 0 } : { type, status, uid });
    case 'getDsfid':
      return ok(rest.length >= 1 ? { type, status, uid, dsfid: rest[0] ?? 0 } : { type, status, uid });
    case 'tagInfo': {
      if (rest.length < 1) return ok({ type, status, uid });
      const available = rest[0] ?? 0;
      const res: ThreeMResponse & { type: 'tagInfo' } = { type, status, uid, available };
      let at = 1;
      const need = (n: number): boolean => at + n <= rest.length;
      if (available & THREEM_TAG_INFO.dsfid) {
        if (!need(1)) return bad('DSFID missing');
        res.dsfid = rest[at++] ?? 0;
      }
      if (available & THREEM_TAG_INFO.afi) {
        if (!need(1)) return bad('AFI missing');
        res.afi = rest[at++] ?? 0;
      }
      if (available & THREEM_TAG_INFO.memorySize) {
        if (!need(2)) return bad('memory size missing');
        // (block size − 1, number of blocks − 1), as in the spec's tag-info table.
        res.blockSize = ((rest[at] ?? 0) & 0x1f) + 1;
        res.blockCount = (rest[at + 1] ?? 0) + 1;
        at += 2;
      }
      if (available & THREEM_TAG_INFO.icReference) {
        if (!need(1)) return bad('IC reference missing');
        res.icReference = rest[at++] ?? 0;
      }
      return ok(res);
    }
    default:
      return ok({ type: type as ThreeMSimpleResponseType, status, uid });
  }
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

