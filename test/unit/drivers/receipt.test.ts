/**
 * The receipt model: locale formatting, name shortening, layout rules of domain.md §9.1, the ESC/POS
 * rendering decoded back with our EscPosDecoder, and the HTML/SVG previews.
 */
import { describe, expect, it } from 'vitest';
import { decodeEscPos, renderText } from '../../../protocols/escpos/index.ts';
import {
  formatReceiptDate,
  formatReceiptDateTime,
  layoutReceipt,
  type Receipt,
  receiptCodePageCandidates,
  receiptFormat,
  renderReceiptEscPos,
  renderReceiptHtml,
  renderReceiptSvg,
  renderReceiptText,
  shortenName,
} from '../../../drivers/receipt/receipt.ts';

function receipt(language: string, overrides: Partial<Receipt> = {}): Receipt {
  return {
    language,
    printedAt: '2026-03-12T14:05:00Z',
    timeZone: 'Europe/Ljubljana',
    header: { libraryName: 'Mestna knjižnica', department: 'Oddelek za odrasle', lines: ['Kersnikova 2, Ljubljana'] },
    patron: { cardNumber: '0100203', name: 'Kovačič Janez Marko' },
    sections: [
      { kind: 'loans', items: [{ title: 'Prvi naslov', barcode: '30100000000001', dueDate: '2026-04-02' }] },
      { kind: 'returns', items: [{ title: 'Vrnjena knjiga', barcode: '30100000000002' }] },
      { kind: 'held', items: [{ title: 'Zadržana knjiga', barcode: '30100000000003', heldUntil: '2026-03-20' }] },
      { kind: 'lost', items: [{ title: 'Izgubljena knjiga', barcode: '30100000000004', since: '2025-11-01' }] },
      { kind: 'fees', currency: 'EUR', items: [{ description: 'Zamudnina', amount: 0.1 }, { description: 'Izkaznica', amount: 0.2 }] },
    ],
    ...overrides,
  };
}

/** `left` and `right` on one 42-column line, as the layout aligns dates. */
const row = (left: string, right: string, columns = 42): string => left + ' '.repeat(columns - [...left].length - [...right].length) + right;

const lines = (r: Receipt, columns = 42): string[] =>
  layoutReceipt(r, { columns }).flatMap((b) => (b.type === 'line' ? [b.text] : b.type === 'rule' ? ['---'] : b.type === 'blank' ? [''] : [`[${b.type}]`]));

