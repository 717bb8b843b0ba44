/**
 * A 3M 210/810 (Bibliotheca) pad that answers the real D6 frames (3M RFID Reader Protocol
 * Specification; devices.md §2.1) from a virtual pad. 19200 baud 8N1.
 *
 * Tag failures map to the spec's error bytes: no tag → 0x06 "no transponder", locked (a write to a
 * locked block, or 08 "lock block" on a block locked already) → 0x12,
 * RF write error → 0x16, RF read error → 0x15, block out of range → 0x11 "memory not available".
 * Check EAS answers 0x06 when EAS = 0, as the real firmware does. Unknown commands get 0x02
 * ("command not implemented", `D6 00 04 CC 02 BCC`).
 */

import {
  THREEM_DEFAULT_INVENTORY_OPTIONS,
  THREEM_ERROR,
  THREEM_INVENTORY_OPTION,
  ThreeMFrameSplitter,
  decodeThreeMRequest,
  encodeThreeMRequest,
  encodeThreeMResponse,
  type ThreeMResponse,
} from '../../protocols/3m810/index.ts';
import { addToBudget, emptyBudget, inventoryAirTime, readBlocksAirUs, type TimeBudget } from './air-time.ts';
import type { PadResult, RfidPad, TagFailure } from './pad.simulator.ts';
import { ReaderSimulator, type ReaderSimulatorOptions, type SimAnswer } from './reader.simulator.ts';
import type { FrameSplitter } from '../../protocols/crc/index.ts';

export interface ThreeM810SimulatorOptions extends ReaderSimulatorOptions {
  /** Bytes after 0x0A in the version answer (default 3.2.6, the spec's example). */
  firmware?: [number, number, number];
  /** D5 hardware version (default 10.5.0.2, what Biblio-RFID expects). */
  hardware?: [number, number, number, number];
}

const FAILURE_CODE: Record<TagFailure, number> = {
  'no-tag': THREEM_ERROR.noTransponder,
  locked: THREEM_ERROR.locked,
  // The 3M firmware has one "locked" code (0x12) for both "cannot write" and "already locked".
  'already-locked': THREEM_ERROR.locked,
  'write-error': THREEM_ERROR.writeError,
  'read-error': THREEM_ERROR.readError,
  'block-unavailable': THREEM_ERROR.memoryNotAvailable,
};

export class ThreeM810Simulator extends ReaderSimulator {
  private readonly firmware: [number, number, number];
  private readonly hardware: [number, number, number, number];

  constructor(pad: RfidPad, options: ThreeM810SimulatorOptions = {}) {
    super(pad, { baudRate: 19200, bitsPerChar: 10, requestGapMs: 0 }, options);
    this.firmware = options.firmware ?? [3, 2, 6];
    this.hardware = options.hardware ?? [10, 5, 0, 2];
  }

  protected createSplitter(): FrameSplitter {
    return new ThreeMFrameSplitter();
  }

