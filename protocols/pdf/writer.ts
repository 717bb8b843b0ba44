/**
 * A minimal PDF 1.4 writer (ISO 32000's predecessor, "PDF Reference, third edition"): pages with text
 * in the standard Helvetica fonts (./text-encoding.ts), straight lines and rectangles, and 8-bit
 * grayscale images (a captured signature) compressed with FlateDecode.
 *
 * File structure (Reference §3.4): header with a binary comment line, one indirect object per
 * catalog, page tree, font, encoding, image, page and content stream, the Info dictionary, then the
 * cross-reference table whose entries are the byte offsets of each `n 0 obj`, the trailer and
 * `startxref`. Offsets are counted on the bytes as written, so they hold for binary streams too.
 *
 * Pure: no clock (the creation date is passed in), no randomness (the file ID is an MD5 of the
 * content, as §10.3 suggests), no I/O.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { differencesArray, encodeText, type StandardFont } from './text-encoding.ts';

/** An 8-bit grayscale image, row-major, top row first; 0 = black, 255 = white. */
export interface PdfGrayImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

export type PdfOp =
  | { kind: 'text'; x: number; y: number; size: number; text: string; font?: StandardFont }
  | { kind: 'line'; x1: number; y1: number; x2: number; y2: number; width?: number; gray?: number }
  | { kind: 'rect'; x: number; y: number; width: number; height: number; lineWidth?: number; gray?: number }
  /** The image drawn into the box (x, y) bottom-left, width × height points. */
  | { kind: 'image'; image: PdfGrayImage; x: number; y: number; width: number; height: number };

/** Coordinates in points (1/72 in), origin bottom-left, as in PDF. A4 is 595 × 842. */
export interface PdfPage {
  width: number;
  height: number;
  ops: PdfOp[];
}

export interface PdfInfo {
  title?: string;
  author?: string;
  subject?: string;
  keywords?: string;
  creator?: string;
  producer?: string;
  /** Written as the Info CreationDate (D:YYYYMMDDHHmmSSZ, UTC). */
  creationDate?: Date;
}

export interface PdfDocumentInput {
  pages: PdfPage[];
  info?: PdfInfo;
  /** Compress page content streams (images are always compressed). Default true. */
  compress?: boolean;
}

export const A4 = { width: 595.28, height: 841.89 } as const;

const FONT_RESOURCE: Record<StandardFont, string> = { Helvetica: 'F1', 'Helvetica-Bold': 'F2' };

export class PdfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PdfError';
  }
}

/** A number as PDF writes it: at most 3 decimals, no exponent. */
export function pdfNumber(n: number): string {
  if (!Number.isFinite(n)) throw new PdfError(`not a finite number: ${n}`);
  const r = Math.round(n * 1000) / 1000;
  return Object.is(r, -0) ? '0' : String(r);
}

/** A literal string (Reference §3.2.3): ( ) \ escaped, bytes outside printable ASCII as octal. */
export function pdfLiteral(bytes: Uint8Array): string {
  let s = '(';
  for (const b of bytes) {
    if (b === 0x28 || b === 0x29 || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) s += `\\${b.toString(8).padStart(3, '0')}`;
    else s += String.fromCharCode(b);
  }
  return `${s})`;
}

/** A text string for the Info dictionary: PDFDocEncoding when ASCII, else UTF-16BE with a BOM. */
function infoString(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return pdfLiteral(Uint8Array.from([...text].map((c) => c.charCodeAt(0))));
  const units: number[] = [0xfe, 0xff];
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    units.push(u >> 8, u & 0xff);
  }
  return pdfLiteral(Uint8Array.from(units));
}

