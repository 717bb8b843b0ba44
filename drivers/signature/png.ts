/**
 * A minimal PNG encoder (PNG spec, ISO/IEC 15948): 8-bit truecolour, truecolour with alpha or
 * greyscale, filter 0 on every row, one zlib-deflated IDAT. Enough for signatures and tablet screens
 * without an image package; node:zlib does the deflate and the CRC-32.
 */
import { crc32, deflateSync } from 'node:zlib';

export type PngColor = 'gray' | 'rgb' | 'rgba';

const CHANNELS: Readonly<Record<PngColor, number>> = { gray: 1, rgb: 3, rgba: 4 };
const COLOR_TYPE: Readonly<Record<PngColor, number>> = { gray: 0, rgb: 2, rgba: 6 };
const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let k = 0; k < 4; k++) out[4 + k] = type.charCodeAt(k);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)) >>> 0);
  return out;
}

/** Encode `pixels` (row-major, `width × height × channels` bytes) as a PNG file. */
export function encodePng(width: number, height: number, pixels: Uint8Array, color: PngColor = 'rgba'): Uint8Array {
  const channels = CHANNELS[color];
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw new RangeError('PNG size must be positive integers');
  if (pixels.length !== width * height * channels) throw new RangeError(`expected ${width * height * channels} pixel bytes, got ${pixels.length}`);
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  header[8] = 8; // bit depth
  header[9] = COLOR_TYPE[color];
  // compression 0, filter method 0, no interlace
  const stride = width * channels;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const parts = [SIGNATURE, chunk('IHDR', header), chunk('IDAT', new Uint8Array(deflateSync(raw))), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
