/**
 * The RFID device class (DESIGN.md "Drivers"): a pad or staff-station reader for ISO 15693 library
 * tags. Every reader family (3M 810, FEIG ISC …) implements `RfidReader`; the daemon sees only this
 * interface, the typed events and the explicit device state of `Device`.
 *
 * What the class promises:
 *
 *  - `inventory()` lists the UIDs in the field once; `startInventory({intervalMs})` keeps doing so and
 *    turns the differences into `tag.arrived` (with the item data decoded by
 *    protocols/iso28560 `detectAndDecode`) and `tag.departed` facts.
 *  - `read`/`write` move whole 4-byte blocks in tag memory order; every write is read back and
 *    compared (verify-after-write) before it resolves.
 *  - `setSecurity(uid, secured)` writes the site's AFI and/or EAS, reads it back, retries a bounded
 *    number of times, and rejects unless the tag verifiably holds the wanted state. It never
 *    resolves for a write that did not take: the daemon must be able to trust "done".
 *  - `lockBlocks(uid, blocks)` write-protects user memory blocks FOR GOOD (ISO 15693 LOCK BLOCK;
 *    no command undoes it), then reads the lock state back: it reports each block as locked now,
 *    locked already, or not locked with the reason. `readLocks` reads that state (3M: the lock byte
 *    of "read blocks"; FEIG: "get multiple block security status").
 *  - Failures reject with `DeviceError` carrying one of `RFID_ERROR` codes.
 *
 * Policy (which AFI pair, whether EAS is used, how often to poll) comes from config; retrying a
 * device that went offline is the daemon's device manager's job (drivers/device.ts).
 */

import type { Device, BaseDeviceEvents } from '../device.ts';
import { DeviceError } from '../device.ts';
import { AFI_PRESETS, type AfiPair, type LibraryItemTag, type SetInfo, type DetectError } from '../../protocols/iso28560/index.ts';

/** ISO 15693 UID, 16 uppercase hex digits, most significant byte (0xE0) first. */
export type TagUid = string;

/** Stable error codes of RFID drivers (`DeviceError.code`). */
export const RFID_ERROR = {
  /** The driver is not open (or is offline). */
  notOpen: 'not_open',
  /** The serial port could not be opened or the reader did not answer the probe. */
  openFailed: 'open_failed',
  /** The port closed with an error while in use (USB cable pulled, PTY gone). */
  unplugged: 'unplugged',
  /** `close()` was called while the operation waited. */
  closed: 'closed',
  /** No (complete) answer within the response timeout, after the line retries. */
  timeout: 'timeout',
  /** Answers kept arriving with a bad CRC / unframeable bytes, after the line retries. */
  crc: 'crc',
  /** The reader answered something that does not fit the request. */
  protocol: 'protocol',
  /** The addressed tag did not answer (left the field, or never was there). */
  tagMissing: 'tag_missing',
  /** The tag refused to change: block, AFI or EAS locked. Not worth retrying. */
  writeRefused: 'write_refused',
  /** Intermittent RF read/write error that persisted through the retries. */
  rfError: 'rf_error',
  /** The tag has no such block (past the end of its memory). */
  blockUnavailable: 'block_unavailable',
  /** The value read back after a write differs from what was written. */
  verifyFailed: 'verify_failed',
  /** The reader reported an error this driver has no better name for. */
  readerError: 'reader_error',
  /** The caller asked for something impossible (block range, bad UID, data not encodable). */
  badRequest: 'bad_request',
} as const;

export type RfidErrorCode = (typeof RFID_ERROR)[keyof typeof RFID_ERROR];

/** Codes after which trying the same tag operation again cannot help. */
export const RFID_FINAL_ERRORS: ReadonlySet<string> = new Set<string>([
  RFID_ERROR.notOpen,
  RFID_ERROR.unplugged,
  RFID_ERROR.closed,
  RFID_ERROR.writeRefused,
  RFID_ERROR.badRequest,
  RFID_ERROR.blockUnavailable,
  RFID_ERROR.openFailed,
]);

export function rfidError(code: RfidErrorCode, message: string): DeviceError {
  return new DeviceError(code, message);
}

// ------------------------------------------------------------------------------------------ security

/** Which tag feature carries the "secured at the gate" state at this site (devices.md §1.2). */
export type SecurityMethod = 'afi' | 'eas' | 'afi+eas';

export interface RfidSecurityConfig {
  method: SecurityMethod;
  /** AFI pair or a preset name: 'iso28560' (0x07 / 0xC2, the default) or '3m' (0xDA / 0xD7). */
  afi: AfiPair | 'iso28560' | '3m';
}

export const DEFAULT_SECURITY: RfidSecurityConfig = { method: 'afi', afi: 'iso28560' };

export function resolveAfiPair(afi: RfidSecurityConfig['afi']): AfiPair {
  return typeof afi === 'string' ? AFI_PRESETS[afi] : afi;
}

/** What a tag says about its security, as read from it. */
export interface TagSecurity {
  uid: TagUid;
  /** Present when the method includes AFI. */
  afi?: number;
  /** Present when the method includes EAS. */
  eas?: boolean;
  /** Judged against the site's configuration; 'unknown' for an AFI outside the pair or AFI/EAS disagreeing. */
  state: 'secured' | 'unsecured' | 'unknown';
}

