import { describe, expect, it } from 'vitest';
import {
  type StPadMessage,
  StPad,
  StPadServerMessages,
  type StuCapability,
  StrokeRecorder,
  addSignotecPoint,
  decodeCapability,
  decodeInformation,
  decodePenReport,
  encodeCapability,
  encodeInformation,
  encodePenReport,
  parseStPadMessage,
  renderSignatureSvg,
  renderTabletText,
  serializeStPadRequest,
  strokeToPathData,
  strokesFromSamples,
  stuSampleToPoint,
  substituteLine,
  tabletPageText,
  tabletToScreen,
} from '../../../protocols/signature/index.ts';

describe('Wacom STU pen reports', () => {
  it('decodes report 0x01 with the netas-ch masks: bit15 in range, bit12 touching, pressure & 0x3FF', () => {
    // status 0x9123: bit15 + bit12 + pressure 0x123; x = 0x1234, y = 0x0ABC
    expect(decodePenReport(Uint8Array.of(0x01, 0x91, 0x23, 0x12, 0x34, 0x0a, 0xbc))).toEqual({
      ok: true,
      sample: { reportId: 0x01, inRange: true, touching: true, pressure: 0x123, x: 0x1234, y: 0x0abc, time: null, sequence: null },
    });
  });

  it('does not read bits 0/1 as proximity/touch (the pabloko driver bug)', () => {
    const r = decodePenReport(Uint8Array.of(0x01, 0x80, 0x03, 0, 10, 0, 20));
    expect(r).toMatchObject({ ok: true, sample: { inRange: true, touching: false, pressure: 3 } });
  });

  it('decodes report 0x34 with time and sequence', () => {
    const r = decodePenReport(Uint8Array.of(0x34, 0x90, 0x00, 0x00, 0x64, 0x00, 0xc8, 0x01, 0x02, 0x00, 0x07));
    expect(r).toMatchObject({ ok: true, sample: { reportId: 0x34, x: 100, y: 200, time: 0x0102, sequence: 7, touching: true } });
  });

  it('returns errors as data for other reports and short buffers', () => {
    expect(decodePenReport(Uint8Array.of(0x09, 0, 0, 0, 0, 0, 0))).toEqual({ ok: false, error: 'not-pen-data', reportId: 9 });
    expect(decodePenReport(Uint8Array.of(0x34, 0x90, 0, 0, 0, 0, 0))).toMatchObject({ ok: false, error: 'too-short' });
  });

  it('round-trips the simulator encoder', () => {
    const sample = { inRange: true, touching: true, pressure: 700, x: 4321, y: 1234, time: 55, sequence: 9 };
    expect(decodePenReport(encodePenReport(sample))).toEqual({ ok: true, sample: { reportId: 0x34, ...sample } });
    const hover = { inRange: true, touching: false, pressure: 0, x: 1, y: 2 };
    expect(decodePenReport(encodePenReport(hover))).toEqual({ ok: true, sample: { reportId: 0x01, ...hover, time: null, sequence: null } });
  });
});

describe('Wacom STU feature reports', () => {
  const cap: StuCapability = { tabletMaxX: 9600, tabletMaxY: 5760, tabletMaxPressure: 1023, screenWidth: 800, screenHeight: 480, maxReportRate: 200 };

  it('decodes capability report 0x09 (big-endian u16 at 1, 3, 5, 7, 9; refresh at 11)', () => {
    const bytes = Uint8Array.of(0x09, 0x25, 0x80, 0x16, 0x80, 0x03, 0xff, 0x03, 0x20, 0x01, 0xe0, 200);
    expect(decodeCapability(bytes)).toEqual({ ok: true, value: cap });
    expect(decodeCapability(encodeCapability(cap))).toEqual({ ok: true, value: cap });
    expect(decodeCapability(Uint8Array.of(0x08, 0))).toEqual({ ok: false, error: 'wrong-report-id' });
  });

  it('decodes information report 0x08 (model name and firmware)', () => {
    const bytes = Uint8Array.of(0x08, ...Array.from('STU-540', (c) => c.charCodeAt(0)), 1, 2, 3, 4);
    expect(decodeInformation(bytes)).toEqual({ ok: true, value: { modelName: 'STU-540', firmware: '1.2.3.4' } });
    expect(decodeInformation(encodeInformation({ modelName: 'STU-430', firmware: '2.0.1.0' }))).toEqual({
      ok: true,
      value: { modelName: 'STU-430', firmware: '2.0.1.0' },
    });
  });

  it('scales tablet units to screen pixels per axis', () => {
    expect(tabletToScreen({ x: 4800, y: 2880 }, cap)).toEqual({ x: 400, y: 240 });
  });

  it('turns STU samples into strokes that end when the pen stops touching', () => {
    const samples = [
      { inRange: true, touching: false, pressure: 0, x: 0, y: 0 },
      { inRange: true, touching: true, pressure: 1023, x: 1200, y: 1200 },
      { inRange: true, touching: true, pressure: 512, x: 2400, y: 1200 },
      { inRange: true, touching: false, pressure: 0, x: 2400, y: 1300 },
      { inRange: true, touching: true, pressure: 300, x: 3600, y: 2400 },
    ].map((s, k) => {
      const r = decodePenReport(encodePenReport(s));
      if (!r.ok) throw new Error('bad sample');
      return stuSampleToPoint(r.sample, cap, k * 5);
    });
    const strokes = strokesFromSamples(samples);
    expect(strokes.map((s) => s.points.map((p) => [p.x, p.y, p.t]))).toEqual([
      [
        [100, 100, 5],
        [200, 100, 10],
      ],
      [[300, 200, 20]],
    ]);
    expect(strokes[0]?.points[0]?.pressure).toBe(1);
  });
});

