import { describe, expect, it } from 'vitest';
import {
  type DecodedCommand,
  type DocumentBlock,
  EscPosDecoder,
  type TextLineBlock,
  align,
  barcode,
  bold,
  concatBytes,
  cut,
  decodeEscPos,
  drawerKick,
  encodeText,
  initialize,
  qrCode,
  renderSvg,
  renderText,
  selectCodePage,
  statusRequest,
  textSize,
} from '../../../protocols/escpos/index.ts';

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
const NL = [0x0a, 0x0d]; // receipt-printer-encoder ends every line with LF CR

function textLines(blocks: readonly DocumentBlock[]): TextLineBlock[] {
  return blocks.filter((b): b is TextLineBlock => b.type === 'text');
}

function lineString(block: DocumentBlock | undefined): string {
  if (!block || block.type !== 'text') throw new Error(`expected a text line, got ${block?.type}`);
  return block.runs.map((r) => r.text).join('');
}

/** Feed in the given chunk sizes, return the finished document. */
function decodeInChunks(bytes: Uint8Array, cuts: number[]) {
  const decoder = new EscPosDecoder();
  let at = 0;
  for (const c of cuts) {
    decoder.feed(bytes.subarray(at, c));
    at = c;
  }
  decoder.feed(bytes.subarray(at));
  return decoder.end();
}

/**
 * A loan slip built the way @point-of-sale/receipt-printer-encoder 4.x lays it out: ESC @, FS ., ESC M 0,
 * an ESC t before each code-page fragment, centring done with spaces, LF CR after each line, ESC a only
 * around barcodes and QR codes.
 */
function loanSlip(): Uint8Array {
  return concatBytes(
    [0x1b, 0x40, 0x1c, 0x2e, 0x1b, 0x4d, 0x00],
    // Bytes from devices.md §4.1 (verified encoder output): "Knjižnica Čačak" in CP852, bold.
    [0x1b, 0x45, 0x01, 0x1b, 0x74, 0x12],
    ascii('Knji'), [0xa7], ascii('nica '), [0xac, 0x61, 0x9f, 0x61, 0x6b],
    [0x1b, 0x45, 0x00], NL,
    // Latvian in CP775 (ESC t 0x21): "Jelgavas pilsētas bibliotēka", ē = 0x89.
    [0x1b, 0x74, 0x21], ascii('Jelgavas pils'), [0x89], ascii('tas bibliot'), [0x89], ascii('ka'), NL,
    // One line mixing pages, as codepage('auto') does: "Ķekava – Šmarje" (Ķ from CP775, Š from CP852).
    [0x1b, 0x74, 0x21], encodeText('Ķekava ', 'cp775'), [0x1b, 0x74, 0x12], encodeText('Šmarje', 'cp852'), NL,
    // Hungarian in CP852.
    [0x1b, 0x74, 0x12], encodeText('Árvíztűrő tükörfúrógép', 'cp852'), NL,
    ascii('Rok vrnitve: 12.12.2026'), NL,
    // Barcode with centring around it.
    [0x1b, 0x61, 0x01], [0x1d, 0x68, 0x3c, 0x1d, 0x77, 0x03, 0x1d, 0x48, 0x02],
    [0x1d, 0x6b, 0x49, 0x0c], ascii('{B3001234567'), [0x1b, 0x61, 0x00], NL,
    [0x1b, 0x61, 0x01], qrCode('https://knjiznica.si/r/1'), [0x1b, 0x61, 0x00], NL,
    [0x1d, 0x56, 0x01],
    [0x1b, 0x70, 0x00, 0x19, 0xfa],
  );
}

