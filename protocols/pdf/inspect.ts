/**
 * Reads back the structure of a PDF this project wrote (./writer.ts): the cross-reference table, the
 * objects it points at, the pages, the text each page shows and the images it draws. It checks what
 * a reader relies on — every xref offset lands on `n 0 obj`, startxref lands on `xref`, the page
 * count matches — and reports problems as data. It is not a general PDF parser (no object streams,
 * no incremental updates, no other filters than FlateDecode); it exists so tests and staff tools can
 * see what a stored document says without a PDF library.
 */
import { inflateSync } from 'node:zlib';
import { decodeText } from './text-encoding.ts';

export interface InspectedImage {
  name: string;
  width: number;
  height: number;
  colorSpace: string;
  bitsPerComponent: number;
  filter: string | null;
  /** Decoded samples. */
  pixels: Uint8Array;
}

export interface InspectedPage {
  width: number;
  height: number;
  /** Text of each Tj, in drawing order. */
  lines: string[];
  images: InspectedImage[];
}

export interface InspectedPdf {
  version: string;
  /** Problems found; empty for a well-formed file. */
  problems: string[];
  objectCount: number;
  pages: InspectedPage[];
  info: Record<string, string>;
  /** All text, page by page, line by line. */
  text: string;
}

const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

/** Undo a literal string's escapes (Reference §3.2.3). */
function unescapeLiteral(body: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out.push(c.charCodeAt(0));
      continue;
    }
    const n = body[++i] ?? '';
    if (/[0-7]/.test(n)) {
      let oct = n;
      while (oct.length < 3 && /[0-7]/.test(body[i + 1] ?? '')) oct += body[++i];
      out.push(parseInt(oct, 8) & 0xff);
    } else {
      const map: Record<string, number> = { n: 10, r: 13, t: 9, b: 8, f: 12 };
      out.push(map[n] ?? n.charCodeAt(0));
    }
  }
  return Uint8Array.from(out);
}

function infoValue(raw: string): string {
  const bytes = unescapeLiteral(raw);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    let s = '';
    for (let i = 2; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
    return s;
  }
  return latin1(bytes);
}