describe('signotec STPadServer messages', () => {
  it('builds the requests the kiosk sends with signotec\'s command names', () => {
    expect(JSON.parse(serializeStPadRequest(StPad.searchForPads('USB')))).toEqual({
      TOKEN_TYPE: 'TOKEN_TYPE_REQUEST',
      TOKEN_CMD: 'TOKEN_CMD_SEARCH_FOR_PADS',
      TOKEN_PARAM_PAD_SUBSET: 'USB',
    });
    expect(StPad.openPad(0)).toEqual({ TOKEN_TYPE: 'TOKEN_TYPE_REQUEST', TOKEN_CMD: 'TOKEN_CMD_OPEN_PAD', TOKEN_PARAM_PAD_INDEX: 0 });
    expect(StPad.startSignature({ fieldName: 'Podpis člana', customText: 'Izjava' })).toMatchObject({
      TOKEN_CMD: 'TOKEN_CMD_SIGNATURE_START',
      TOKEN_PARAM_FIELD_NAME: 'Podpis člana',
      TOKEN_PARAM_CUSTOM_TEXT: 'Izjava',
    });
    expect(StPad.getSignatureImage()).toMatchObject({ TOKEN_CMD: 'TOKEN_CMD_SIGNATURE_IMAGE', TOKEN_PARAM_FILE_TYPE: 1 });
  });

  it('parses a search response into pad descriptions', () => {
    const msg = parseStPadMessage(
      JSON.stringify({
        TOKEN_TYPE: 'TOKEN_TYPE_RESPONSE',
        TOKEN_CMD_ORIGIN: 'TOKEN_CMD_SEARCH_FOR_PADS',
        TOKEN_PARAM_RETURN_CODE: '0',
        TOKEN_PARAM_CONNECTED_PADS: [
          { TOKEN_PARAM_PAD_INDEX: '0', TOKEN_PARAM_PAD_TYPE: '15', TOKEN_PARAM_PAD_SERIAL_NUMBER: '12345', TOKEN_PARAM_PAD_CONNECTION_TYPE: 'HID' },
        ],
      }),
    );
    expect(msg).toMatchObject({
      kind: 'response',
      ok: true,
      result: { type: 'padsFound', pads: [{ index: 0, type: 15, serialNumber: '12345', connectionType: 'HID', comPort: null }] },
    });
  });

  it('parses open-pad display sizes from flat keys and from TOKEN_PARAM_PAD_INFO', () => {
    const flat = StPadServerMessages.response('TOKEN_CMD_OPEN_PAD', 0, { TOKEN_PARAM_PAD_DISPLAY_WIDTH: '640', TOKEN_PARAM_PAD_DISPLAY_HEIGHT: '480' });
    const nested = StPadServerMessages.response('TOKEN_CMD_OPEN_PAD', 0, { TOKEN_PARAM_PAD_INFO: { displayWidth: 320, displayHeight: 160 } });
    expect(parseStPadMessage(JSON.stringify(flat))).toMatchObject({ result: { type: 'padOpened', pad: { displayWidth: 640, displayHeight: 480 } } });
    expect(parseStPadMessage(JSON.stringify(nested))).toMatchObject({ result: { type: 'padOpened', pad: { displayWidth: 320, displayHeight: 160 } } });
  });

  it('parses confirm (point count), image, sign data and failures', () => {
    const parse = (m: object): StPadMessage => parseStPadMessage(JSON.stringify(m));
    expect(parse(StPadServerMessages.response('TOKEN_CMD_SIGNATURE_CONFIRM', 152))).toMatchObject({
      ok: true,
      result: { type: 'signatureConfirmed', pointCount: 152 },
    });
    expect(parse(StPadServerMessages.response('TOKEN_CMD_SIGNATURE_IMAGE', 0, { TOKEN_PARAM_FILE: 'iVBORw0KGgo=' }))).toMatchObject({
      result: { type: 'signatureImage', fileBase64: 'iVBORw0KGgo=' },
    });
    expect(parse(StPadServerMessages.response('TOKEN_CMD_SIGNATURE_SIGN_DATA', 0, { TOKEN_PARAM_SIGNATURE_SIGN_DATA: 'AAEC' }))).toMatchObject({
      result: { type: 'signatureData', signData: 'AAEC', certId: null },
    });
    expect(parse(StPadServerMessages.error('TOKEN_CMD_OPEN_PAD', -3, 'pad not found'))).toEqual({
      kind: 'response',
      command: 'TOKEN_CMD_OPEN_PAD',
      ok: false,
      returnCode: -3,
      errorDescription: 'pad not found',
    });
  });

  it('parses pad events: points with string coordinates, buttons, disconnect, and the devices.md aliases', () => {
    expect(parseStPadMessage(JSON.stringify(StPadServerMessages.point(101, 57, 512)))).toEqual({
      kind: 'event',
      command: 'TOKEN_CMD_SIGNATURE_POINT',
      event: { type: 'signaturePoint', x: 101, y: 57, p: 512 },
    });
    expect(parseStPadMessage(JSON.stringify(StPadServerMessages.button('retry')))).toMatchObject({ event: { type: 'signatureRetry' } });
    expect(parseStPadMessage(JSON.stringify(StPadServerMessages.disconnect(0)))).toMatchObject({ event: { type: 'padDisconnected', padIndex: 0 } });
    const alias = { TOKEN_TYPE: 'TOKEN_TYPE_SEND', TOKEN_CMD: 'TOKEN_CMD_CONFIRM_SIGNATURE' };
    expect(parseStPadMessage(JSON.stringify(alias))).toMatchObject({ command: 'TOKEN_CMD_SIGNATURE_CONFIRM', event: { type: 'signatureConfirmed' } });
  });

  it('returns invalid input as data', () => {
    expect(parseStPadMessage('{not json')).toEqual({ kind: 'invalid', reason: 'not JSON' });
    expect(parseStPadMessage('[1,2]')).toMatchObject({ kind: 'invalid' });
    expect(parseStPadMessage(JSON.stringify({ TOKEN_TYPE: 'TOKEN_TYPE_SEND', TOKEN_CMD: 'TOKEN_CMD_SIGNATURE_POINT', TOKEN_PARAM_POINT: { x: 'a', y: '1', p: '1' } }))).toMatchObject({
      kind: 'invalid',
    });
    expect(parseStPadMessage(JSON.stringify({ TOKEN_TYPE: 'TOKEN_TYPE_RESPONSE', TOKEN_CMD_ORIGIN: 'TOKEN_CMD_OPEN_PAD' }))).toMatchObject({
      kind: 'invalid',
      reason: 'response without numeric TOKEN_PARAM_RETURN_CODE',
    });
  });
});