describe('EscPosDecoder: text and code pages', () => {
  it('decodes the verified encoder output from devices.md §4.1 back to "Knjižnica Čačak" in bold', () => {
    const doc = decodeEscPos(Uint8Array.from([...loanSlip().subarray(0, 7 + 6 + 15 + 3 + 2)]));
    const first = doc.blocks[0];
    expect(lineString(first)).toBe('Knjižnica Čačak');
    expect(first?.type === 'text' && first.runs[0]?.style.bold).toBe(true);
    const cp = doc.commands.find((c) => c.type === 'codePage');
    expect(cp).toMatchObject({ type: 'codePage', n: 0x12, codePage: 'cp852' });
  });

  it('decodes Latvian in CP775, Slovenian and Hungarian in CP852, and a line mixing both pages', () => {
    const lines = textLines(decodeEscPos(loanSlip()).blocks).map((l) => l.runs.map((r) => r.text).join(''));
    expect(lines.slice(0, 5)).toEqual([
      'Knjižnica Čačak',
      'Jelgavas pilsētas bibliotēka',
      'Ķekava Šmarje',
      'Árvíztűrő tükörfúrógép',
      'Rok vrnitve: 12.12.2026',
    ]);
  });

  it('merges fragments of one style into one run even when the code page changes between them', () => {
    const mixed = textLines(decodeEscPos(loanSlip()).blocks)[2];
    expect(mixed?.runs).toHaveLength(1);
  });

  it('gives the same document for every way of splitting the stream into two chunks', () => {
    const bytes = loanSlip();
    const whole = decodeEscPos(bytes);
    for (let split = 1; split < bytes.length; split++) {
      const doc = decodeInChunks(bytes, [split]);
      expect(doc.blocks, `split at ${split}`).toEqual(whole.blocks);
    }
  });

  it('gives the same document when fed one byte at a time', () => {
    const bytes = loanSlip();
    const cuts = Array.from({ length: bytes.length - 1 }, (_, k) => k + 1);
    expect(decodeInChunks(bytes, cuts).blocks).toEqual(decodeEscPos(bytes).blocks);
  });

  it('completes a drawer kick split across two chunks only when its last byte arrives', () => {
    const decoder = new EscPosDecoder();
    expect(decoder.feed(Uint8Array.of(0x1b, 0x70))).toEqual([]);
    const done = decoder.feed(Uint8Array.of(0x01, 0x32, 0x64));
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ type: 'pulse', pin: 5, onMs: 100, offMs: 200, offset: 0 });
  });

  it('uses the vendor table for ESC t: Citizen 6 is CP852', () => {
    const bytes = concatBytes([0x1b, 0x74, 0x06], encodeText('čšž', 'cp852'), [0x0a]);
    expect(lineString(decodeEscPos(bytes, { codePageTable: 'citizen' }).blocks[0])).toBe('čšž');
    // The same bytes on an Epson table (6 = not a decodable page) fall back to CP437.
    expect(lineString(decodeEscPos(bytes).blocks[0])).not.toBe('čšž');
  });

  it('expands HT to the default tab stops every 8 characters', () => {
    const doc = decodeEscPos(Uint8Array.from([...ascii('A'), 0x09, ...ascii('B'), 0x0a]));
    expect(lineString(doc.blocks[0])).toBe('A       B');
  });

  it('ESC @ throws away an unterminated line, as the printer clears its buffer', () => {
    const doc = decodeEscPos(Uint8Array.from([...ascii('lost'), 0x1b, 0x40, ...ascii('kept'), 0x0a]));
    expect(textLines(doc.blocks).map((l) => l.runs.map((r) => r.text).join(''))).toEqual(['kept']);
  });

  it('ESC d n prints the line and feeds n − 1 blank lines after it', () => {
    const doc = decodeEscPos(Uint8Array.from([...ascii('end'), 0x1b, 0x64, 0x03]));
    expect(doc.blocks.map((b) => (b.type === 'text' ? b.runs.length : -1))).toEqual([1, 0, 0]);
  });
});

