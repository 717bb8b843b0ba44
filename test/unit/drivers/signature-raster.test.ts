/** PNG encoder, bitmap font (composed accents) and signature rasterising (drivers/signature). */
import { crc32, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fontCharacters, glyphFor } from '../../../drivers/signature/font.ts';
import { encodePng } from '../../../drivers/signature/png.ts';
import { RgbBitmap, renderSignaturePng, wrapForFont } from '../../../drivers/signature/raster.ts';
import { sampleSignature } from '../../../drivers/signature/sample-signature.ts';

interface DecodedPng {
  width: number;
  height: number;
  colorType: number;
  pixels: Uint8Array;
}

/** An independent little PNG reader: checks every chunk CRC and undoes filter 0 rows. */
function readPng(png: Uint8Array): DecodedPng {
  expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const b = Buffer.from(png);
  let at = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (at < b.length) {
    const length = b.readUInt32BE(at);
    const type = b.toString('latin1', at + 4, at + 8);
    const data = b.subarray(at + 8, at + 8 + length);
    expect(b.readUInt32BE(at + 8 + length)).toBe(crc32(b.subarray(at + 4, at + 8 + length)) >>> 0);
    types.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      colorType = data[9]!;
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  expect(types[0]).toBe('IHDR');
  expect(types.at(-1)).toBe('IEND');
  const channels = { 0: 1, 2: 3, 6: 4 }[colorType as 0 | 2 | 6];
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (stride + 1)]).toBe(0);
    pixels.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, colorType, pixels };
}

describe('PNG encoder', () => {
  it('writes IHDR, IDAT, IEND with valid CRCs and the exact pixels', () => {
    const pixels = Uint8Array.from({ length: 3 * 2 * 4 }, (_, k) => (k * 37) & 0xff);
    const png = readPng(encodePng(3, 2, pixels, 'rgba'));
    expect(png).toMatchObject({ width: 3, height: 2, colorType: 6 });
    expect(Array.from(png.pixels)).toEqual(Array.from(pixels));
    expect(readPng(encodePng(2, 1, Uint8Array.of(0, 255), 'gray')).colorType).toBe(0);
    expect(() => encodePng(2, 2, new Uint8Array(3), 'rgb')).toThrow(RangeError);
  });
});

describe('bitmap font', () => {
  const ink = (g: boolean[][] | null): string[] => (g ?? []).map((row) => row.map((on) => (on ? '#' : '.')).join(''));

  it('composes accented letters from the base letter and a mark (NFD)', () => {
    const c = ink(glyphFor('c'));
    const cCaron = ink(glyphFor('č'));
    // Same letter body, a caron above it.
    expect(cCaron.slice(5)).toEqual(c.slice(5));
    expect(cCaron.slice(0, 5).join('')).toContain('#');
    expect(c.slice(0, 5).join('')).not.toContain('#');
    // ő and ö differ (double acute vs diaeresis); ļ has its comma below the baseline.
    expect(ink(glyphFor('ő'))).not.toEqual(ink(glyphFor('ö')));
    expect(ink(glyphFor('ļ')).slice(10).join('')).toContain('#');
    expect(ink(glyphFor('l')).slice(10).join('')).not.toContain('#');
    // ī drops the dot of i for its macron.
    expect(ink(glyphFor('ī'))).not.toEqual(ink(glyphFor('i')));
    for (const ch of 'ČŠŽčšžćđāēīūļņķģĀĒĪŪĻŅĶĢőűŐŰáéíóöúü') expect(fontCharacters(ch).length === 1 && glyphFor(fontCharacters(ch)[0]!)).toBeTruthy();
  });

  it('replaces what it cannot draw with look-alikes or "?"', () => {
    expect(fontCharacters('ß€ –')).toEqual(['s', 's', 'E', 'U', 'R', ' ', '-']);
    expect(fontCharacters('Ж')).toEqual(['?']);
  });

  it('wraps by drawable characters', () => {
    expect(wrapForFont('Izjavljam, da so podatki resnični', 12)).toEqual(['Izjavljam,', 'da so', 'podatki', 'resnični']);
  });

  it('draws text as dark pixels on the bitmap', () => {
    const bitmap = new RgbBitmap(40, 20);
    const width = bitmap.drawText(1, 1, 'Ač', 1);
    expect(width).toBe(12);
    let dark = 0;
    for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) if (bitmap.getPixel(x, y)[0] === 0) dark++;
    expect(dark).toBeGreaterThan(20);
    expect(bitmap.getPixel(30, 10)).toEqual([255, 255, 255]);
  });
});

describe('signature PNG', () => {
  it('puts ink along the strokes, nothing far from them, wider where the pen presses harder', () => {
    const strokes = [
      { points: [{ x: 10, y: 10, pressure: 0.1, t: 0 }, { x: 90, y: 10, pressure: 0.1, t: 5 }] },
      { points: [{ x: 10, y: 40, pressure: 1, t: 200 }, { x: 90, y: 40, pressure: 1, t: 205 }] },
    ];
    const png = readPng(renderSignaturePng(strokes, { width: 100, height: 60 }));
    const alpha = (x: number, y: number): number => png.pixels[(y * 100 + x) * 4 + 3]!;
    expect(alpha(50, 10)).toBeGreaterThan(200);
    expect(alpha(50, 40)).toBeGreaterThan(200);
    expect(alpha(50, 25)).toBe(0);
    const thickness = (y0: number): number => [-4, -3, -2, -1, 0, 1, 2, 3, 4].filter((d) => alpha(50, y0 + d) > 128).length;
    expect(thickness(40)).toBeGreaterThan(thickness(10));
  });

  it('renders the sample signature on white when asked', () => {
    const png = readPng(renderSignaturePng(sampleSignature({ x: 0, y: 0, width: 300, height: 100 }), { background: 'white' }));
    expect(png.colorType).toBe(2);
    const dark = Array.from({ length: png.width * png.height }, (_, k) => png.pixels[k * 3]!).filter((v) => v < 100).length;
    expect(dark).toBeGreaterThan(500);
  });
});