describe('tablet page text (<page>, <fontsize=nn>, %variables%)', () => {
  const template = [
    'Podatki o članu',
    'Ime in priimek: %ime% %priimek%',
    'Spol: %gender%',
    'E-pošta: %email%',
    'Oddelek: %oddelek knjižnice%',
    '<page>',
    '<fontsize=14>',
    'Izjava člana: s podpisom potrjujem,',
    'da bom spoštoval pravilnik (100 %% prebran).',
    '<fontsize=14>',
    'Hvala.',
  ].join('\r\n');

  it('splits pages, keeps the font-size passage, omits empty attributes and substitutes the rest', () => {
    const pages = renderTabletText(template, { ime: 'Ana', priimek: 'Novak', gender: '', 'Oddelek knjižnice': 'Bežigrad' });
    expect(pages).toEqual([
      { blocks: [{ fontSize: null, lines: ['Podatki o članu', 'Ime in priimek: Ana Novak', 'Oddelek: Bežigrad'] }] },
      {
        blocks: [
          { fontSize: 14, lines: ['Izjava člana: s podpisom potrjujem,', 'da bom spoštoval pravilnik (100 % prebran).'] },
          { fontSize: null, lines: ['Hvala.'] },
        ],
      },
    ]);
  });

  it('keeps a line when at least one of its variables has a value', () => {
    expect(substituteLine('Ime in priimek: %ime% %priimek%', { priimek: 'Novak' })).toBe('Ime in priimek:  Novak');
    expect(substituteLine('Ime in priimek: %ime% %priimek%', {})).toBeNull();
    expect(substituteLine('Brez spremenljivk', {})).toBe('Brez spremenljivk');
  });

  it('accepts inline markers and </fontsize>, and continues a passage across <page>', () => {
    const pages = renderTabletText('<fontsize=10>Prvi\n<page>\nDrugi</fontsize>Zadnji');
    expect(pages).toEqual([
      { blocks: [{ fontSize: 10, lines: ['Prvi'] }] },
      { blocks: [{ fontSize: 10, lines: ['Drugi'] }, { fontSize: null, lines: ['Zadnji'] }] },
    ]);
    expect(tabletPageText(pages[1] ?? { blocks: [] })).toBe('Drugi\n\nZadnji');
  });

  it('drops empty pages (a trailing <page>) and blank edge lines', () => {
    expect(renderTabletText('\nA\n\n<page>\n\n<page>\n')).toEqual([{ blocks: [{ fontSize: null, lines: ['A'] }] }]);
  });
});

