/**
 * Air-time model of an ISO 15693 reader, used by the pad simulator to delay its answers as a real
 * reader would, and by the benchmark as the budget a driver is measured against.
 *
 * Numbers (ISO/IEC 15693-2 §7–8 and 15693-3 §9, carrier fc = 13.56 MHz), all in microseconds:
 *
 *  Reader → tag, 1-out-of-4 pulse position coding, 26.48 kbit/s:
 *    one byte = 4 × 75.52 = 302.08 µs; SOF 75.52 µs; EOF 37.76 µs.
 *  Tag → reader, high data rate, one subcarrier, 26.69 kbit/s (what library readers use):
 *    one byte = 8 × 37.76 = 302.08 µs; SOF 151.04 µs (56.64 unmodulated + 24 pulses 56.64 + logic 1
 *    37.76); EOF 151.04 µs (mirror image).
 *  t1 (tag response delay)   = 4320 / fc = 318.58 µs
 *  t2 (guard before the next request after a response) = 4192 / fc = 309.14 µs
 *  t3 (empty inventory slot: no SOF seen, reader sends the next EOF) = 4384 / fc + tSOF = 474.34 µs
 *  EEPROM programming time per write (block, AFI, DSFID, EAS): 5 ms. ISO 15693-3 lets a tag take up
 *    to 20 ms; NXP ICODE SLI/SLIX and TI Tag-it typically need 4–6 ms. This is an assumption.
 *  Addressed command to an absent tag: the reader gives up after waiting 2 × t3 (≈ 1 ms) —
 *    an assumption; the standard only fixes t1 and t3.
 *
 * Air frames (bytes including the 2-byte air CRC):
 *    inventory request        flags cmd [AFI] mask-len mask… CRC        5 (+1 with AFI, + mask bytes)
 *    inventory answer         flags DSFID UID8 CRC                      12
 *    read multiple (addr.)    flags cmd UID8 first count CRC            14
 *      answer                 flags n × ([sec] 4 data) CRC              3 + n × 4 (or 5 with sec)
 *    write single block       flags cmd UID8 blk data4 CRC              17, answer 3
 *    write AFI / DSFID        flags cmd UID8 value CRC                  13, answer 3
 *    NXP set/reset EAS        flags cmd mfr UID8 CRC                    13, answer 3
 *    NXP EAS alarm            flags cmd mfr UID8 CRC                    13, answer 3 + 32 (EAS sequence)
 *    get system info          flags cmd UID8 CRC                        12, answer 17
 *
 * Anti-collision (15693-3 §8): 16-slot rounds. A tag answers in the slot given by the 4 UID bits just
 * above the mask (UID least significant bits first). Each slot with two or more answers becomes a new
 * round with the mask extended by those 4 bits, so the number of rounds follows from the UIDs
 * themselves and the model is deterministic. A collided slot is charged as long as a clean answer
 * (the reader listens to the end of the garbled frame) — conservative.
 *
 * The serial link adds bytes × bits-per-character / baud on each direction (3M 19200 8N1 = 10 bits,
 * FEIG 38400 8E1 = 11 bits), and the reader firmware a fixed handling time per command (1 ms,
 * assumption). Both are kept separate from air time in the accounting.
 */

export const ISO15693_TIMING_US = {
  vcdByte: 302.08,
  vcdSof: 75.52,
  vcdEof: 37.76,
  viccByte: 302.08,
  viccSof: 151.04,
  viccEof: 151.04,
  t1: 318.58,
  t2: 309.14,
  t3: 474.34,
  programming: 5000,
  noResponse: 2 * 474.34,
} as const;

/** Air frame sizes in bytes, CRC included (see the table above). */
export const ISO15693_FRAME_BYTES = {
  inventoryRequest: 5,
  inventoryAnswer: 12,
  readRequest: 14,
  readAnswerOverhead: 3,
  writeBlockRequest: 13 + 4, // flags cmd UID8 blk + 4 data + CRC2 = 17
  writeValueRequest: 13,
  easRequest: 13,
  easAlarmAnswer: 3 + 32,
  systemInfoRequest: 12,
  systemInfoAnswer: 17,
  ackAnswer: 3,
} as const;

const T = ISO15693_TIMING_US;
const F = ISO15693_FRAME_BYTES;

/** Reader → tag frame of `bytes` bytes. */
export function requestUs(bytes: number): number {
  return T.vcdSof + bytes * T.vcdByte + T.vcdEof;
}

/** Tag answer of `bytes` bytes including t1 before it and t2 after it. */
export function answerUs(bytes: number): number {
  return T.t1 + T.viccSof + bytes * T.viccByte + T.viccEof + T.t2;
}

