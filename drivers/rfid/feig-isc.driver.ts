/**
 * Driver for FEIG OBID ISC readers in ISO-host mode (ID CPR-M02 / CPR.02 / CPR.04, ISC.MR101 …):
 * the ISC standard protocol `LEN ADR CMD [STATUS] DATA CRC16` with CRC-16/MCRF4XX, 38400 8E1 by
 * default (protocols/feig-isc; devices.md §2.2). Requests go to COM-ADR 0xFF (any reader), with a
 * quiet gap of ≥ 5 ms before each one as the manual requires.
 *
 * Requests used: [65] software version (the open() probe), [B0 01] inventory (repeated with MORE
 * after STATUS 0x94), [B0 23] read / [B0 24] write multiple blocks (addressed; block bytes MSB first
 * on the wire, the codec reverses them), [B0 2B] system info (AFI, DSFID, memory size),
 * [B0 27] write AFI, [B0 29] write DSFID, [B1 04 A2/A3] NXP set/reset EAS, [B1 04 A5] EAS alarm,
 * [B0 22] lock multiple blocks (`LEN FF B0 22 01 UID[8] DB-ADR DB-N CRC`; an error answer names
 * the block where locking stopped, DB-ADR-E) and [B0 2C] get multiple block security status
 * (`… B0 2C 01 UID[8] DB-ADR DB-N CRC` → `DB-N SEC-STATUS…`, bit 0 = locked) — FEIG ISC.MR/PR101
 * manual H60301-3e §6.1.3 / §6.1.13.
 * STATUS: 01 → tag_missing; 95 + ISO error 0x11/0x12 → write_refused, 0x10 → block_unavailable;
 * 03 write error / 83 RF error → rf_error (retried); others → reader_error. EAS alarm silence
 * (01) is confirmed with a system-info before it is read as "EAS off".
 */

import {
  FEIG_INVENTORY_MODE,
  FEIG_STATUS,
  FeigFrameSplitter,
  ISO15693_BLOCK_LOCKED,
  ISO15693_ERROR_NAMES,
  decodeFeigResponse,
  encodeFeigRequest,
  feigStatusName,
  type FeigRequest,
  type FeigResponse,
} from '../../protocols/feig-isc/index.ts';
import { bytesToHex, type FrameSplitter } from '../../protocols/crc/index.ts';
import { RFID_ERROR, rfidError, type InventoryEntry, type TagUid } from './index.ts';
import { SerialRfidReader, type ReaderFamily, type SerialRfidOptions } from './serial-reader.ts';

export const FEIG_ISC_FAMILY: ReaderFamily = {
  model: 'FEIG ISC',
  baudRate: 38400,
  parity: 'even',
  requestGapMs: 5,
  responseTimeoutMs: 600,
  // Answers carry at most 128 data bytes (manual, [B0 23]): 16 blocks × (1 SEC + 4) = 80.
  maxBlocksPerRead: 16,
  maxBlocksPerWrite: 8,
  // [B0 22] DB-N: at most 128 bytes' worth of blocks, 32 of 4 bytes (manual §6.1.3).
  maxBlocksPerLock: 32,
};

export interface FeigIscOptions extends SerialRfidOptions {
  /** COM-ADR to send to (default 0xFF: whichever reader is on the line). */
  address?: number;
}

type ResponseOf<K extends FeigResponse['type']> = FeigResponse & { type: K };

/** Upper bound on MORE repeats of one inventory (24 tags per answer: ample for a pad). */
const MAX_INVENTORY_CONTINUATIONS = 16;

export class FeigIscReader extends SerialRfidReader {
  private readonly address: number;

  constructor(options: FeigIscOptions) {
    super(FEIG_ISC_FAMILY, options);
    this.address = options.address ?? 0xff;
  }

  protected createSplitter(): FrameSplitter {
    return new FeigFrameSplitter();
  }