describe('dates and amounts per locale', () => {
  it('prints due dates in each language’s own format', () => {
    const due = (language: string): string => formatReceiptDate('2026-04-02', receiptFormat({ language, timeZone: 'UTC' }));
    expect(due('en')).toBe('02/04/2026');
    expect(due('sl')).toBe('02. 04. 2026');
    expect(due('lv')).toBe('02.04.2026');
    expect(due('hu')).toBe('2026. 04. 02.');
  });

  it('never shifts a calendar date by the time zone, but prints instants in the receipt’s zone', () => {
    for (const timeZone of ['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'Europe/Riga']) {
      expect(formatReceiptDate('2026-04-02', receiptFormat({ language: 'lv', timeZone }))).toBe('02.04.2026');
    }
    expect(formatReceiptDateTime('2026-03-12T23:30:00Z', receiptFormat({ language: 'lv', timeZone: 'Europe/Riga' }))).toBe('13.03.2026 01:30');
    expect(formatReceiptDateTime('2026-03-12T23:30:00Z', receiptFormat({ language: 'en', timeZone: 'UTC' }))).toBe('12/03/2026 23:30');
  });

  it('adds fee amounts in cents and formats them per locale', () => {
    const text = lines(receipt('sl')).join('\n');
    expect(text).toMatch(/Zamudnina +0,10 €/);
    expect(text).toMatch(/Skupaj +0,30 €/);
    expect(lines(receipt('en')).join('\n')).toMatch(/Total +€0\.30/);
  });
});

describe('patron name', () => {
  it('shortens given names to initials, then cuts the surname', () => {
    expect(shortenName('Kovačič Janez Marko', 30)).toBe('Kovačič Janez Marko');
    expect(shortenName('Kovačič Janez Marko', 14)).toBe('Kovačič J. M.');
    expect(shortenName('Kovačič Janez Marko', 10)).toBe('Kovačič J.');
    expect(shortenName('Kovačič Janez Marko', 5)).toBe('Kova.');
    expect(shortenName('Kovačič Janez Marko', 30, 'initials')).toBe('Kovačič J. M.');
    expect(shortenName('Kovačič Janez Marko', 30, 'hidden')).toBe('');
  });

  it('prints card number and name on one line, the name shortened by the style asked for', () => {
    expect(lines(receipt('sl'))).toContain('Izkaznica 0100203 Kovačič Janez Marko');
    const initials = layoutReceipt(receipt('sl'), { patronName: 'initials' }).flatMap((b) => (b.type === 'line' ? [b.text] : []));
    expect(initials).toContain('Izkaznica 0100203 Kovačič J. M.');
    const hidden = layoutReceipt(receipt('sl'), { patronName: 'hidden' }).flatMap((b) => (b.type === 'line' ? [b.text] : []));
    expect(hidden).toContain('Izkaznica 0100203');
    expect(hidden.join('\n')).not.toContain('Kovačič');
  });
});

describe('layout', () => {
  it('prints held (B) and lost (L) items in their own tables, separate from loans and returns', () => {
    const text = lines(receipt('sl'));
    const heading = (h: string): number => text.findIndex((l) => l.startsWith(h));
    expect(heading('Izposojeno (1)')).toBeGreaterThan(0);
    expect(heading('Vrnjeno (1)')).toBeGreaterThan(heading('Izposojeno (1)'));
    expect(heading('Zadržano gradivo (1)')).toBeGreaterThan(heading('Vrnjeno (1)'));
    expect(heading('Izgubljeno gradivo (1)')).toBeGreaterThan(heading('Zadržano gradivo (1)'));
    expect(text[heading('Zadržano gradivo (1)') + 1]).toBe('---');
    expect(text).toContain(row('  30100000000003', 'Zadržano do 20. 03. 2026'));
    // Too long for one line together: the date goes right-aligned on the next.
    const lost = text.indexOf('  30100000000004');
    expect(text[lost + 1]).toBe('Izgubljeno od 01. 11. 2025'.padStart(42));
  });

  it('prints a kit lead-first with the other units indented, in unit order, with part n/m and labels', () => {
    const r = receipt('lv', {
      sections: [
        {
          kind: 'loans',
          items: [
            {
              title: 'Valodu kurss',
              barcode: 'K1',
              dueDate: '2026-04-02',
              kit: { kitNumber: '45', unit: 1, unitCount: 3, label: 'grāmata', parts: [{ barcode: 'K3', unit: 3, label: 'CD 2' }, { barcode: 'K2', unit: 2, label: 'CD 1' }] },
            },
          ],
        },
      ],
    });
    const text = lines(r);
    const k = text.indexOf('  Komplekts 45 daļa 1/3 grāmata');
    expect(k).toBeGreaterThan(0);
    expect(text.slice(k - 1, k + 3)).toEqual([row('  K1', 'Atdot līdz 02.04.2026'), '  Komplekts 45 daļa 1/3 grāmata', '    K2 daļa 2/3 CD 1', '    K3 daļa 3/3 CD 2']);
    // Kit units count as items.
    expect(text).toContain('Izsniegts (3)');
  });

  it('fits 58 mm paper: no line longer than 32 columns, long titles wrapped', () => {
    const r = receipt('hu', {
      sections: [{ kind: 'loans', items: [{ title: 'Egy nagyon hosszú cím, amely biztosan nem fér el egy sorban a keskeny papíron', barcode: '30100000000001', dueDate: '2026-04-02' }] }],
    });
    for (const l of lines(r, 32)) expect([...l].length).toBeLessThanOrEqual(32);
    expect(lines(r, 32)).toContain('  30100000000001');
    expect(lines(r, 32)).toContain('Lejárat 2026. 04. 02.'.padStart(32));
  });

  it('ends with the thank-you line in the receipt language, unless switched off', () => {
    expect(lines(receipt('hu')).at(-1)).toBe('Köszönjük látogatását!');
    expect(lines(receipt('lv')).at(-1)).toBe('Paldies par apmeklējumu!');
    expect(lines(receipt('sl', { footer: { thankYou: false, lines: ['Odprto 8-20'] } })).at(-1)).toBe('Odprto 8-20');
  });
});

describe('ESC/POS rendering, decoded back with EscPosDecoder', () => {
  it('picks the language’s code page first, and only pages the printer has', () => {
    expect(receiptCodePageCandidates('lv')[0]).toBe('cp775');
    expect(receiptCodePageCandidates('sl')[0]).toBe('cp852');
    expect(receiptCodePageCandidates('hu')[0]).toBe('cp852');
    expect(receiptCodePageCandidates('en')[0]).toBe('cp437');
    expect(receiptCodePageCandidates('lv', 'star')).not.toContain('cp775');
    expect(receiptCodePageCandidates('lv', 'xprinter')[0]).toBe('windows1257');
  });

  it.each([
    // The en dash is in no DOS page: the encoder switches to Windows-1250 for it, and back.
    ['sl', 'Čebula, šipek in žajbelj – ČŠŽ'],
    ['lv', 'Ķēniņš ģērbās ļoti ātri: ā ē ī ū ļ ņ ķ ģ'],
    ['hu', 'Őszi tűz és ő ű Ő Ű'],
    ['en', 'Plain English title'],
  ])('%s: every letter survives the code page round trip', (language, title) => {
    const r = receipt(language, { sections: [{ kind: 'loans', items: [{ title, barcode: '301', dueDate: '2026-04-02' }] }] });
    const text = renderText(decodeEscPos(renderReceiptEscPos(r)));
    expect(text).toContain(title);
    expect(text).not.toContain('?');
    expect(renderReceiptText(r)).toBe(text);
  });

  it('sends a non-ASCII QR payload as UTF-8 and ASCII barcodes with the encoder', () => {
    const qr = renderReceiptEscPos(receipt('lv', { code: { kind: 'qr', data: 'https://bibliotēka.lv/ā' } }));
    const qrBlock = decodeEscPos(qr).blocks.find((b) => b.type === 'qr');
    expect(qrBlock?.type === 'qr' && qrBlock.data).toBe('https://bibliotēka.lv/ā');
    const bar = decodeEscPos(renderReceiptEscPos(receipt('en', { code: { kind: 'barcode', symbology: 'code128', data: 'S-00042', caption: 'Session' } })));
    expect(bar.blocks.find((b) => b.type === 'barcode')).toMatchObject({ symbology: 'code128', data: 'S-00042', hri: 'below' });
  });

  it('ends with a partial cut by default, full or none on request', () => {
    const cutOf = (cut?: 'full' | 'partial' | 'none') => decodeEscPos(renderReceiptEscPos(receipt('en'), cut ? { cut } : {})).blocks.filter((b) => b.type === 'cut');
    expect(cutOf()).toEqual([{ type: 'cut', kind: 'partial' }]);
    expect(cutOf('full')).toEqual([{ type: 'cut', kind: 'full' }]);
    expect(cutOf('none')).toEqual([]);
  });
});

describe('previews', () => {
  it('HTML: self-contained, escaped, one table per section, lang attribute', () => {
    const html = renderReceiptHtml(receipt('sl', { header: { libraryName: 'Knjižnica <script>alert(1)</script>' } }));
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<html lang="sl">');
    expect(html).not.toContain('<script>');
    expect(html).toContain('Knjižnica &lt;script&gt;');
    for (const kind of ['loans', 'returns', 'held', 'lost', 'fees']) expect(html).toContain(`data-section="${kind}"`);
    expect(html).toContain('Rok vrnitve 02. 04. 2026');
    expect(html).toContain('Hvala za obisk in nasvidenje!');
    expect(html).not.toMatch(/<link|<style/);
  });

  it('SVG: the printed receipt as a picture', () => {
    const svg = renderReceiptSvg(receipt('lv'));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Paldies par apmeklējumu!');
  });
});
