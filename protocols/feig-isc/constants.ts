/** FEIG ISC command, sub-command and status codes (devices.md §2.2; FEIG ISC.MR/PR101 manual). */

export const FEIG_CMD = {
  baudRateDetection: 0x52,
  softwareVersion: 0x65,
  readerInfo: 0x66,
  rfReset: 0x69,
  rfOnOff: 0x6a,
  /** ISO 15693 mandatory and optional commands; the first data byte is the sub-command. */
  isoHost: 0xb0,
  /** ISO 15693 custom and proprietary commands: MFR, then the manufacturer's command. */
  isoCustom: 0xb1,
  /** ISO 15693 transparent command. */
  isoTransparent: 0xbf,
} as const;

/** [B0] sub-commands (ISO 15693 command codes). */
export const FEIG_ISO = {
  inventory: 0x01,
  stayQuiet: 0x02,
  /** [0x22] Lock Multiple Blocks: MODE [UID] DB-ADR DB-N (ISC.MR/PR101 manual H60301-3e §6.1.3). */
  lockBlocks: 0x22,
  readBlocks: 0x23,
  writeBlocks: 0x24,
  select: 0x25,
  resetToReady: 0x26,
  writeAfi: 0x27,
  lockAfi: 0x28,
  writeDsfid: 0x29,
  systemInfo: 0x2b,
  /** [0x2C] Get Multiple Block Security Status: MODE [UID] DB-ADR DB-N → DB-N SEC-STATUS… (§6.1.13). */
  blockSecurity: 0x2c,
} as const;

/**
 * Block security status byte (SEC-STATUS of [B0 23] with MODE.SEC and of [B0 2C]): ISO/IEC 15693-3
 * "block security status", bit 0 = the block is locked (write-protected for good).
 */
export const ISO15693_BLOCK_LOCKED = 0x01;

/** [B1] NXP (MFR 0x04) ICODE SLI custom commands ("8.3 Philips ISO15693 I-Code SLI Custom Commands"). */
export const FEIG_NXP = {
  manufacturer: 0x04,
  setEas: 0xa2,
  resetEas: 0xa3,
  lockEas: 0xa4,
  easAlarm: 0xa5,
} as const;

/** MODE byte, bits 2–0: addressing (all [B0]/[B1] tag commands). */
export const FEIG_MODE_ADDRESSING = {
  nonAddressed: 0x00,
  addressed: 0x01,
  selected: 0x02,
} as const;

/** Inventory MODE bits (devices.md §2.2). */
export const FEIG_INVENTORY_MODE = {
  more: 0x80,
  notification: 0x40,
  presence: 0x20,
} as const;

/** Read multiple blocks MODE bit 3: ask for the block security status. */
export const FEIG_READ_MODE_SECURITY = 0x08;

/** TR-TYPE of an ISO 15693 transponder in inventory data sets. */
export const FEIG_TR_TYPE_ISO15693 = 0x03;

export const FEIG_STATUS = {
  ok: 0x00,
  noTransponder: 0x01,
  dataFalse: 0x02,
  writeError: 0x03,
  addressError: 0x04,
  wrongTransponderType: 0x05,
  generalError: 0x0e,
  unknownCommand: 0x80,
  lengthError: 0x81,
  notAvailable: 0x82,
  rfCommunicationError: 0x83,
  bufferOverflow: 0x93,
  moreData: 0x94,
  isoError: 0x95,
} as const;

const STATUS_NAMES: Readonly<Record<number, string>> = {
  0x00: 'ok',
  0x01: 'no transponder',
  0x02: 'data false',
  0x03: 'write error',
  0x04: 'address error',
  0x05: 'wrong transponder type',
  0x0e: 'general error',
  0x80: 'unknown command',
  0x81: 'length error',
  0x82: 'command not available (scan mode)',
  0x83: 'RF communication error',
  0x93: 'buffer overflow',
  0x94: 'more data (repeat with MORE = 1)',
  0x95: 'ISO 15693 error',
};

export function feigStatusName(status: number): string {
  return STATUS_NAMES[status] ?? `status 0x${status.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** Statuses after which the reader still sends response data (FEIG manual, [B0] notes). */
export function feigStatusCarriesData(status: number): boolean {
  return (
    status === FEIG_STATUS.ok ||
    status === FEIG_STATUS.rfCommunicationError ||
    status === FEIG_STATUS.moreData ||
    status === FEIG_STATUS.isoError
  );
}

/** ISO/IEC 15693-3 error codes, appended after STATUS 0x95. */
export const ISO15693_ERROR_NAMES: Readonly<Record<number, string>> = {
  0x01: 'command not supported',
  0x02: 'command not recognised',
  0x03: 'option not supported',
  0x0f: 'unknown error',
  0x10: 'block not available',
  0x11: 'block already locked',
  0x12: 'block locked, content cannot change',
  0x13: 'block not programmed',
  0x14: 'block not locked',
};
