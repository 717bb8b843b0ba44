/**
 * The locker door controller device class (DESIGN.md "Drivers": locker `open(door)`, `doorState()`).
 *
 * A controller drives one RS-485 bus with one or more lock boards on it (Kerong KR-CU16/CU48 style);
 * a door is addressed by (board address, lock number). The driver reports what the board says and
 * never decides policy: whether a hold may be collected, or what an open door means for a loan, is
 * the locker service's job (daemon/lockers).
 *
 * Results are data: a door that did not open (jammed, board not answering) is an expected outcome
 * `{ ok: false, code }`, not an exception.
 */
import type { BaseDeviceEvents, Device } from '../device.ts';

/** One door on the bus: board address (0–15 on a KR-CU bus) and lock number on that board (1-based). */
export interface DoorAddress {
  board: number;
  lock: number;
}

export interface DoorStatus extends DoorAddress {
  /** The door sensor: true while the door stands open. Null when the board did not report it. */
  open: boolean | null;
  /** The lock feedback: true while the bolt is engaged. Null when the board has no lock feedback. */
  locked: boolean | null;
}

export type UnlockFailureCode =
  /** The board answered, but the door did not open (the bolt released and the sensor stayed closed). */
  | 'jammed'
  /** No reply from the board within the timeout (unpowered, wrong address, cable). */
  | 'no_answer'
  /** The reply frame was corrupt (checksum) after the retries. */
  | 'bad_reply'
  /** The serial transport is not open (unplugged). */
  | 'disconnected';

export type UnlockResult = { ok: true; door: DoorStatus } | { ok: false; code: UnlockFailureCode; message: string };

export interface LockerEvents extends BaseDeviceEvents {
  /** A door's sensor went from closed to open (after an unlock, or forced: see `forced`). */
  'door.opened': [{ board: number; lock: number; forced: boolean; at: string }];
  /** A door's sensor went from open to closed. */
  'door.closed': [{ board: number; lock: number; at: string }];
}

/** One board on the bus and how many doors are wired to it (locks 1…doors). */
export interface LockerBoardLayout {
  board: number;
  doors: number;
}

/**
 * The driver polls the door states of its boards (the period is a driver option) and emits
 * `door.opened` / `door.closed` on each change; an opening that no unlock of ours preceded is
 * `forced: true`.
 */
export interface LockerController extends Device<LockerEvents> {
  /** The configured boards and their door counts (what `unlock` accepts; other doors are refused). */
  layout(): LockerBoardLayout[];
  /**
   * Releases the lock of one door (the door springs open) and reports the door's state after it.
   * A door outside `layout()` is a configuration error: rejected with DeviceError 'bad_door'.
   */
  unlock(door: DoorAddress): Promise<UnlockResult>;
  /**
   * Reads every door of one board, or of every configured board when `board` is omitted (fresh from
   * the bus). Doors of a board that does not answer, or of an unplugged bus, read `open: null`.
   */
  doorStates(board?: number): Promise<DoorStatus[]>;
}
