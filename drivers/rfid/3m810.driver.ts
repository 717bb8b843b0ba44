/**
 * Driver for 3M 210/810 pads (and Bibliotheca pads with the same firmware): D6 frames with a
 * CRC-16/GENIBUS BCC over USB serial, 19200 8N1 (protocols/3m810; devices.md §2.1).
 *
 * Requests used (all but inventory and version address the tag by UID):
 *   FE inventory (AFI 0 = every tag, RespOpts 0x05 as the spec example and Biblio-RFID),
 *   11 version (the open() probe), 02 read blocks, 04 write blocks, 0D tag info (memory size),
 *   0A/09 get/write AFI, 03/0C check/set EAS, 0F/0B get/write DSFID,
 *   08 lock block (`D6 00 0C 08 UID[8] blk CRC`, answer `D6 00 0D 08 ERR UID[8] CRC`: one block
 *   per frame, 3M spec command table; devices.md §2.1). The lock state is the lock byte of each
 *   block in the 02 "read blocks" answer (old style: blk#, lock, 4 data), non-zero = locked.
 * Error bytes: 06 no transponder → tag_missing; 12 locked → write_refused; 11 memory not
 * available → block_unavailable; 15/16 read/write error → rf_error (retried); anything else →
 * reader_error. Check EAS answers 06 when EAS = 0, so "06" is confirmed with a get-AFI before it
 * is read as "EAS off".
 */

import {
  THREEM_DEFAULT_INVENTORY_OPTIONS,
  THREEM_ERROR,
  THREEM_TAG_INFO,
  ThreeMFrameSplitter,
  decodeThreeMResponse,
  encodeThreeMRequest,
  threeMErrorName,
  type ThreeMRequest,
  type ThreeMResponse,
} from '../../protocols/3m810/index.ts';
import type { FrameSplitter } from '../../protocols/crc/index.ts';
import { RFID_ERROR, rfidError, type InventoryEntry, type TagUid } from './index.ts';
import { SerialRfidReader, type ReaderFamily, type SerialRfidOptions } from './serial-reader.ts';

export const THREEM_810_FAMILY: ReaderFamily = {
  model: '3M 810',
  baudRate: 19200,
  parity: 'none',
  requestGapMs: 0,
  // 19200 baud is slow: a 40-tag inventory answer alone is ~170 ms on the line, plus ~330 ms of air.
  responseTimeoutMs: 1000,
  maxBlocksPerRead: 16,
  maxBlocksPerWrite: 8,
  maxBlocksPerLock: 1,
};

export interface ThreeM810Options extends SerialRfidOptions {
  /** Inventory RespOpts byte (default 0x05; add 0x02 to have DSFIDs reported). */
  inventoryOptions?: number;
}

type ResponseOf<K extends ThreeMResponse['type']> = ThreeMResponse & { type: K };

export class ThreeM810Reader extends SerialRfidReader {
  private readonly inventoryOptions: number;

  constructor(options: ThreeM810Options) {
    super(THREEM_810_FAMILY, options);
    this.inventoryOptions = options.inventoryOptions ?? THREEM_DEFAULT_INVENTORY_OPTIONS;
  }

  protected createSplitter(): FrameSplitter {
    return new ThreeMFrameSplitter();
  }

  protected async probe(): Promise<string> {
    const res = await this.call({ type: 'version' }, 'version');
    this.check(res.status, 'version');
    const [, major, minor, build] = res.version;
    return `${major ?? 0}.${minor ?? 0}.${build ?? 0}`;
  }

  protected async protoInventory(): Promise<InventoryEntry[]> {
    const res = await this.call({ type: 'inventory', afi: 0, options: this.inventoryOptions }, 'inventory');
    if (res.status === THREEM_ERROR.noTransponder) return [];
    this.check(res.status, 'inventory');
    return res.tags.map((t) => (t.dsfid === undefined ? { uid: t.uid } : { uid: t.uid, dsfid: t.dsfid }));
  }

  protected async protoRead(uid: TagUid, firstBlock: number, count: number): Promise<Uint8Array> {
    const res = await this.call({ type: 'readBlocks', uid, firstBlock, blockCount: count }, 'readBlocks', uid);
    this.check(res.status, `read ${uid}`);
    const out = new Uint8Array(count * 4);
    const got = new Set<number>();
    for (const b of res.blocks) {
      const i = b.block - firstBlock;
      if (i < 0 || i >= count) continue;
      out.set(b.data, i * 4);
      got.add(i);
    }
    if (got.size !== count) {
      throw rfidError(RFID_ERROR.protocol, `read ${uid}: asked for ${count} blocks from ${firstBlock}, got ${got.size}`);
    }
    return out;
  }

  protected async protoWrite(uid: TagUid, firstBlock: number, data: Uint8Array): Promise<void> {
    const res = await this.call({ type: 'writeBlocks', uid, firstBlock, data }, 'writeBlocks', uid);
    this.check(res.status, `write ${uid}`);
  }

  protected async protoBlockCount(uid: TagUid): Promise<number> {
    const res = await this.call({ type: 'tagInfo', uid, mask: THREEM_TAG_INFO.memorySize }, 'tagInfo', uid);
    this.check(res.status, `tag info ${uid}`);
    if (res.blockCount === undefined) throw rfidError(RFID_ERROR.protocol, `tag info ${uid}: no memory size`);
    return res.blockCount;
  }

