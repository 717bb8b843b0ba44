/**
 * Renderings of a decoded receipt: plain text (what tests assert on) and a simple SVG (previews in the
 * simulator panel and the admin page). Both are pure functions of the document.
 */
import type { Alignment } from './commands.ts';
import type { DocumentBlock, EscPosDocument, TextLineBlock } from './document.ts';

export interface TextRenderOptions {
  /**
   * Paper width in characters of font A. Lines aligned with `ESC a` are padded to it. Default 42
   * (80 mm paper, the receipt encoder's default). The encoder itself aligns text with spaces.
   */
  columns?: number;
  /** Apply `ESC a` alignment to text lines by padding with spaces. Default true. */
  applyAlignment?: boolean;
  /** Render barcodes, QR codes, images, cuts and drawer pulses as bracketed marker lines. Default true. */
  markers?: boolean;
  /** Remove trailing spaces from every line (the encoder pads table cells). Default true. */
  trimEnd?: boolean;
}

/** Display width of a line in font-A columns (double-width characters take two). */
export function lineWidth(line: TextLineBlock): number {
  return line.runs.reduce((sum, run) => sum + [...run.text].length * run.style.width, 0);
}

function lineText(line: TextLineBlock): string {
  return line.runs.map((r) => r.text).join('');
}

function pad(text: string, width: number, align: Alignment, columns: number): string {
  const free = Math.max(0, columns - width);
  if (align === 'center') return ' '.repeat(free >> 1) + text;
  if (align === 'right') return ' '.repeat(free) + text;
  return text;
}

/** One marker line for a non-text block, e.g. `[QR https://…]`. */
export function markerFor(block: Exclude<DocumentBlock, TextLineBlock>): string {
  switch (block.type) {
    case 'barcode':
      return `[BARCODE ${block.symbology} ${block.data}]`;
    case 'qr':
      return `[QR ${block.data}]`;
    case 'code2d':
      return `[${block.symbology.toUpperCase()} ${block.data}]`;
    case 'image':
      return block.widthDots === null
        ? `[IMAGE ${block.source}]`
        : `[IMAGE ${block.widthDots}x${block.heightDots ?? '?'}]`;
    case 'cut':
      return `[CUT ${block.kind}]`;
    case 'pulse':
      return `[DRAWER pin ${block.pin} on ${block.onMs} ms off ${block.offMs} ms]`;
  }
}

/**
 * Plain text, one line per printed line. Styles are dropped; with `markers`, non-text blocks appear
 * as `[BARCODE code128 …]`, `[QR …]`, `[IMAGE 384x96]`, `[CUT full]`, `[DRAWER pin 2 on 50 ms off 500 ms]`.
 */
export function renderText(doc: EscPosDocument | readonly DocumentBlock[], options: TextRenderOptions = {}): string {
  const blocks = Array.isArray(doc) ? (doc as readonly DocumentBlock[]) : (doc as EscPosDocument).blocks;
  const columns = options.columns ?? 42;
  const applyAlignment = options.applyAlignment ?? true;
  const markers = options.markers ?? true;
  const trimEnd = options.trimEnd ?? true;
  const lines: string[] = [];
  for (const block of blocks) {
    if (block.type === 'text') {
      let text = lineText(block);
      if (trimEnd) text = text.trimEnd();
      if (applyAlignment && block.align !== 'left') {
        // Measure with the runs' widths so double-width text is centred the way the printer does it.
        text = pad(text, prefixWidth(block, [...text].length), block.align, columns);
      }
      lines.push(text);
    } else if (markers) {
      const marker = markerFor(block);
      lines.push(block.type === 'cut' || block.type === 'pulse' ? marker : pad(marker, marker.length, block.align, columns));
    }
  }
  return lines.join('\n');
}

/** Width in font-A columns of the first `chars` characters of a line. */
function prefixWidth(line: TextLineBlock, chars: number): number {
  let remaining = chars;
  let width = 0;
  for (const run of line.runs) {
    const used = Math.min([...run.text].length, remaining);
    width += used * run.style.width;
    remaining -= used;
    if (remaining === 0) break;
  }
  return width;
}

export interface SvgRenderOptions {
  /** Paper width in font-A characters. Default 42. */
  columns?: number;
  /** Width of one font-A character in SVG units. Default 12 (12×24 dot font). */
  charWidth?: number;
  /** Height of one line in SVG units. Default 24. */
  lineHeight?: number;
  /** Padding around the paper. Default 8. */
  margin?: number;
}

/** Numbers in SVG attributes: at most two decimals. */
function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/**
 * A simple SVG preview: monospace text lines (bold, underline, italic, inverse, sizes), dashed boxes
 * with the payload for barcodes, QR codes and images, a dashed line for cuts, a note for drawer pulses.
 */
