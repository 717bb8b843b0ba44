/**
 * A FEIG OBID ISC reader (CPR-M02 / ISC.MR101 family) in ISO-host mode that answers the real ISC
 * standard-protocol frames (devices.md §2.2; FEIG CPR manual H20800-16e) from a virtual pad.
 * 38400 baud 8E1, reader COM-ADR 0x00 (answers requests to its address and to 0xFF).
 *
 *  [B0 01] inventory: all tags in one answer, at most `maxTagsPerAnswer` (24 fit a 255-byte frame);
 *          the rest follows on a repeat with MODE bit 7 (MORE) after STATUS 0x94, as on the reader.
 *  [B0 23] read multiple blocks, [B0 24] write multiple blocks (block data MSB first on the wire,
 *          i.e. reversed per block — the codec does that), [B0 27/28/29] AFI/DSFID,
 *          [B0 2B] system info, [B0 02/25/26] quiet/select/reset,
 *          [B0 22] lock multiple blocks (stops at the first block that fails and names it in
 *          DB-ADR-E), [B0 2C] get multiple block security status (bit 0 = locked).
 *  [B1 04 A2/A3/A4/A5] NXP set/reset/lock EAS and EAS alarm (only a tag with EAS = 1 answers).
 *  [65] software version, [69] RF reset.
 *
 * Tag failures: no tag → STATUS 0x01; locked → 0x95 + ISO error 0x12; locking a block locked
 * already → 0x95 + 0x11; block out of range → 0x95 + 0x10; RF write error → 0x03; RF read error →
 * 0x83. Unknown command → 0x80.
 */

import {
  FEIG_INVENTORY_MODE,
  FEIG_STATUS,
  FEIG_TR_TYPE_ISO15693,
  FeigFrameSplitter,
  ISO15693_BLOCK_LOCKED,
  decodeFeigRequest,
  encodeFeigRequest,
  encodeFeigResponse,
  type FeigAckType,
  type FeigInventoryTag,
  type FeigRequest,
  type FeigResponse,
} from '../../protocols/feig-isc/index.ts';
import type { FrameSplitter } from '../../protocols/crc/index.ts';
import { addToBudget, emptyBudget, inventoryAirTime, readBlocksAirUs, type TimeBudget } from './air-time.ts';
import type { PadResult, RfidPad, TagFailure } from './pad.simulator.ts';
import { ReaderSimulator, type ReaderSimulatorOptions, type SimAnswer } from './reader.simulator.ts';

export interface FeigIscSimulatorOptions extends ReaderSimulatorOptions {
  /** The reader's COM-ADR (default 0x00). */
  address?: number;
  /** Data sets per inventory answer before STATUS 0x94 "more data" (default 24). */
  maxTagsPerAnswer?: number;
  /** [65] answer: SW-REV hi lo, D-REV, HW-TYPE, SW-TYPE, TR-TYPE hi lo. */
  softwareVersion?: readonly number[];
}

const FAILURE: Record<TagFailure, { status: number; isoError?: number }> = {
  'no-tag': { status: FEIG_STATUS.noTransponder },
  locked: { status: FEIG_STATUS.isoError, isoError: 0x12 },
  'already-locked': { status: FEIG_STATUS.isoError, isoError: 0x11 },
  'write-error': { status: FEIG_STATUS.writeError },
  'read-error': { status: FEIG_STATUS.rfCommunicationError },
  'block-unavailable': { status: FEIG_STATUS.isoError, isoError: 0x10 },
};

/** A fixed 256-bit EAS sequence (ICODE SLI answers EAS ALARM with 32 bytes). */
const EAS_SEQUENCE = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 0x5a) & 0xff);

export class FeigIscSimulator extends ReaderSimulator {
  private readonly address: number;
  private readonly maxTagsPerAnswer: number;
  private readonly softwareVersion: Uint8Array;
  /** Data sets still to deliver after STATUS 0x94. */
  private moreTags: FeigInventoryTag[] = [];

  constructor(pad: RfidPad, options: FeigIscSimulatorOptions = {}) {
    super(pad, { baudRate: 38400, bitsPerChar: 11, requestGapMs: 5 }, options);
    this.address = options.address ?? 0x00;
    this.maxTagsPerAnswer = options.maxTagsPerAnswer ?? 24;
    this.softwareVersion = Uint8Array.from(options.softwareVersion ?? [0x03, 0x04, 0x00, 0x4c, 0x00, 0x00, 0x08]);
  }

  protected createSplitter(): FrameSplitter {
    return new FeigFrameSplitter();
  }

