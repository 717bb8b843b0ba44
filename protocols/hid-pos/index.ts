/**
 * Barcode scanner codecs: USB HID POS input reports (usage page 0x8C), AIM symbology identifiers,
 * and a line parser for serial (CDC-ACM / RS-232) scanners. Pure: no I/O, no clock.
 */
export * from './aim.ts';
export * from './report.ts';
export * from './serial.ts';