export function inspectPdf(input: Uint8Array): InspectedPdf {
  const bytes = Buffer.from(input);
  const text = bytes.toString('latin1');
  const problems: string[] = [];
  const version = /^%PDF-(\d\.\d)/.exec(text)?.[1] ?? '';
  if (!version) problems.push('no %PDF- header');
  if (!/%%EOF\s*$/.test(text)) problems.push('no %%EOF at the end');

  const sx = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(text);
  const xrefAt = sx ? Number(sx[1]) : -1;
  if (xrefAt < 0 || text.slice(xrefAt, xrefAt + 4) !== 'xref') problems.push(`startxref ${xrefAt} does not point at "xref"`);
  const offsets = new Map<number, number>();
  const table = /^xref\n(\d+) (\d+)\n/.exec(text.slice(Math.max(0, xrefAt)));
  if (table) {
    const first = Number(table[1]);
    const count = Number(table[2]);
    const start = xrefAt + table[0].length;
    for (let k = 0; k < count; k++) {
      const entry = text.slice(start + k * 20, start + (k + 1) * 20);
      const m = /^(\d{10}) (\d{5}) ([nf])(?: \n|\r\n| \r)$/.exec(entry);
      if (!m) {
        problems.push(`xref entry ${first + k} is not 20 bytes of "oooooooooo ggggg n"`);
        continue;
      }
      if (m[3] === 'n') offsets.set(first + k, Number(m[1]));
    }
  } else problems.push('no cross-reference table');

  // Every entry must point at its own object header.
  const objects = new Map<number, string>();
  const streams = new Map<number, Buffer>();
  for (const [num, at] of offsets) {
    const head = `${num} 0 obj`;
    if (text.slice(at, at + head.length) !== head) {
      problems.push(`xref offset ${at} of object ${num} does not point at "${head}"`);
      continue;
    }
    const end = text.indexOf('endobj', at);
    const body = text.slice(at + head.length, end);
    objects.set(num, body);
    const s = body.indexOf('stream\n');
    if (s >= 0) {
      const length = Number(/\/Length (\d+)/.exec(body)?.[1] ?? NaN);
      const dataAt = at + head.length + s + 'stream\n'.length;
      if (!Number.isFinite(length)) problems.push(`object ${num}: stream without /Length`);
      else {
        const raw = bytes.subarray(dataAt, dataAt + length);
        if (text.slice(dataAt + length, dataAt + length + 10) !== '\nendstream') problems.push(`object ${num}: /Length ${length} does not end at endstream`);
        try {
          streams.set(num, /\/Filter \/FlateDecode/.test(body.slice(0, s)) ? inflateSync(raw) : Buffer.from(raw));
        } catch (e) {
          problems.push(`object ${num}: stream does not inflate (${(e as Error).message})`);
        }
      }
    }
  }

  const trailer = /trailer\s*<<([\s\S]*?)>>\s*startxref/.exec(text)?.[1] ?? '';
  const rootRef = Number(/\/Root (\d+) 0 R/.exec(trailer)?.[1] ?? NaN);
  const size = Number(/\/Size (\d+)/.exec(trailer)?.[1] ?? NaN);
  if (size !== offsets.size + 1) problems.push(`trailer /Size ${size} but ${offsets.size} objects in the xref`);
  const info: Record<string, string> = {};
  const infoRef = Number(/\/Info (\d+) 0 R/.exec(trailer)?.[1] ?? NaN);
  const infoBody = objects.get(infoRef) ?? '';
  for (const m of infoBody.matchAll(/\/(\w+) \(((?:\\.|[^\\)])*)\)/g)) info[m[1]!] = infoValue(m[2]!);

  const pages: InspectedPage[] = [];
  const catalog = objects.get(rootRef) ?? '';
  const pagesRef = Number(/\/Pages (\d+) 0 R/.exec(catalog)?.[1] ?? NaN);
  const tree = objects.get(pagesRef) ?? '';
  const kids = [...(/\/Kids \[([^\]]*)\]/.exec(tree)?.[1] ?? '').matchAll(/(\d+) 0 R/g)].map((m) => Number(m[1]));
  const count = Number(/\/Count (\d+)/.exec(tree)?.[1] ?? NaN);
  if (kids.length !== count) problems.push(`page tree /Count ${count} but ${kids.length} kids`);
  for (const kid of kids) {
    const page = objects.get(kid);
    if (!page) {
      problems.push(`page object ${kid} missing`);
      continue;
    }
    const box = /\/MediaBox \[([\d.\s]+)\]/.exec(page)?.[1]?.trim().split(/\s+/).map(Number) ?? [0, 0, 0, 0];
    const contentRef = Number(/\/Contents (\d+) 0 R/.exec(page)?.[1] ?? NaN);
    const content = streams.get(contentRef)?.toString('latin1') ?? '';
    const lines = [...content.matchAll(/\(((?:\\[\s\S]|[^\\)])*)\) Tj/g)].map((m) => decodeText(unescapeLiteral(m[1]!)));
    const images: InspectedImage[] = [];
    const xobjects = /\/XObject << ([^>]*) >>/.exec(page)?.[1] ?? '';
    for (const m of xobjects.matchAll(/\/(\w+) (\d+) 0 R/g)) {
      const ref = Number(m[2]);
      const body = objects.get(ref) ?? '';
      images.push({
        name: m[1]!,
        width: Number(/\/Width (\d+)/.exec(body)?.[1] ?? 0),
        height: Number(/\/Height (\d+)/.exec(body)?.[1] ?? 0),
        colorSpace: /\/ColorSpace \/(\w+)/.exec(body)?.[1] ?? '',
        bitsPerComponent: Number(/\/BitsPerComponent (\d+)/.exec(body)?.[1] ?? 0),
        filter: /\/Filter \/(\w+)/.exec(body)?.[1] ?? null,
        pixels: new Uint8Array(streams.get(ref) ?? []),
      });
      if (!new RegExp(`/${m[1]} Do`).test(content)) problems.push(`image ${m[1]} is in the resources but never drawn`);
    }
    pages.push({ width: box[2] ?? 0, height: box[3] ?? 0, lines, images });
  }
  return {
    version,
    problems,
    objectCount: offsets.size,
    pages,
    info,
    text: pages.map((p) => p.lines.join('\n')).join('\n\f\n'),
  };
}