  protected async protoGetAfi(uid: TagUid): Promise<number> {
    const res = await this.call({ type: 'getAfi', uid }, 'getAfi', uid);
    this.check(res.status, `get AFI ${uid}`);
    if (res.afi === undefined) throw rfidError(RFID_ERROR.protocol, `get AFI ${uid}: no AFI in the answer`);
    return res.afi;
  }

  protected async protoWriteAfi(uid: TagUid, afi: number): Promise<void> {
    const res = await this.call({ type: 'writeAfi', uid, afi }, 'writeAfi', uid);
    this.check(res.status, `write AFI ${uid}`);
  }

  protected async protoGetEas(uid: TagUid): Promise<boolean> {
    const res = await this.call({ type: 'checkEas', uid }, 'checkEas', uid);
    if (res.status === THREEM_ERROR.noTransponder) {
      // EAS = 0 and "no tag" look the same here (3M spec "Check EAS"): the tag must still answer.
      await this.protoGetAfi(uid);
      return false;
    }
    this.check(res.status, `check EAS ${uid}`);
    return res.eas ?? true;
  }

  protected async protoSetEas(uid: TagUid, on: boolean): Promise<void> {
    const res = await this.call({ type: 'setEas', uid, enabled: on }, 'setEas', uid);
    this.check(res.status, `EAS ${on ? 'on' : 'off'} ${uid}`);
  }

  protected async protoGetDsfid(uid: TagUid): Promise<number> {
    const res = await this.call({ type: 'getDsfid', uid }, 'getDsfid', uid);
    this.check(res.status, `get DSFID ${uid}`);
    if (res.dsfid === undefined) throw rfidError(RFID_ERROR.protocol, `get DSFID ${uid}: no DSFID in the answer`);
    return res.dsfid;
  }

  protected async protoWriteDsfid(uid: TagUid, dsfid: number): Promise<void> {
    const res = await this.call({ type: 'writeDsfid', uid, dsfid }, 'writeDsfid', uid);
    this.check(res.status, `write DSFID ${uid}`);
  }

  protected async protoLockBlocks(uid: TagUid, firstBlock: number, count: number): Promise<void> {
    for (let block = firstBlock; block < firstBlock + count; block++) {
      const res = await this.call({ type: 'lockBlock', uid, block }, 'lockBlock', uid);
      this.check(res.status, `lock block ${block} of ${uid}`);
    }
  }

  protected async protoReadLocks(uid: TagUid, firstBlock: number, count: number): Promise<boolean[]> {
    const res = await this.call({ type: 'readBlocks', uid, firstBlock, blockCount: count }, 'readBlocks', uid);
    this.check(res.status, `read lock state ${uid}`);
    const out = new Array<boolean | undefined>(count).fill(undefined);
    for (const b of res.blocks) {
      const i = b.block - firstBlock;
      if (i < 0 || i >= count) continue;
      if (b.lockStatus === undefined) throw rfidError(RFID_ERROR.protocol, `read lock state ${uid}: the answer has no lock bytes`);
      out[i] = b.lockStatus !== 0;
    }
    if (out.some((v) => v === undefined)) {
      throw rfidError(RFID_ERROR.protocol, `read lock state ${uid}: asked for ${count} blocks from ${firstBlock}, got ${res.blocks.length}`);
    }
    return out as boolean[];
  }

  /** Sends a request and waits for the answer with the same command (and UID, when it has one). */
  private call<K extends ThreeMResponse['type']>(req: ThreeMRequest, expect: K, uid?: TagUid): Promise<ResponseOf<K>> {
    let bytes: Uint8Array;
    try {
      bytes = encodeThreeMRequest(req);
    } catch (e) {
      return Promise.reject(rfidError(RFID_ERROR.badRequest, `${req.type}: ${e instanceof Error ? e.message : String(e)}`));
    }
    return this.exchange(req.type, bytes, (frame) => {
      const d = decodeThreeMResponse(frame);
      if (!d.ok) throw rfidError(RFID_ERROR.protocol, `${req.type}: ${d.error.message}`);
      const res = d.value;
      if (res.type !== expect) return undefined;
      if (uid !== undefined && 'uid' in res && res.uid !== undefined && res.uid !== uid) return undefined;
      return res as ResponseOf<K>;
    });
  }

  private check(status: number, what: string): void {
    if (status === THREEM_ERROR.ok) return;
    const text = `${what}: ${threeMErrorName(status)} (0x${status.toString(16).toUpperCase().padStart(2, '0')})`;
    switch (status) {
      case THREEM_ERROR.noTransponder:
        throw rfidError(RFID_ERROR.tagMissing, text);
      case THREEM_ERROR.locked:
        throw rfidError(RFID_ERROR.writeRefused, text);
      case THREEM_ERROR.memoryNotAvailable:
        throw rfidError(RFID_ERROR.blockUnavailable, text);
      case THREEM_ERROR.readError:
      case THREEM_ERROR.writeError:
      case THREEM_ERROR.isoError1:
      case THREEM_ERROR.isoError2:
      case THREEM_ERROR.isoError3:
        throw rfidError(RFID_ERROR.rfError, text);
      default:
        throw rfidError(RFID_ERROR.readerError, text);
    }
  }
}
