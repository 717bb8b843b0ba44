/** Helpers for 4-byte-block tag memory (ISO 15693 ICODE SLI/SLIX, Tag-it). */

import { concatBytes } from '../crc/index.ts';

export const DEFAULT_BLOCK_SIZE = 4;

/** Concatenates blocks as read from a reader into one memory image. */
export function joinBlocks(blocks: readonly Uint8Array[]): Uint8Array {
  return concatBytes(...blocks);
}

/** Splits memory into blocks, zero-padding the last one. */
export function splitBlocks(bytes: Uint8Array, blockSize = DEFAULT_BLOCK_SIZE): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += blockSize) {
    const block = new Uint8Array(blockSize);
    block.set(bytes.subarray(at, Math.min(at + blockSize, bytes.length)));
    out.push(block);
  }
  return out;
}

/**
 * Reverses the byte order inside every block. This is its own inverse. FEIG readers in ISO-host mode
 * transfer block data MSB first, i.e. reversed (Biblio-RFID CPRM02.pm `reverse` on read and write);
 * libdanrfid finds tags written that way too ("FKI writes the blocks from 3 to 0").
 * A trailing partial block is reversed as far as it goes.
 */
export function reverseBlockBytes(bytes: Uint8Array, blockSize = DEFAULT_BLOCK_SIZE): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let at = 0; at < bytes.length; at += blockSize) {
    const end = Math.min(at + blockSize, bytes.length);
    for (let i = at; i < end; i++) out[i] = bytes[end - 1 - (i - at)] ?? 0;
  }
  return out;
}

/** Pads with zero bytes to a whole number of blocks (at least `minBytes`). */
export function padToBlocks(bytes: Uint8Array, blockSize = DEFAULT_BLOCK_SIZE, minBytes = 0): Uint8Array {
  const wanted = Math.max(bytes.length, minBytes);
  const size = Math.ceil(wanted / blockSize) * blockSize;
  if (size === bytes.length) return bytes;
  const out = new Uint8Array(size);
  out.set(bytes);
  return out;
}
