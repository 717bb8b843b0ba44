/** Messages between the main thread and the engine worker (engine-thread.ts, engine-worker.ts). */

/** The CirculationBackend operations the engine thread answers (everything but close). */
export const ENGINE_THREAD_METHODS = [
  'status',
  'lookupPatron',
  'verifyPatron',
  'patronInformation',
  'itemInformation',
  'checkout',
  'checkin',
  'renew',
  'renewAll',
  'placeHold',
  'cancelHold',
  'feePaid',
  'endSession',
  'blockPatron',
  'enablePatron',
  'changeHold',
  'setItemProperties',
  'lockerVendorHold',
  'lockerVendorPatron',
  'lockerVendorLoad',
  'lockerVendorPickup',
  'lockerVendorRelease',
] as const;

export type EngineMethod = (typeof ENGINE_THREAD_METHODS)[number];

/** workerData: what the worker needs to open its own connection and engine. Plain data only. */
export interface EngineInit {
  file: string;
  policy: unknown;
  site: unknown;
  logLevel: string;
  /** 0 while the background checkpointer runs; SQLite's 1,000 pages otherwise. */
  walAutocheckpoint: number;
}

/** A call: `now` is the main thread's clock (ms since the epoch) when the call was made. */
export interface EngineCall {
  id: number;
  method: EngineMethod;
  args: unknown[];
  now: number;
}

export type EngineReply = { id: number; value: unknown; error?: undefined } | { id: number; error: { message: string; stack?: string | undefined }; value?: undefined };

/** Several calls, or several replies, in one message: those made in the same turn of the sender's event loop. */
export interface EngineBatch<T> {
  type: 'batch';
  items: T[];
}