describe('EscPosDecoder: chunking', () => {
  /** One of every multi-byte command family the decoder knows, with data that looks like commands. */
  function kitchenSink(): Uint8Array {
    return concatBytes(
      loanSlip(),
      [0x1b, 0x44, 0x04, 0x0a, 0x00], ascii('a'), [0x09], ascii('b'), [0x0a], // ESC D tab stops 4, 10
      [0x1b, 0x26, 0x02, 0x41, 0x42, 0x01, 0x0a, 0x1b, 0x01, 0x1b, 0x40], // ESC & two user chars
      [0x1b, 0x2a, 0x00, 0x03, 0x00, 0x1d, 0x56, 0x00, 0x0a], // ESC * 8-dot stripe
      [0x1d, 0x28, 0x4c, 0x0c, 0x00, 0x30, 0x70, 0x30, 0x01, 0x01, 0x31, 0x08, 0x00, 0x02, 0x00, 0x10, 0x04], // GS ( L store 8×2
      [0x1d, 0x28, 0x4c, 0x02, 0x00, 0x30, 0x32], // GS ( L print
      [0x1d, 0x2a, 0x01, 0x01, 0x10, 0x04, 0x01, 0x0a, 0x1b, 0x70, 0x00, 0x00, 0x1d, 0x2f, 0x00], // GS * + GS /
      [0x1d, 0x6b, 0x02], ascii('9789612345678'), [0x00], // EAN-13, function A
      [0x10, 0x14, 0x01, 0x01, 0x03], [0x10, 0x04, 0x01], [0x1d, 0x72, 0x01],
      [0x1c, 0x70, 0x01, 0x00], ascii('tail'), [0x0a],
    );
  }

  it('decodes every command family identically whether fed whole or byte by byte', () => {
    const bytes = kitchenSink();
    const whole = decodeEscPos(bytes);
    const cuts = Array.from({ length: bytes.length - 1 }, (_, k) => k + 1);
    const pieces = decodeInChunks(bytes, cuts);
    expect(pieces.blocks).toEqual(whole.blocks);
    expect(pieces.commands).toEqual(whole.commands);
    expect(whole.commands.filter((c) => c.type === 'unknown')).toEqual([]);
    expect(renderText(whole.blocks.slice(-8))).toBe(
      [
        'a   b',
        '[IMAGE 3x8]',
        '[IMAGE 8x2]',
        '[IMAGE 8x8]',
        '[BARCODE ean13 9789612345678]',
        '[DRAWER pin 5 on 300 ms off 300 ms]',
        '[IMAGE FS p]',
        'tail',
      ].join('\n'),
    );
  });

  it('hands completed blocks to a simulator once with takeBlocks()', () => {
    const decoder = new EscPosDecoder();
    decoder.feed(Uint8Array.from([...ascii('one'), 0x0a, ...ascii('tw')]));
    expect(decoder.takeBlocks().map(lineString)).toEqual(['one']);
    decoder.feed(Uint8Array.from([...ascii('o'), 0x0a]));
    expect(decoder.takeBlocks().map(lineString)).toEqual(['two']);
    expect(decoder.takeBlocks()).toEqual([]);
  });
});