function pdfDate(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `D:${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

function checkImage(img: PdfGrayImage): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
    throw new PdfError(`image size must be positive whole pixels, got ${img.width}×${img.height}`);
  }
  if (img.pixels.length !== img.width * img.height) {
    throw new PdfError(`image of ${img.width}×${img.height} needs ${img.width * img.height} bytes, got ${img.pixels.length}`);
  }
}

const latin1 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/** Renders the document to the bytes of a PDF file. */
export function writePdf(doc: PdfDocumentInput): Uint8Array {
  if (doc.pages.length === 0) throw new PdfError('a PDF needs at least one page');
  const compress = doc.compress ?? true;

  // Object numbers: 1 catalog, 2 page tree, 3 encoding, 4 F1, 5 F2, then images, pages with their
  // content streams, and the Info dictionary last.
  const bodies: Uint8Array[][] = [];
  const add = (parts: Uint8Array[]): number => {
    bodies.push(parts);
    return bodies.length;
  };
  const dict = (s: string): Uint8Array[] => [latin1(s)];
  const stream = (head: string, data: Uint8Array): Uint8Array[] => [
    latin1(`<< ${head} /Length ${data.length} >>\nstream\n`),
    data,
    latin1('\nendstream'),
  ];

  add([]); // 1 catalog, filled below
  add([]); // 2 page tree, filled below
  const encodingRef = add(dict(`<< /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences ${differencesArray()} >>`));
  const fontRefs: Record<StandardFont, number> = {
    Helvetica: add(dict(`<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding ${encodingRef} 0 R >>`)),
    'Helvetica-Bold': add(dict(`<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding ${encodingRef} 0 R >>`)),
  };

  // Images: one XObject per distinct image object.
  const imageRefs = new Map<PdfGrayImage, { ref: number; name: string }>();
  for (const page of doc.pages) {
    for (const op of page.ops) {
      if (op.kind !== 'image' || imageRefs.has(op.image)) continue;
      checkImage(op.image);
      const data = deflateSync(op.image.pixels);
      const ref = add(
        stream(
          `/Type /XObject /Subtype /Image /Width ${op.image.width} /Height ${op.image.height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode`,
          data,
        ),
      );
      imageRefs.set(op.image, { ref, name: `Im${imageRefs.size + 1}` });
    }
  }

  const pageRefs: number[] = [];
  for (const page of doc.pages) {
    if (!(page.width > 0) || !(page.height > 0)) throw new PdfError(`page size must be positive, got ${page.width}×${page.height}`);
    const ops: string[] = [];
    const usedImages = new Set<{ ref: number; name: string }>();
    for (const op of page.ops) {
      switch (op.kind) {
        case 'text': {
          if (!(op.size > 0)) throw new PdfError(`font size must be positive, got ${op.size}`);
          const font = FONT_RESOURCE[op.font ?? 'Helvetica'];
          ops.push(`BT /${font} ${pdfNumber(op.size)} Tf ${pdfNumber(op.x)} ${pdfNumber(op.y)} Td ${pdfLiteral(encodeText(op.text))} Tj ET`);
          break;
        }
        case 'line':
          ops.push(
            `q ${pdfNumber(op.gray ?? 0)} G ${pdfNumber(op.width ?? 0.5)} w ${pdfNumber(op.x1)} ${pdfNumber(op.y1)} m ${pdfNumber(op.x2)} ${pdfNumber(op.y2)} l S Q`,
          );
          break;
        case 'rect':
          ops.push(
            `q ${pdfNumber(op.gray ?? 0)} G ${pdfNumber(op.lineWidth ?? 0.5)} w ${pdfNumber(op.x)} ${pdfNumber(op.y)} ${pdfNumber(op.width)} ${pdfNumber(op.height)} re S Q`,
          );
          break;
        case 'image': {
          const img = imageRefs.get(op.image)!;
          usedImages.add(img);
          // The image space is the unit square, scaled into the box (Reference §4.8.3).
          ops.push(`q ${pdfNumber(op.width)} 0 0 ${pdfNumber(op.height)} ${pdfNumber(op.x)} ${pdfNumber(op.y)} cm /${img.name} Do Q`);
          break;
        }
      }
    }
    const content = latin1(ops.join('\n'));
    const contentRef = add(compress ? stream('/Filter /FlateDecode', deflateSync(content)) : stream('', content));
    const xobjects = [...usedImages].map((i) => `/${i.name} ${i.ref} 0 R`).join(' ');
    const resources =
      `<< /Font << /F1 ${fontRefs.Helvetica} 0 R /F2 ${fontRefs['Helvetica-Bold']} 0 R >>` +
      (xobjects ? ` /XObject << ${xobjects} >>` : '') +
      ` /ProcSet [/PDF /Text${xobjects ? ' /ImageB' : ''}] >>`;
    pageRefs.push(
      add(
        dict(
          `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${pdfNumber(page.width)} ${pdfNumber(page.height)}] /Resources ${resources} /Contents ${contentRef} 0 R >>`,
        ),
      ),
    );
  }
  bodies[0] = dict('<< /Type /Catalog /Pages 2 0 R >>');
  bodies[1] = dict(`<< /Type /Pages /Kids [${pageRefs.map((r) => `${r} 0 R`).join(' ')}] /Count ${pageRefs.length} >>`);

  const info = doc.info ?? {};
  const infoEntries: string[] = [];
  const put = (key: string, value: string | undefined) => {
    if (value !== undefined && value !== '') infoEntries.push(`/${key} ${infoString(value)}`);
  };
  put('Title', info.title);
  put('Author', info.author);
  put('Subject', info.subject);
  put('Keywords', info.keywords);
  put('Creator', info.creator);
  put('Producer', info.producer ?? 'open-kiosk');
  if (info.creationDate) infoEntries.push(`/CreationDate (${pdfDate(info.creationDate)})`);
  const infoRef = add(dict(`<< ${infoEntries.join(' ')} >>`));

  // Serialise, recording each object's byte offset for the cross-reference table.
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const emit = (b: Uint8Array) => {
    chunks.push(b);
    offset += b.length;
  };
  // The second line's bytes above 127 tell transfer programs the file is binary (Reference §3.4.1).
  emit(latin1('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n'));
  const offsets: number[] = [];
  bodies.forEach((parts, k) => {
    offsets.push(offset);
    emit(latin1(`${k + 1} 0 obj\n`));
    for (const p of parts) emit(p);
    emit(latin1('\nendobj\n'));
  });
  const hash = createHash('md5');
  for (const c of chunks) hash.update(c);
  const id = hash.digest('hex');
  const xrefAt = offset;
  // Each entry is exactly 20 bytes: 10-digit offset, space, 5-digit generation, space, n/f, CR LF or space LF.
  let xref = `xref\n0 ${bodies.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) xref += `${String(o).padStart(10, '0')} 00000 n \n`;
  emit(latin1(xref));
  emit(latin1(`trailer\n<< /Size ${bodies.length + 1} /Root 1 0 R /Info ${infoRef} 0 R /ID [<${id}> <${id}>] >>\nstartxref\n${xrefAt}\n%%EOF\n`));
  return Buffer.concat(chunks);
}