describe('strokes and SVG', () => {
  it('splits strokes at pen-up and starts a new stroke after a lift', () => {
    const r = new StrokeRecorder();
    r.add({ x: 0, y: 0, pressure: 0.5, t: 0 });
    r.add({ x: 10, y: 0, pressure: 0.5, t: 5 });
    r.add({ x: 10, y: 5, pressure: 0, t: 10 }, false);
    r.add({ x: 20, y: 20, pressure: 0.7, t: 15 });
    expect(r.strokes.map((s) => s.points.length)).toEqual([2, 1]);
    expect(r.pointCount).toBe(3);
    r.clear();
    expect(r.strokes).toEqual([]);
  });

  it('follows signotec\'s convention: a point with p = 0 is where the next stroke starts', () => {
    const r = new StrokeRecorder();
    const pts = [
      { x: 5, y: 5, p: 0 },
      { x: 6, y: 6, p: 0 },
      { x: 7, y: 8, p: 512 },
      { x: 9, y: 9, p: 1024 },
      { x: 30, y: 5, p: 0 },
      { x: 31, y: 6, p: 256 },
    ];
    pts.forEach((p, k) => addSignotecPoint(r, p, k * 10));
    expect(r.strokes.map((s) => s.points.map((p) => [p.x, p.y, p.pressure]))).toEqual([
      [
        [6, 6, 0],
        [7, 8, 0.5],
        [9, 9, 1],
      ],
      [
        [30, 5, 0],
        [31, 6, 0.25],
      ],
    ]);
  });

  it('renders path data and an SVG with one subpath per stroke', () => {
    const strokes = [
      { points: [{ x: 1.234, y: 2, pressure: 1, t: 0 }, { x: 3, y: 4.5, pressure: 1, t: 1 }] },
      { points: [{ x: 10, y: 10, pressure: 1, t: 2 }] },
    ];
    expect(strokeToPathData(strokes[0]!)).toBe('M1.23 2 L3 4.5');
    expect(strokeToPathData(strokes[1]!)).toBe('M10 10 l0 0');
    const svg = renderSignatureSvg(strokes, { width: 100, height: 50, strokeWidth: 3 });
    expect(svg).toContain('viewBox="0 0 100 50"');
    expect(svg).toContain('<path d="M1.23 2 L3 4.5 M10 10 l0 0"');
    expect(svg).toContain('stroke-width="3"');
  });

  it('varies stroke width with pressure when asked', () => {
    const strokes = [
      {
        points: [
          { x: 0, y: 0, pressure: 0, t: 0 },
          { x: 1, y: 0, pressure: 0, t: 1 },
          { x: 2, y: 0, pressure: 1, t: 2 },
          { x: 3, y: 0, pressure: 1, t: 3 },
        ],
      },
    ];
    const svg = renderSignatureSvg(strokes, { pressureWidth: { min: 1, max: 5 } });
    expect(svg.match(/stroke-width="([\d.]+)"/g)).toEqual(['stroke-width="1"', 'stroke-width="3"', 'stroke-width="5"']);
  });
});