describe('EscPosDecoder: styles and alignment', () => {
  it('tracks bold, underline, invert and size per run', () => {
    const bytes = concatBytes(
      bold(true), ascii('B'), bold(false),
      [0x1b, 0x2d, 0x02], ascii('U'), [0x1b, 0x2d, 0x00],
      [0x1d, 0x42, 0x01], ascii('I'), [0x1d, 0x42, 0x00],
      textSize(2, 3), ascii('W'), textSize(1, 1),
      ascii('n'), [0x0a],
    );
    const line = decodeEscPos(bytes).blocks[0];
    if (line?.type !== 'text') throw new Error('no line');
    expect(line.runs.map((r) => [r.text, r.style.bold, r.style.underline, r.style.invert, r.style.width, r.style.height])).toEqual([
      ['B', true, 0, false, 1, 1],
      ['U', false, 2, false, 1, 1],
      ['I', false, 0, true, 1, 1],
      ['W', false, 0, false, 2, 3],
      ['n', false, 0, false, 1, 1],
    ]);
  });

  it('ESC ! sets font B, emphasis, double height, double width and underline in one byte', () => {
    const line = decodeEscPos(Uint8Array.from([0x1b, 0x21, 0xb9, ...ascii('X'), 0x0a])).blocks[0];
    if (line?.type !== 'text') throw new Error('no line');
    expect(line.runs[0]?.style).toMatchObject({ font: 'B', bold: true, height: 2, width: 2, underline: 1 });
  });

  it('applies ESC a to the line it starts, not to a line already begun', () => {
    const bytes = concatBytes(align('center'), ascii('Centred'), align('right'), ascii(' still centred'), [0x0a], ascii('Right'), [0x0a]);
    const lines = textLines(decodeEscPos(bytes).blocks);
    expect(lines.map((l) => l.align)).toEqual(['center', 'right']);
  });
});

describe('EscPosDecoder: barcodes, QR codes, images', () => {
  it('decodes a Code 128 barcode with its HRI, height and module width settings', () => {
    const doc = decodeEscPos(loanSlip());
    const bc = doc.blocks.find((b) => b.type === 'barcode');
    expect(bc).toMatchObject({
      type: 'barcode',
      symbology: 'code128',
      data: '3001234567',
      rawData: '{B3001234567',
      hri: 'below',
      heightDots: 60,
      moduleWidth: 3,
      align: 'center',
    });
  });

  it('interprets Code 128 code set C bytes as digit pairs', () => {
    const doc = decodeEscPos(Uint8Array.from([0x1d, 0x6b, 0x49, 0x05, ...ascii('{C'), 12, 34, 5]));
    expect(doc.blocks[0]).toMatchObject({ type: 'barcode', data: '123405' });
  });

  it('decodes a function A barcode terminated by NUL (Code 39)', () => {
    const doc = decodeEscPos(Uint8Array.from([0x1d, 0x6b, 0x04, ...ascii('LIB-42'), 0x00, ...ascii('after'), 0x0a]));
    expect(doc.blocks[0]).toMatchObject({ type: 'barcode', symbology: 'code39', data: 'LIB-42' });
    expect(lineString(doc.blocks[1])).toBe('after');
  });

  it('decodes the QR payload with model, module size and error correction', () => {
    const doc = decodeEscPos(loanSlip());
    const qr = doc.blocks.find((b) => b.type === 'qr');
    expect(qr).toMatchObject({
      type: 'qr',
      data: 'https://knjiznica.si/r/1',
      model: 2,
      moduleSize: 6,
      errorCorrection: 'M',
      align: 'center',
    });
  });

  it('decodes a QR payload longer than 255 bytes (pH > 0) split across chunks, with UTF-8 text', () => {
    const payload = `https://example.org/${'ž'.repeat(150)}`;
    const bytes = qrCode(payload, { errorCorrection: 'H', moduleSize: 4 });
    const doc = decodeInChunks(bytes, [40, 200]);
    expect(doc.blocks).toHaveLength(1);
    expect(doc.blocks[0]).toMatchObject({ type: 'qr', data: payload, errorCorrection: 'H', moduleSize: 4 });
  });

  it('decodes a PDF417 symbol as the receipt encoder sends it (GS ( k cn 48)', () => {
    const data = ascii('LOAN-2026-0042');
    const len = data.length + 3;
    const bytes = Uint8Array.from([
      0x1d, 0x28, 0x6b, 0x03, 0x00, 0x30, 0x41, 0x00, // columns auto
      0x1d, 0x28, 0x6b, 0x04, 0x00, 0x30, 0x45, 0x30, 0x31, // error level
      0x1d, 0x28, 0x6b, len & 0xff, len >> 8, 0x30, 0x50, 0x30, ...data,
      0x1d, 0x28, 0x6b, 0x03, 0x00, 0x30, 0x51, 0x30,
    ]);
    const doc = decodeEscPos(bytes);
    expect(doc.blocks).toEqual([
      { type: 'code2d', symbology: 'pdf417', data: 'LOAN-2026-0042', bytes: Uint8Array.from(data), align: 'left' },
    ]);
  });

  it('skips GS v 0 raster data by its size, even when the data holds command bytes and is split', () => {
    // 2 bytes wide (16 dots) × 3 rows = 6 data bytes, containing LF and ESC.
    const bytes = Uint8Array.from([0x1d, 0x76, 0x30, 0x00, 0x02, 0x00, 0x03, 0x00, 0x0a, 0x1b, 0x40, 0x0a, 0xff, 0x00, ...ascii('after'), 0x0a]);
    for (const split of [3, 8, 10, 13]) {
      const doc = decodeInChunks(bytes, [split]);
      expect(doc.blocks, `split ${split}`).toEqual([
        { type: 'image', source: 'GS v 0', widthDots: 16, heightDots: 3, byteLength: 6, align: 'left' },
        { type: 'text', align: 'left', runs: [{ text: 'after', style: expect.objectContaining({ bold: false }) }] },
      ]);
    }
  });

  it('joins ESC * column-mode stripes into one image without blank lines between them', () => {
    const stripe = [0x1b, 0x2a, 0x21, 0x04, 0x00, ...new Array(12).fill(0x0a), 0x0a];
    const bytes = Uint8Array.from([0x1b, 0x33, 0x24, ...stripe, ...stripe, 0x1b, 0x32, ...ascii('x'), 0x0a]);
    const doc = decodeEscPos(bytes);
    expect(doc.blocks.map((b) => b.type)).toEqual(['image', 'text']);
    expect(doc.blocks[0]).toMatchObject({ source: 'ESC *', widthDots: 4, heightDots: 48, byteLength: 24 });
  });
});