export function renderSvg(doc: EscPosDocument | readonly DocumentBlock[], options: SvgRenderOptions = {}): string {
  const blocks = Array.isArray(doc) ? (doc as readonly DocumentBlock[]) : (doc as EscPosDocument).blocks;
  const columns = options.columns ?? 42;
  const cw = options.charWidth ?? 12;
  const lh = options.lineHeight ?? 24;
  const margin = options.margin ?? 8;
  const paperWidth = columns * cw;
  const parts: string[] = [];
  let y = margin;

  const xFor = (width: number, align: Alignment): number => {
    const free = Math.max(0, paperWidth - width);
    return margin + (align === 'center' ? free / 2 : align === 'right' ? free : 0);
  };

  const box = (label: string, width: number, height: number, align: Alignment): void => {
    const x = xFor(width, align);
    parts.push(
      `<rect x="${num(x)}" y="${num(y)}" width="${num(width)}" height="${num(height)}" fill="none" stroke="#000" stroke-dasharray="4 3"/>`,
      `<text x="${num(x + width / 2)}" y="${num(y + height / 2)}" text-anchor="middle" dominant-baseline="middle" font-size="${num(lh * 0.5)}">${escapeXml(label)}</text>`,
    );
    y += height + lh / 4;
  };

  for (const block of blocks) {
    switch (block.type) {
      case 'text': {
        const height = Math.max(1, ...block.runs.map((r) => r.style.height)) * lh;
        const width = lineWidth(block) * cw;
        let x = xFor(width, block.align);
        const baseline = y + height * 0.8;
        for (const run of block.runs) {
          const w = [...run.text].length * run.style.width * cw;
          const fontSize = lh * 0.85 * run.style.height;
          if (run.style.invert) parts.push(`<rect x="${num(x)}" y="${num(y)}" width="${num(w)}" height="${num(height)}" fill="#000"/>`);
          const attrs = [
            `x="${num(x)}"`,
            `y="${num(baseline)}"`,
            `font-size="${num(fontSize)}"`,
            `textLength="${num(w)}"`,
            'lengthAdjust="spacingAndGlyphs"',
            'xml:space="preserve"',
          ];
          if (run.style.bold) attrs.push('font-weight="bold"');
          if (run.style.italic) attrs.push('font-style="italic"');
          if (run.style.underline) attrs.push('text-decoration="underline"');
          if (run.style.invert) attrs.push('fill="#fff"');
          if (w > 0) parts.push(`<text ${attrs.join(' ')}>${escapeXml(run.text)}</text>`);
          x += w;
        }
        y += height;
        break;
      }
      case 'barcode':
        box(`${block.symbology}: ${block.data}`, Math.min(paperWidth, Math.max(10, block.rawData.length) * cw * 1.5), Math.max(lh * 2, Math.min(block.heightDots, 200) / 2), block.align);
        break;
      case 'qr':
        box(`QR: ${block.data}`, Math.min(paperWidth, 8 * lh), Math.min(paperWidth, 8 * lh), block.align);
        break;
      case 'code2d':
        box(`${block.symbology}: ${block.data}`, Math.min(paperWidth, 10 * lh), 4 * lh, block.align);
        break;
      case 'image': {
        const w = Math.min(paperWidth, block.widthDots ?? paperWidth / 2);
        const h = block.heightDots ?? 3 * lh;
        box(block.widthDots === null ? `image (${block.source})` : `image ${block.widthDots}×${block.heightDots ?? '?'}`, w, h, block.align);
        break;
      }
      case 'cut':
        parts.push(
          `<line x1="0" y1="${num(y + lh / 2)}" x2="${num(paperWidth + 2 * margin)}" y2="${num(y + lh / 2)}" stroke="#000" stroke-dasharray="6 4"/>`,
          `<text x="${num(margin)}" y="${num(y + lh / 2 - 2)}" font-size="${num(lh * 0.5)}">✂ ${block.kind} cut</text>`,
        );
        y += lh;
        break;
      case 'pulse':
        parts.push(
          `<text x="${num(margin)}" y="${num(y + lh * 0.7)}" font-size="${num(lh * 0.5)}" fill="#666">drawer pin ${block.pin}: ${block.onMs} ms on / ${block.offMs} ms off</text>`,
        );
        y += lh;
        break;
    }
  }
  const width = paperWidth + 2 * margin;
  const height = y + margin;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" font-family="monospace">`,
    `<rect width="${num(width)}" height="${num(height)}" fill="#fff"/>`,
    ...parts,
    '</svg>',
  ].join('\n');
}