  protected async probe(): Promise<string> {
    const res = await this.call({ type: 'softwareVersion' }, 'softwareVersion');
    this.check(res, 'software version');
    return bytesToHex(res.data, '.');
  }

  protected async protoInventory(): Promise<InventoryEntry[]> {
    const out: InventoryEntry[] = [];
    let mode = 0;
    for (let i = 0; i <= MAX_INVENTORY_CONTINUATIONS; i++) {
      const res = await this.call({ type: 'inventory', mode }, 'inventory');
      if (res.status === FEIG_STATUS.noTransponder) return out;
      if (res.status !== FEIG_STATUS.moreData) this.check(res, 'inventory');
      for (const t of res.tags) out.push({ uid: t.uid, dsfid: t.dsfid });
      if (res.status !== FEIG_STATUS.moreData) return out;
      mode = FEIG_INVENTORY_MODE.more;
    }
    throw rfidError(RFID_ERROR.protocol, 'inventory: reader keeps answering "more data"');
  }

  protected async protoRead(uid: TagUid, firstBlock: number, count: number): Promise<Uint8Array> {
    const res = await this.call({ type: 'readBlocks', uid, firstBlock, blockCount: count }, 'readBlocks');
    this.check(res, `read ${uid}`);
    if (res.blocks.length !== count || res.blocks.some((b) => b.data.length !== 4)) {
      throw rfidError(RFID_ERROR.protocol, `read ${uid}: asked for ${count} blocks of 4 bytes, got ${res.blocks.length} of ${res.blockSize ?? '?'}`);
    }
    const out = new Uint8Array(count * 4);
    res.blocks.forEach((b, i) => out.set(b.data, i * 4));
    return out;
  }

  protected async protoWrite(uid: TagUid, firstBlock: number, data: Uint8Array): Promise<void> {
    const res = await this.call({ type: 'writeBlocks', uid, firstBlock, data }, 'writeBlocks');
    this.check(res, `write ${uid}`);
  }

  protected async protoBlockCount(uid: TagUid): Promise<number> {
    return (await this.systemInfo(uid)).blockCount;
  }

  protected async protoGetAfi(uid: TagUid): Promise<number> {
    return (await this.systemInfo(uid)).afi;
  }

  protected async protoWriteAfi(uid: TagUid, afi: number): Promise<void> {
    const res = await this.call({ type: 'writeAfi', uid, afi }, 'writeAfi');
    this.check(res, `write AFI ${uid}`);
  }

  protected async protoGetEas(uid: TagUid): Promise<boolean> {
    const res = await this.call({ type: 'easAlarm', uid }, 'easAlarm');
    if (res.status === FEIG_STATUS.noTransponder) {
      // Only a tag with EAS = 1 answers the alarm: silence is "EAS off" if the tag is still there.
      await this.systemInfo(uid);
      return false;
    }
    this.check(res, `EAS alarm ${uid}`);
    return true;
  }

  protected async protoSetEas(uid: TagUid, on: boolean): Promise<void> {
    const type = on ? 'setEas' : 'resetEas';
    const res = await this.call({ type, uid }, type);
    this.check(res, `${on ? 'set' : 'reset'} EAS ${uid}`);
  }

  protected async protoGetDsfid(uid: TagUid): Promise<number> {
    return (await this.systemInfo(uid)).dsfid;
  }

  protected async protoWriteDsfid(uid: TagUid, dsfid: number): Promise<void> {
    const res = await this.call({ type: 'writeDsfid', uid, dsfid }, 'writeDsfid');
    this.check(res, `write DSFID ${uid}`);
  }

  protected async protoLockBlocks(uid: TagUid, firstBlock: number, count: number): Promise<void> {
    const res = await this.call({ type: 'lockBlocks', uid, firstBlock, blockCount: count }, 'lockBlocks');
    const range = count === 1 ? `block ${firstBlock}` : `blocks ${firstBlock}–${firstBlock + count - 1}`;
    const stopped = res.errorBlock === undefined ? '' : ` (stopped at block ${res.errorBlock})`;
    this.check(res, `lock ${range} of ${uid}${stopped}`);
  }

