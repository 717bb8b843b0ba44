/**
 * The PDF writer (protocols/pdf): the file structure a reader relies on (header, xref offsets that
 * land on `n 0 obj`, startxref, trailer), the text in the standard fonts including the Slovenian,
 * Latvian and Hungarian letters, and the FlateDecode grayscale signature image.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  A4,
  decodeText,
  differencesArray,
  encodeText,
  inspectPdf,
  PdfError,
  textWidth,
  wrapText,
  writePdf,
  type PdfGrayImage,
} from '../../protocols/pdf/index.ts';

const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');

function gradient(width: number, height: number): PdfGrayImage {
  const pixels = new Uint8Array(width * height).fill(255);
  for (let x = 0; x < width; x++) pixels[Math.floor(height / 2) * width + x] = 0; // a black line across
  return { width, height, pixels };
}

describe('text encoding', () => {
  it('keeps the letters of sl, lv and hu and reads them back', () => {
    const text = 'Čuk Šarić Đurđa žaba — Jānis Bērziņš Ģirts Ķēniņš Ļoti Ūdens — Őrség Űrhajó tűz ő ä ö ü € 12,40';
    expect(decodeText(encodeText(text))).toBe(text);
  });

  it('uses WinAnsi bytes where WinAnsi has the letter and the /Differences slots for the others', () => {
    expect([...encodeText('šžŠŽé')]).toEqual([0x9a, 0x9e, 0x8a, 0x8e, 0xe9]);
    expect([...encodeText('čČ')]).toEqual([0x8d, 0x81]);
    expect(differencesArray()).toContain('/ccaron');
    expect(differencesArray()).toContain('/uhungarumlaut');
  });

  it('transliterates signs that gave up their code point and letters outside the encoding', () => {
    expect(decodeText(encodeText('Œuvre ½ → ŗ ł'))).toBe('OEuvre ½ -> r l');
    expect(decodeText(encodeText('日本'))).toBe('??');
  });

  it('measures Helvetica and wraps at word boundaries', () => {
    expect(textWidth('Hello', 10)).toBeCloseTo((722 + 556 + 222 + 222 + 556) / 100, 5);
    const lines = wrapText('The member confirms that the data above are correct and agrees to the rules', 200, 11);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(textWidth(l, 11)).toBeLessThanOrEqual(200);
    expect(lines.join(' ')).toBe('The member confirms that the data above are correct and agrees to the rules');
  });
});

describe('writePdf', () => {
  const image = gradient(40, 10);
  const pdf = writePdf({
    pages: [
      {
        ...A4,
        ops: [
          { kind: 'text', x: 50, y: 780, size: 16, font: 'Helvetica-Bold', text: 'Vpisnica (enrolment form)' },
          { kind: 'text', x: 50, y: 750, size: 11, text: 'Priimek in ime: Žužek Čedomir (a) \\ backslash' },
          { kind: 'line', x1: 50, y1: 740, x2: 545, y2: 740 },
        ],
      },
      {
        ...A4,
        ops: [
          { kind: 'text', x: 50, y: 780, size: 11, text: 'Jānis Bērziņš, Őrs' },
          { kind: 'rect', x: 50, y: 600, width: 200, height: 60 },
          { kind: 'image', image, x: 50, y: 600, width: 200, height: 50 },
        ],
      },
    ],
    info: { title: 'Vpisnica 0100001', author: 'Mestna knjižnica', creationDate: new Date('2026-03-12T15:04:05Z') },
  });
  const text = latin1(pdf);

  it('is a PDF 1.4 file with a binary marker line and %%EOF', () => {
    expect(text.startsWith('%PDF-1.4\n%')).toBe(true);
    expect([...pdf.subarray(10, 14)].every((b) => b > 127)).toBe(true);
    expect(text.endsWith('%%EOF\n')).toBe(true);
  });

  it('has xref offsets that point at "n 0 obj", and startxref at the table', () => {
    const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1]);
    expect(text.slice(startxref, startxref + 5)).toBe('xref\n');
    const [, first, count] = /^xref\n(\d+) (\d+)\n/.exec(text.slice(startxref))!;
    expect(first).toBe('0');
    const entriesAt = startxref + `xref\n0 ${count}\n`.length;
    expect(text.slice(entriesAt, entriesAt + 20)).toBe('0000000000 65535 f \n');
    for (let n = 1; n < Number(count); n++) {
      const entry = text.slice(entriesAt + n * 20, entriesAt + (n + 1) * 20);
      expect(entry).toMatch(/^\d{10} 00000 n \n$/);
      const at = Number(entry.slice(0, 10));
      expect(text.slice(at, at + `${n} 0 obj\n`.length)).toBe(`${n} 0 obj\n`);
    }
    expect(text).toMatch(new RegExp(`trailer\\n<< /Size ${count} /Root 1 0 R`));
  });

  it('reads back: two A4 pages, the text with its diacritics, the grayscale image', () => {
    const r = inspectPdf(pdf);
    expect(r.problems).toEqual([]);
    expect(r.version).toBe('1.4');
    expect(r.pages).toHaveLength(2);
    expect(r.pages[0]!.width).toBeCloseTo(595.28, 2);
    expect(r.pages[0]!.lines).toEqual(['Vpisnica (enrolment form)', 'Priimek in ime: Žužek Čedomir (a) \\ backslash']);
    expect(r.pages[1]!.lines).toEqual(['Jānis Bērziņš, Őrs']);
    expect(r.pages[0]!.images).toEqual([]);
    const img = r.pages[1]!.images[0]!;
    expect(img).toMatchObject({ width: 40, height: 10, colorSpace: 'DeviceGray', bitsPerComponent: 8, filter: 'FlateDecode' });
    expect([...img.pixels]).toEqual([...image.pixels]);
    expect(r.info.Title).toBe('Vpisnica 0100001');
    expect(r.info.Author).toBe('Mestna knjižnica');
    expect(r.info.CreationDate).toBe('D:20260312150405Z');
  });

  it('compresses page content with FlateDecode (and can write it plain)', () => {
    expect(text).not.toContain('Tj');
    const plain = latin1(writePdf({ pages: [{ ...A4, ops: [{ kind: 'text', x: 1, y: 1, size: 9, text: 'plain' }] }], compress: false }));
    expect(plain).toContain('BT /F1 9 Tf 1 1 Td (plain) Tj ET');
    const m = /stream\n([\s\S]*?)\nendstream/.exec(text)!;
    expect(m).not.toBeNull();
    expect(() => inflateSync(Buffer.from(m[1]!, 'latin1'))).not.toThrow();
  });

  it('is deterministic: the same input gives the same bytes (the file ID is a content hash)', () => {
    const again = writePdf({
      pages: [{ ...A4, ops: [{ kind: 'text', x: 1, y: 1, size: 9, text: 'x' }] }],
      info: { creationDate: new Date(0) },
    });
    const twice = writePdf({
      pages: [{ ...A4, ops: [{ kind: 'text', x: 1, y: 1, size: 9, text: 'x' }] }],
      info: { creationDate: new Date(0) },
    });
    expect(Buffer.from(again).equals(Buffer.from(twice))).toBe(true);
  });

  it('refuses bad input with a clear message', () => {
    expect(() => writePdf({ pages: [] })).toThrow(PdfError);
    expect(() => writePdf({ pages: [{ ...A4, ops: [{ kind: 'image', image: { width: 2, height: 2, pixels: new Uint8Array(3) }, x: 0, y: 0, width: 1, height: 1 }] }] })).toThrow(
      /needs 4 bytes, got 3/,
    );
    expect(() => writePdf({ pages: [{ ...A4, ops: [{ kind: 'text', x: Number.NaN, y: 0, size: 9, text: 'x' }] }] })).toThrow(/finite/);
  });

  it('notices a broken file', () => {
    const broken = Buffer.from(pdf);
    // Shift everything after the header by one byte: every xref offset is now wrong.
    const shifted = Buffer.concat([broken.subarray(0, 15), Buffer.from(' '), broken.subarray(15)]);
    expect(inspectPdf(shifted).problems.join('\n')).toMatch(/does not point at/);
  });

  // poppler-utils (Debian package) is not a dependency of the project; when it is installed, the
  // extracted text is checked by a reader that is not ours.
  const pdftotext = ['/usr/bin/pdftotext', '/usr/local/bin/pdftotext'].find((p) => existsSync(p));
  it.skipIf(!pdftotext)('pdftotext extracts the same text, diacritics included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdf-'));
    try {
      writeFileSync(join(dir, 'a.pdf'), pdf);
      const out = execFileSync(pdftotext!, ['-enc', 'UTF-8', join(dir, 'a.pdf'), '-'], { encoding: 'utf8' });
      expect(out).toContain('Žužek Čedomir');
      expect(out).toContain('Jānis Bērziņš, Őrs');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