describe('EscPosDecoder: cuts, drawer pulses, status requests, unknown bytes', () => {
  it('decodes full, partial and feed-then-cut GS V variants', () => {
    const doc = decodeEscPos(concatBytes(cut('full'), cut('partial'), cut('partial', 3), [0x1d, 0x56, 0x41, 0x05]));
    expect(doc.blocks).toEqual([
      { type: 'cut', kind: 'full' },
      { type: 'cut', kind: 'partial' },
      { type: 'cut', kind: 'partial' },
      { type: 'cut', kind: 'full' },
    ]);
    expect(doc.commands.filter((c) => c.type === 'cut').map((c) => (c.type === 'cut' ? c.feed : null))).toEqual([undefined, undefined, 3, 5]);
  });

  it('decodes drawer pulses with pin and on/off times (ESC p and DLE DC4)', () => {
    const doc = decodeEscPos(concatBytes([0x1b, 0x70, 0x00, 0x19, 0xfa], [0x1b, 0x70, 0x31, 0x0a, 0x14], [0x10, 0x14, 0x01, 0x00, 0x02]));
    expect(doc.blocks).toEqual([
      { type: 'pulse', pin: 2, onMs: 50, offMs: 500 },
      { type: 'pulse', pin: 5, onMs: 20, offMs: 40 },
      { type: 'pulse', pin: 2, onMs: 200, offMs: 200 },
    ]);
  });

  it('reports a DLE EOT request through onCommand as soon as its last byte arrives, mid-receipt', () => {
    const seen: DecodedCommand[] = [];
    const decoder = new EscPosDecoder({ onCommand: (c) => seen.push(c) });
    decoder.feed(Uint8Array.from([...ascii('half a line'), 0x10, 0x04]));
    expect(seen.some((c) => c.type === 'statusRequest')).toBe(false);
    decoder.feed(Uint8Array.of(0x04));
    const last = seen[seen.length - 1];
    expect(last).toMatchObject({ type: 'statusRequest', request: { kind: 'DLE EOT', n: 4 }, offset: 11 });
    // The request does not end the text line.
    decoder.feed(Uint8Array.from([...ascii(' more'), 0x0a]));
    expect(lineString(decoder.end().blocks[0])).toBe('half a line more');
  });

  it('reports unknown commands and keeps decoding after them', () => {
    const doc = decodeEscPos(Uint8Array.from([0x1b, 0x99, 0x07, ...ascii('ok'), 0x0a]));
    const unknown = doc.commands.filter((c) => c.type === 'unknown');
    expect(unknown.map((c) => Array.from(c.bytes))).toEqual([[0x1b, 0x99], [0x07]]);
    expect(lineString(doc.blocks[0])).toBe('ok');
  });

  it('reports a command cut off by the end of the stream', () => {
    const decoder = new EscPosDecoder();
    decoder.feed(Uint8Array.of(0x1d, 0x28, 0x6b, 0x10, 0x00, 0x31, 0x50));
    const doc = decoder.end();
    expect(doc.commands.at(-1)).toMatchObject({ type: 'unknown', reason: 'stream ended inside a command' });
  });

  it('decodes what the encoder helpers produce (round trip)', () => {
    const bytes = concatBytes(
      initialize(),
      selectCodePage('cp775'),
      encodeText('Ķekavas bibliotēka', 'cp775'),
      [0x0a],
      barcode('123456', 'code128', { hri: 'both', heightDots: 80, moduleWidth: 2 }),
      drawerKick({ pin: 5, onMs: 120, offMs: 240 }),
      statusRequest(2),
    );
    const doc = decodeEscPos(bytes);
    expect(lineString(doc.blocks[0])).toBe('Ķekavas bibliotēka');
    expect(doc.blocks[1]).toMatchObject({ type: 'barcode', data: '123456', hri: 'both', heightDots: 80, moduleWidth: 2 });
    expect(doc.blocks[2]).toEqual({ type: 'pulse', pin: 5, onMs: 120, offMs: 240 });
    expect(doc.commands.at(-1)).toMatchObject({ type: 'statusRequest', request: { kind: 'DLE EOT', n: 2 } });
  });
});