  protected async protoReadLocks(uid: TagUid, firstBlock: number, count: number): Promise<boolean[]> {
    const res = await this.call({ type: 'blockSecurity', uid, firstBlock, blockCount: count }, 'blockSecurity');
    this.check(res, `block security status ${uid}`);
    if (res.security.length !== count) {
      throw rfidError(RFID_ERROR.protocol, `block security status ${uid}: asked for ${count} blocks, got ${res.security.length}`);
    }
    return res.security.map((v) => (v & ISO15693_BLOCK_LOCKED) !== 0);
  }

  private async systemInfo(uid: TagUid): Promise<{ afi: number; dsfid: number; blockCount: number }> {
    const res = await this.call({ type: 'systemInfo', uid }, 'systemInfo');
    this.check(res, `system info ${uid}`);
    if (res.afi === undefined || res.dsfid === undefined || res.blockCount === undefined) {
      throw rfidError(RFID_ERROR.protocol, `system info ${uid}: answer without data`);
    }
    if (res.uid !== undefined && res.uid !== uid) throw rfidError(RFID_ERROR.protocol, `system info for ${res.uid}, asked ${uid}`);
    return { afi: res.afi, dsfid: res.dsfid, blockCount: res.blockCount };
  }

  /**
   * Sends a request and decodes the answer in its context ([B0] answers do not echo the
   * sub-command). A frame under another CMD byte is not the answer (stray).
   */
  private call<K extends FeigResponse['type']>(req: FeigRequest, expect: K): Promise<ResponseOf<K>> {
    const addressed = { ...req, address: this.address } as FeigRequest;
    let bytes: Uint8Array;
    try {
      bytes = encodeFeigRequest(addressed);
    } catch (e) {
      return Promise.reject(rfidError(RFID_ERROR.badRequest, `${req.type}: ${e instanceof Error ? e.message : String(e)}`));
    }
    return this.exchange(req.type, bytes, (frame) => {
      const d = decodeFeigResponse(frame, addressed);
      if (!d.ok) {
        if (d.error.code === 'unexpected-command') return undefined;
        throw rfidError(RFID_ERROR.protocol, `${req.type}: ${d.error.message}`);
      }
      if (d.value.type !== expect) return undefined;
      return d.value as ResponseOf<K>;
    });
  }

  private check(res: { status: number; isoError?: number }, what: string): void {
    const status = res.status;
    if (status === FEIG_STATUS.ok) return;
    const iso = res.isoError;
    const text =
      status === FEIG_STATUS.isoError && iso !== undefined
        ? `${what}: ISO 15693 error 0x${iso.toString(16).toUpperCase().padStart(2, '0')} (${ISO15693_ERROR_NAMES[iso] ?? 'unknown'})`
        : `${what}: ${feigStatusName(status)} (0x${status.toString(16).toUpperCase().padStart(2, '0')})`;
    switch (status) {
      case FEIG_STATUS.noTransponder:
        throw rfidError(RFID_ERROR.tagMissing, text);
      case FEIG_STATUS.addressError:
        throw rfidError(RFID_ERROR.blockUnavailable, text);
      case FEIG_STATUS.writeError:
      case FEIG_STATUS.rfCommunicationError:
        throw rfidError(RFID_ERROR.rfError, text);
      case FEIG_STATUS.isoError:
        if (iso === 0x10) throw rfidError(RFID_ERROR.blockUnavailable, text);
        if (iso === 0x11 || iso === 0x12) throw rfidError(RFID_ERROR.writeRefused, text);
        if (iso === 0x01 || iso === 0x02 || iso === 0x03) throw rfidError(RFID_ERROR.readerError, text);
        throw rfidError(RFID_ERROR.rfError, text);
      default:
        throw rfidError(RFID_ERROR.readerError, text);
    }
  }
}