export interface SecurityWriteResult extends TagSecurity {
  /** Write + verify rounds used (0 when the tag already held the wanted state). */
  attempts: number;
  /** False when the tag already held the wanted state and nothing was written. */
  changed: boolean;
}

// -------------------------------------------------------------------------------------- tags & items

/** One entry of an inventory. */
export interface InventoryEntry {
  uid: TagUid;
  /** Reported by readers that return it (FEIG always; 3M when asked). */
  dsfid?: number;
}

/** A tag in the field with what could be read and decoded from it. */
export interface RfidTag {
  uid: TagUid;
  dsfid?: number;
  /** The decoded library item (primary item id, set info part n of m, owner library, model, quirks). */
  item?: LibraryItemTag;
  /** Why there is no `item`: the data could not be read, or did not decode (e.g. a blank tag). */
  error?: { code: string; message: string; blank?: DetectError['blank'] };
  /** The raw user memory read (memory order). */
  data?: Uint8Array;
  /** ISO time the tag was first seen in this presence. */
  seenAt: string;
}

export interface RfidDeparture {
  uid: TagUid;
  /** 'left-field': missing from consecutive inventories; 'reader-offline': presence forgotten because
   *  the reader went offline (the item may still be on the pad); 'closed': the driver was closed. */
  reason: 'left-field' | 'reader-offline' | 'closed';
  /** The item data known at arrival, so the daemon need not keep its own copy. */
  item?: LibraryItemTag;
}

/** Item data for tag programming (staff station). */
export interface ItemTagInput {
  /** Barcode / primary item identifier. */
  primaryItemId: string;
  /** Owner ISIL, e.g. "SI-51000". */
  ownerLibrary?: string;
  /** Part n of m for kits; absent = single item. */
  setInfo?: SetInfo;
  /** Data model to write; default from the driver options ('iso28560-3'). */
  model?: 'iso28560-3' | 'iso28560-2';
  /**
   * Type of usage: ISO 28560-3 main-qualifier nibble (default 1, circulating) / ISO 28560-2 byte
   * (default 0x10).
   */
  typeOfUsage?: number;
  /** Also set the security state after programming (default: leave it as it is). */
  secured?: boolean;
}

/** A requested block that `lockBlocks` could not lock (or could not confirm as locked). */
export interface BlockLockFailure {
  block: number;
  /** An `RFID_ERROR` code: write_refused (the tag refused), rf_error, block_unavailable, verify_failed … */
  code: string;
  message: string;
}

/** What `lockBlocks` did, block by block (every requested block is in exactly one list). */
export interface BlockLockResult {
  uid: TagUid;
  /** Locked by this call and read back as locked. */
  locked: number[];
  /** Read as locked before anything was sent (nothing sent for them). */
  alreadyLocked: number[];
  /** Not locked, or not confirmed as locked (e.g. the tag left before the read-back). */
  failed: BlockLockFailure[];
}

export interface InventoryOptions {
  /** Period between the starts of two inventory rounds. Default 250 ms. */
  intervalMs?: number;
}

export interface InventoryCycle {
  uids: TagUid[];
  /** Wall time the round (inventory + reads of arrivals) took. */
  durationMs: number;
}

export interface RfidEvents extends BaseDeviceEvents {
  'tag.arrived': [RfidTag];
  'tag.departed': [RfidDeparture];
  /** A continuous-inventory round finished (used by the admin page and by tests). */
  'inventory.completed': [InventoryCycle];
}

/** The capabilities every RFID reader driver offers (on top of `Device`: open, close, state). */
export interface RfidCapabilities {
  inventory(): Promise<InventoryEntry[]>;
  startInventory(options?: InventoryOptions): void;
  stopInventory(): Promise<void>;
  readonly inventoryRunning: boolean;
  /** Tags present according to the continuous inventory. */
  presentTags(): RfidTag[];
  read(uid: TagUid, firstBlock: number, count: number): Promise<Uint8Array>;
  /** Reads the item data (as much as the tag holds, see `readBlockCount`) and decodes it. */
  readItem(uid: TagUid, dsfid?: number): Promise<RfidTag>;
  write(uid: TagUid, firstBlock: number, data: Uint8Array): Promise<void>;
  getSecurity(uid: TagUid): Promise<TagSecurity>;
  setSecurity(uid: TagUid, secured: boolean): Promise<SecurityWriteResult>;
  writeItemTag(uid: TagUid, item: ItemTagInput): Promise<LibraryItemTag>;
  /** Number of user memory blocks of the tag (3M tag info / FEIG system info). */
  blockCount(uid: TagUid): Promise<number>;
  /** Lock flag of `count` blocks from `firstBlock`, as the tag reports it. */
  readLocks(uid: TagUid, firstBlock: number, count: number): Promise<boolean[]>;
  /**
   * Locks the given user memory blocks permanently (irreversible: the tag can never be rewritten
   * there). Resolves with the outcome of every block (see `BlockLockResult`); rejects only for a bad
   * request (`bad_request`: not a list of distinct block numbers 0–255) or when nothing could be
   * started (tag missing, reader offline).
   */
  lockBlocks(uid: TagUid, blocks: readonly number[]): Promise<BlockLockResult>;
}

export type RfidReader = Device<RfidEvents> & RfidCapabilities;

export type { AfiPair, LibraryItemTag, SetInfo } from '../../protocols/iso28560/index.ts';