  protected answer(frame: Uint8Array): SimAnswer | undefined {
    const decoded = decodeThreeMRequest(frame);
    if (!decoded.ok) {
      // A well-framed request with a payload the firmware cannot parse: parameter error.
      const cmd = frame[3] ?? 0;
      return { bytes: encodeThreeMResponse({ type: 'raw', start: 0xd6, command: cmd, status: THREEM_ERROR.parameterError, payload: new Uint8Array(0) }), airUs: 0 };
    }
    const req = decoded.value;
    const pad = this.pad;
    const reply = (res: ThreeMResponse, airUs: number): SimAnswer => ({ bytes: encodeThreeMResponse(res), airUs });
    /** Maps a pad result to a simple (ack) answer. */
    const ack = <T>(
      type: 'writeAfi' | 'lockAfi' | 'setEas' | 'writeDsfid' | 'lockDsfid' | 'writeBlock' | 'writeLockBlock' | 'lockBlock' | 'quiet',
      uid: string,
      r: PadResult<T>,
    ): SimAnswer => reply({ type, status: r.ok ? 0 : FAILURE_CODE[r.error], uid }, r.airUs);

    switch (req.type) {
      case 'inventory': {
        const options = req.options ?? THREEM_DEFAULT_INVENTORY_OPTIONS;
        if (!(options & (THREEM_INVENTORY_OPTION.uid | THREEM_INVENTORY_OPTION.dsfid))) {
          return reply({ type: 'inventory', status: THREEM_ERROR.optionNotSupported, tags: [] }, 0);
        }
        const inv = pad.inventory(req.afi ?? 0);
        return reply({ type: 'inventory', status: 0, afi: req.afi ?? 0, options, tags: inv.tags }, inv.airUs);
      }
      case 'version':
        return reply({ type: 'version', status: 0, version: [0x0a, ...this.firmware] }, 0);
      case 'hardwareProbe':
        return reply({ type: 'hardwareVersion', version: [...this.hardware] }, 0);
      case 'readBlocks': {
        const r = pad.readBlocks(req.uid, req.firstBlock, req.blockCount, true);
        if (!r.ok) return reply({ type: 'readBlocks', status: FAILURE_CODE[r.error], uid: req.uid, blocks: [] }, r.airUs);
        const noLock = ((req.options ?? 0) & 0x08) !== 0;
        const blocks = r.value.locked.map((locked, i) => {
          const data = r.value.data.subarray(i * 4, i * 4 + 4);
          return noLock ? { block: req.firstBlock + i, data } : { block: req.firstBlock + i, lockStatus: locked ? 1 : 0, data };
        });
        return reply({ type: 'readBlocks', status: 0, uid: req.uid, blocks }, r.airUs);
      }
      case 'writeBlocks': {
        const r = pad.writeBlocks(req.uid, req.firstBlock, req.data);
        if (!r.ok) return reply({ type: 'writeBlocks', status: FAILURE_CODE[r.error], uid: req.uid }, r.airUs);
        return reply({ type: 'writeBlocks', status: 0, uid: req.uid, block: req.firstBlock + r.value.blocks }, r.airUs);
      }
      case 'writeBlock':
      case 'writeLockBlock': {
        const r = pad.writeBlocks(req.uid, req.block, req.data);
        if (r.ok && req.type === 'writeLockBlock') {
          const l = pad.lockBlock(req.uid, req.block);
          return ack(req.type, req.uid, { ...l, airUs: r.airUs + l.airUs });
        }
        return ack(req.type, req.uid, r);
      }
      case 'lockBlock':
        return ack('lockBlock', req.uid, pad.lockBlock(req.uid, req.block));
      case 'getAfi': {
        const r = pad.systemInfo(req.uid);
        if (!r.ok) return reply({ type: 'getAfi', status: FAILURE_CODE[r.error], uid: req.uid }, r.airUs);
        return reply({ type: 'getAfi', status: 0, uid: req.uid, afi: r.value.afi }, r.airUs);
      }
      case 'writeAfi':
        return ack('writeAfi', req.uid, pad.writeAfi(req.uid, req.afi));
      case 'lockAfi':
        return ack('lockAfi', req.uid, pad.lockAfi(req.uid));
      case 'checkEas': {
        const r = pad.easAlarm(req.uid);
        // Only a tag with EAS = 1 answers the alarm: EAS off reads as "no transponder" (spec).
        if (!r.ok || !r.value) return reply({ type: 'checkEas', status: THREEM_ERROR.noTransponder, uid: req.uid }, r.airUs);
        return reply({ type: 'checkEas', status: 0, uid: req.uid, eas: true }, r.airUs);
      }
      case 'setEas':
        return ack('setEas', req.uid, pad.setEas(req.uid, req.enabled));
      case 'getDsfid': {
        const r = pad.systemInfo(req.uid);
        if (!r.ok) return reply({ type: 'getDsfid', status: FAILURE_CODE[r.error], uid: req.uid }, r.airUs);
        return reply({ type: 'getDsfid', status: 0, uid: req.uid, dsfid: r.value.dsfid }, r.airUs);
      }
      case 'writeDsfid':
        return ack('writeDsfid', req.uid, pad.writeDsfid(req.uid, req.dsfid));
      case 'lockDsfid':
        return ack('lockDsfid', req.uid, pad.lockDsfid(req.uid));
      case 'tagInfo': {
        const r = pad.systemInfo(req.uid);
        if (!r.ok) return reply({ type: 'tagInfo', status: FAILURE_CODE[r.error], uid: req.uid }, r.airUs);
        const mask = req.mask ?? 0x0f;
        const res: ThreeMResponse & { type: 'tagInfo' } = { type: 'tagInfo', status: 0, uid: req.uid };
        if (mask & 0x01) res.dsfid = r.value.dsfid;
        if (mask & 0x02) res.afi = r.value.afi;
        if (mask & 0x04) {
          res.blockSize = r.value.blockSize;
          res.blockCount = r.value.blockCount;
        }
        if (mask & 0x08) res.icReference = r.value.icReference;
        return reply(res, r.airUs);
      }
      case 'quiet':
        return ack('quiet', req.uid, pad.addressed(req.uid));
      case 'raw':
        return reply(
          { type: 'raw', start: req.start ?? 0xd6, command: req.command, status: THREEM_ERROR.commandNotImplemented, payload: new Uint8Array(0) },
          0,
        );
    }
  }

  decodeBudget(uids: readonly string[], blocksPerTag: number): TimeBudget {
    const total = emptyBudget();
    const uid0 = uids[0] ?? 'E004010000000000';
    const inv = encodeThreeMRequest({ type: 'inventory', afi: 0, options: THREEM_DEFAULT_INVENTORY_OPTIONS });
    const invAnswer = encodeThreeMResponse({
      type: 'inventory',
      status: 0,
      afi: 0,
      options: THREEM_DEFAULT_INVENTORY_OPTIONS,
      tags: uids.map((uid) => ({ uid })),
    });
    addToBudget(total, this.exchangeBudget(inv.length, invAnswer.length, inventoryAirTime(uids).us));
    const read = encodeThreeMRequest({ type: 'readBlocks', uid: uid0, firstBlock: 0, blockCount: blocksPerTag });
    const blocks = Array.from({ length: blocksPerTag }, (_, i) => ({ block: i, lockStatus: 0, data: new Uint8Array(4) }));
    const readAnswer = encodeThreeMResponse({ type: 'readBlocks', status: 0, uid: uid0, blocks });
    for (let i = 0; i < uids.length; i++) {
      addToBudget(total, this.exchangeBudget(read.length, readAnswer.length, readBlocksAirUs(blocksPerTag, true)));
    }
    return total;
  }
}