  protected answer(frame: Uint8Array): SimAnswer | undefined {
    const decoded = decodeFeigRequest(frame);
    const address = this.address;
    const command = frame[frame[0] === 0x02 ? 4 : 2] ?? 0;
    if (!decoded.ok) {
      return { bytes: encodeFeigResponse({ type: 'raw', address, command, status: FEIG_STATUS.lengthError, data: new Uint8Array(0) }), airUs: 0 };
    }
    const req = decoded.value;
    if (req.address !== undefined && req.address !== 0xff && req.address !== address) return undefined; // not for us
    const pad = this.pad;
    const reply = (res: FeigResponse, airUs: number): SimAnswer => ({ bytes: encodeFeigResponse({ ...res, address }), airUs });
    const fail = <T extends FeigResponse['type']>(type: T, r: PadResult<unknown> & { ok: false }): SimAnswer =>
      reply({ type, ...FAILURE[r.error], ...(type === 'readBlocks' ? { blocks: [] } : {}) } as FeigResponse, r.airUs);
    const ack = (type: FeigAckType, r: PadResult<unknown>): SimAnswer => (r.ok ? reply({ type, status: 0 }, r.airUs) : fail(type, r));
    /** The tag a [B0]/[B1] request addresses: its UID, or the only tag in the field. */
    const target = (r: { uid?: string }): string | { error: SimAnswer } => {
      if (r.uid !== undefined) return r.uid;
      const tags = pad.listTags();
      if (tags.length === 1 && tags[0]) return tags[0].uid;
      const status = tags.length === 0 ? FEIG_STATUS.noTransponder : FEIG_STATUS.rfCommunicationError;
      return { error: reply({ type: 'raw', command, status, data: new Uint8Array(0) }, 0) };
    };

    switch (req.type) {
      case 'inventory': {
        let tags: FeigInventoryTag[];
        let airUs = 0;
        if ((req.mode ?? 0) & FEIG_INVENTORY_MODE.more) {
          tags = this.moreTags;
        } else {
          const inv = pad.inventory(0);
          airUs = inv.airUs;
          tags = inv.tags.map((t) => ({ trType: FEIG_TR_TYPE_ISO15693, dsfid: t.dsfid, uid: t.uid }));
        }
        this.moreTags = tags.slice(this.maxTagsPerAnswer);
        const now = tags.slice(0, this.maxTagsPerAnswer);
        if (now.length === 0) return reply({ type: 'inventory', status: FEIG_STATUS.noTransponder, tags: [] }, airUs);
        const status = this.moreTags.length > 0 ? FEIG_STATUS.moreData : FEIG_STATUS.ok;
        return reply({ type: 'inventory', status, tags: now }, airUs);
      }
      case 'readBlocks': {
        const uid = target(req);
        if (typeof uid !== 'string') return uid.error;
        const sec = req.withSecurity === true;
        const r = pad.readBlocks(uid, req.firstBlock, req.blockCount, sec);
        if (!r.ok) return fail('readBlocks', r);
        const blocks = r.value.locked.map((locked, i) => ({
          security: sec && locked ? 0x01 : 0x00,
          data: r.value.data.subarray(i * 4, i * 4 + 4),
        }));
        return reply({ type: 'readBlocks', status: 0, blockSize: 4, blocks }, r.airUs);
      }
      case 'writeBlocks': {
        const uid = target(req);
        if (typeof uid !== 'string') return uid.error;
        if ((req.blockSize ?? 4) !== 4) return reply({ type: 'writeBlocks', status: FEIG_STATUS.dataFalse }, 0);
        return ack('writeBlocks', pad.writeBlocks(uid, req.firstBlock, req.data));
      }
      case 'lockBlocks': {
        const uid = target(req);
        if (typeof uid !== 'string') return uid.error;
        const r = pad.lockBlocks(uid, req.firstBlock, req.blockCount);
        if (r.ok) return reply({ type: 'lockBlocks', status: 0 }, r.airUs);
        if (r.error === 'no-tag' && !r.done) return reply({ type: 'lockBlocks', status: FEIG_STATUS.noTransponder }, r.airUs);
        // Manual §6.1.3: the error answer names the block where locking stopped (DB-ADR-E).
        const errorBlock = (req.firstBlock + (r.done ?? 0)) & 0xff;
        if (r.error === 'no-tag') return reply({ type: 'lockBlocks', status: FEIG_STATUS.writeError, errorBlock }, r.airUs);
        return reply({ type: 'lockBlocks', ...FAILURE[r.error], errorBlock }, r.airUs);
      }
      case 'blockSecurity': {
        const uid = target(req);
        if (typeof uid !== 'string') return uid.error;
        const r = pad.blockSecurity(uid, req.firstBlock, req.blockCount);
        if (!r.ok) return reply({ type: 'blockSecurity', ...FAILURE[r.error], security: [] }, r.airUs);
        return reply({ type: 'blockSecurity', status: 0, security: r.value.map((locked) => (locked ? ISO15693_BLOCK_LOCKED : 0)) }, r.airUs);
      }
      case 'writeAfi':
      case 'lockAfi':
      case 'writeDsfid': {
        const uid = target(req);
        if (typeof uid !== 'string') return uid.error;
        if (req.type === 'writeAfi') return ack('writeAfi', pad.writeAfi(uid, req.afi));
        if (req.type === 'writeDsfid') return ack('writeDsfid', pad.writeDsfid(uid, req.dsfid));
        return ack('lockAfi', pad.lockAfi(uid));
      }
      case 'systemInfo': {
        const uid = target(req);
        if (typeof uid !== 'string') return uid.error;
        const r = pad.systemInfo(uid);
        if (!r.ok) return fail('systemInfo', r);
        return reply({ type: 'systemInfo', status: 0, uid, ...r.value }, r.airUs);
      }
      case 'stayQuiet':
      case 'select':
        return ack(req.type, pad.addressed(req.uid));
      case 'resetToReady': {
        const uid = target(req);
        if (typeof uid !== 'string') return uid.error;
        return ack('resetToReady', pad.addressed(uid));
      }
      case 'setEas':
      case 'resetEas':
      case 'lockEas':
      case 'easAlarm': {
        if ((req.manufacturer ?? 0x04) !== 0x04) {
          return reply({ type: req.type === 'easAlarm' ? 'easAlarm' : req.type, status: FEIG_STATUS.wrongTransponderType, data: new Uint8Array(0) } as FeigResponse, 0);
        }
        const uid = target(req);
        if (typeof uid !== 'string') return uid.error;
        if (req.type === 'setEas' || req.type === 'resetEas') return ack(req.type, pad.setEas(uid, req.type === 'setEas'));
        if (req.type === 'lockEas') return ack('lockEas', pad.lockEas(uid));
        const r = pad.easAlarm(uid);
        // Only a tag with EAS = 1 answers the alarm; silence reads as "no transponder".
        if (!r.ok || !r.value) return reply({ type: 'easAlarm', status: FEIG_STATUS.noTransponder, data: new Uint8Array(0) }, r.airUs);
        return reply({ type: 'easAlarm', status: 0, data: EAS_SEQUENCE }, r.airUs);
      }
      case 'softwareVersion':
        return reply({ type: 'softwareVersion', status: 0, data: this.softwareVersion }, 0);
      case 'rfReset':
        return reply({ type: 'rfReset', status: 0 }, 0);
      case 'raw':
        return reply({ type: 'raw', command: req.command, status: FEIG_STATUS.unknownCommand, data: new Uint8Array(0) }, 0);
    }
  }

