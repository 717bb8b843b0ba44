/**
 * ESC/POS: encoder helpers for the receipt subset, a streaming decoder (used by the printer simulator
 * and tests), status-byte codecs and text/SVG renderings. Pure: no I/O, no clock.
 */
export * from './code-pages.ts';
export * from './commands.ts';
export * from './status.ts';
export * from './document.ts';
export { EscPosDecoder, decodeEscPos, interpretCode128 } from './decoder.ts';
export type { EscPosDecoderOptions } from './decoder.ts';
export * from './render.ts';