/** One addressed command/answer exchange. */
export function exchangeUs(requestBytes: number, answerBytes: number, programming = false): number {
  return requestUs(requestBytes) + (programming ? T.programming : 0) + answerUs(answerBytes);
}

/** The 4-bit slot number of `uid` (16 hex digits, MSB first) for a mask of `maskBits` bits. */
export function slotOf(uid: string, maskBits: number): number {
  const nibbleIndex = maskBits / 4; // 0 = least significant nibble = last hex digit
  const ch = uid[uid.length - 1 - nibbleIndex] ?? '0';
  return parseInt(ch, 16);
}

export interface InventoryAirTime {
  us: number;
  rounds: number;
  slots: number;
  collisions: number;
}

/**
 * Air time of a complete 16-slot anti-collision inventory of the tags `uids` (all of which answer:
 * apply any AFI filter before). `withAfi` adds the AFI byte to each request.
 */
export function inventoryAirTime(uids: readonly string[], withAfi = false): InventoryAirTime {
  let us = 0;
  let rounds = 0;
  let slots = 0;
  let collisions = 0;
  const pending: Array<{ maskBits: number; tags: readonly string[] }> = [{ maskBits: 0, tags: uids }];
  while (pending.length > 0) {
    const round = pending.shift();
    if (!round) break;
    rounds++;
    const maskBytes = Math.ceil(round.maskBits / 8);
    us += requestUs(F.inventoryRequest + (withAfi ? 1 : 0) + maskBytes);
    const bySlot = new Map<number, string[]>();
    for (const uid of round.tags) {
      const s = slotOf(uid, round.maskBits);
      const list = bySlot.get(s) ?? [];
      list.push(uid);
      bySlot.set(s, list);
    }
    for (let s = 0; s < 16; s++) {
      slots++;
      if (s > 0) us += T.vcdEof; // the reader opens each further slot with an EOF
      const inSlot = bySlot.get(s) ?? [];
      if (inSlot.length === 0) {
        us += T.t3;
      } else {
        us += answerUs(F.inventoryAnswer);
        // Identical UIDs cannot be told apart; stop after the full 64 bits.
        if (inSlot.length > 1 && round.maskBits + 4 < 64) {
          collisions++;
          pending.push({ maskBits: round.maskBits + 4, tags: inSlot });
        }
      }
    }
  }
  return { us, rounds, slots, collisions };
}

/** Read multiple blocks, addressed; `withSecurity` = the option flag asking for lock status bytes. */
export function readBlocksAirUs(count: number, withSecurity: boolean, blockSize = 4): number {
  return exchangeUs(F.readRequest, F.readAnswerOverhead + count * (blockSize + (withSecurity ? 1 : 0)));
}

/** Writing `count` blocks, one write-single-block exchange each (ICODE SLI has no write-multiple). */
export function writeBlocksAirUs(count: number): number {
  return count * exchangeUs(F.writeBlockRequest, F.ackAnswer, true);
}

export function writeValueAirUs(): number {
  return exchangeUs(F.writeValueRequest, F.ackAnswer, true);
}

export function setEasAirUs(): number {
  return exchangeUs(F.easRequest, F.ackAnswer, true);
}

export function easAlarmAirUs(answers: boolean): number {
  return answers ? exchangeUs(F.easRequest, F.easAlarmAnswer) : requestUs(F.easRequest) + T.noResponse;
}

export function systemInfoAirUs(): number {
  return exchangeUs(F.systemInfoRequest, F.systemInfoAnswer);
}

/** An addressed request the tag does not answer (absent tag). */
export function noAnswerAirUs(requestBytes: number): number {
  return requestUs(requestBytes) + T.noResponse;
}

/** Serial line time of `bytes` bytes. */
export function serialMs(bytes: number, baudRate: number, bitsPerChar: number): number {
  return (bytes * bitsPerChar * 1000) / baudRate;
}

/** A time budget split the way the simulator accounts for it (milliseconds). */
export interface TimeBudget {
  airMs: number;
  lineMs: number;
  firmwareMs: number;
  /** Protocol-mandated quiet time between frames (FEIG: ≥ 5 ms before a request). */
  gapMs: number;
  totalMs: number;
  exchanges: number;
}

export function emptyBudget(): TimeBudget {
  return { airMs: 0, lineMs: 0, firmwareMs: 0, gapMs: 0, totalMs: 0, exchanges: 0 };
}

export function addToBudget(b: TimeBudget, part: Partial<Omit<TimeBudget, 'totalMs'>>): void {
  b.airMs += part.airMs ?? 0;
  b.lineMs += part.lineMs ?? 0;
  b.firmwareMs += part.firmwareMs ?? 0;
  b.gapMs += part.gapMs ?? 0;
  b.exchanges += part.exchanges ?? 0;
  b.totalMs = b.airMs + b.lineMs + b.firmwareMs + b.gapMs;
}
