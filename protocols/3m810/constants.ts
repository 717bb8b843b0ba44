/** 3M 210/810 command and error codes (3M RFID Reader Protocol Specification; devices.md §2.1). */

export const THREEM_CMD = {
  quiet: 0x01,
  readBlocks: 0x02,
  checkEas: 0x03,
  writeBlocks: 0x04,
  writeBlock: 0x05,
  lockAfi: 0x06,
  writeLockBlock: 0x07,
  lockBlock: 0x08,
  writeAfi: 0x09,
  getAfi: 0x0a,
  writeDsfid: 0x0b,
  setEas: 0x0c,
  tagInfo: 0x0d,
  lockDsfid: 0x0e,
  getDsfid: 0x0f,
  version: 0x11,
  isoPassThrough: 0x14,
  inventory: 0xfe,
} as const;

/** Error byte after CMD in responses. */
export const THREEM_ERROR = {
  ok: 0x00,
  commandNotImplemented: 0x02,
  noTransponder: 0x06,
  unknown: 0x0f,
  memoryNotAvailable: 0x11,
  locked: 0x12,
  readError: 0x15,
  writeError: 0x16,
  isoError1: 0x21,
  isoError2: 0x22,
  isoError3: 0x23,
  notSupported: 0x30,
  optionNotSupported: 0x31,
  parameterError: 0x32,
  cancel: 0xfd,
  outOfMemory: 0xfe,
} as const;

const ERROR_NAMES: Readonly<Record<number, string>> = {
  0x00: 'ok',
  0x02: 'command not implemented',
  0x06: 'no transponder',
  0x0f: 'unknown error',
  0x11: 'memory not available',
  0x12: 'locked',
  0x15: 'read error',
  0x16: 'write error (not enough power?)',
  0x21: 'ISO error 1',
  0x22: 'ISO error 2',
  0x23: 'ISO error 3',
  0x30: 'not supported',
  0x31: 'option not supported',
  0x32: 'parameter error',
  0xfd: 'cancelled',
  0xfe: 'out of memory',
};

export function threeMErrorName(code: number): string {
  return ERROR_NAMES[code] ?? `error 0x${code.toString(16).toUpperCase().padStart(2, '0')}`;
}

/**
 * Errors worth retrying: the tag moved or the field was weak. Biblio-RFID retries AFI writes up to
 * 100 times on 09 06 and re-reads after writes because of intermittent 04 06 / 0x16 failures.
 */
export function isThreeMTransientError(code: number): boolean {
  return code === THREEM_ERROR.noTransponder || code === THREEM_ERROR.readError || code === THREEM_ERROR.writeError;
}

/** Inventory response-option bits (request and response RespOpts byte). */
export const THREEM_INVENTORY_OPTION = {
  uid: 0x01,
  dsfid: 0x02,
  skipQuiet: 0x20,
  protocolsByte: 0x40,
} as const;

/** Default RespOpts, as in the spec's and Biblio-RFID's inventory command (`FE 00 05`). */
export const THREEM_DEFAULT_INVENTORY_OPTIONS = 0x05;

/** Tag-info mask bits (command 0x0D). */
export const THREEM_TAG_INFO = {
  dsfid: 0x01,
  afi: 0x02,
  memorySize: 0x04,
  icReference: 0x08,
} as const;