  decodeBudget(uids: readonly string[], blocksPerTag: number): TimeBudget {
    const total = emptyBudget();
    const uid0 = uids[0] ?? 'E004010000000000';
    const invReq: FeigRequest = { type: 'inventory', mode: 0 };
    const inv = encodeFeigRequest(invReq);
    const tags = uids.map((uid) => ({ trType: FEIG_TR_TYPE_ISO15693, dsfid: 0, uid }));
    let answerBytes = 0;
    let exchanges = 0;
    for (let at = 0; at === 0 || at < tags.length; at += this.maxTagsPerAnswer) {
      const part = tags.slice(at, at + this.maxTagsPerAnswer);
      answerBytes += encodeFeigResponse({ type: 'inventory', status: 0, tags: part }).length;
      exchanges++;
    }
    const invBudget = this.exchangeBudget(inv.length * exchanges, answerBytes, inventoryAirTime(uids).us);
    invBudget.firmwareMs *= exchanges;
    invBudget.gapMs *= exchanges;
    invBudget.exchanges = exchanges;
    addToBudget(total, invBudget);
    const read = encodeFeigRequest({ type: 'readBlocks', uid: uid0, firstBlock: 0, blockCount: blocksPerTag });
    const readAnswer = encodeFeigResponse({
      type: 'readBlocks',
      status: 0,
      blockSize: 4,
      blocks: Array.from({ length: blocksPerTag }, () => ({ security: 0, data: new Uint8Array(4) })),
    });
    for (let i = 0; i < uids.length; i++) {
      addToBudget(total, this.exchangeBudget(read.length, readAnswer.length, readBlocksAirUs(blocksPerTag, false)));
    }
    return total;
  }
}