describe('renderings', () => {
  it('renders the loan slip as plain text with markers', () => {
    expect(renderText(decodeEscPos(loanSlip()))).toBe(
      [
        'Knjižnica Čačak',
        'Jelgavas pilsētas bibliotēka',
        'Ķekava Šmarje',
        'Árvíztűrő tükörfúrógép',
        'Rok vrnitve: 12.12.2026',
        '       [BARCODE code128 3001234567]',
        '',
        '      [QR https://knjiznica.si/r/1]',
        '',
        '[CUT partial]',
        '[DRAWER pin 2 on 50 ms off 500 ms]',
      ].join('\n'),
    );
  });

  it('pads ESC a aligned text, counting double-width characters twice', () => {
    // ABC and xy are double width: 6 and 4 columns of a 10-column paper.
    const bytes = concatBytes(align('center'), textSize(2, 1), ascii('ABC'), [0x0a], align('right'), ascii('xy'), [0x0a]);
    expect(renderText(decodeEscPos(bytes), { columns: 10 }).split('\n')).toEqual(['  ABC', '      xy']);
  });

  it('renders an SVG with bold text, escaped characters and QR/barcode placeholders carrying the payload', () => {
    const bytes = concatBytes(bold(true), ascii('<Knjižnica & co>'), bold(false), [0x0a], qrCode('https://x.si/?a=1&b=2'));
    const svg = renderSvg(decodeEscPos(bytes));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toMatch(/font-weight="bold"[^>]*>&lt;Knji.nica &amp; co&gt;<\/text>/);
    expect(svg).toContain('QR: https://x.si/?a=1&amp;b=2');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });
});
