/**
 * The kiosk screen flow, as a patron meets it: the machine on XState's SimulatedClock, its daemon
 * link replaced by a recorder (commands out) and the test playing the daemon (facts and results in).
 */
import { describe, expect, it } from 'vitest';
import { emailAvailable, GOODBYE_MS, hasReceiptContent, readerOffline, rowsFor, waitingKits } from '../../../kiosk-ui/machines/kiosk.machine.ts';
import { card, item, kioskState, kit, login, outcome, pad, patron, startKiosk, uiConfig } from './fixtures.ts';

const screen = (k: ReturnType<typeof startKiosk>) => k.snap().value;

describe('start-up and out of order', () => {
  it('shows the attract screen once the daemon has sent its state', () => {
    const k = startKiosk({ state: null });
    expect(k.snap().matches('boot')).toBe(true);
    k.send({ type: 'daemon.state', state: kioskState() });
    expect(k.snap().matches('attract')).toBe(true);
  });

  it('is out of order while the library system is unreachable and offline mode is off, and recovers', () => {
    const k = startKiosk({ state: kioskState({ backend: { online: false, offline: false, detail: 'upstream unreachable' } }) });
    expect(k.snap().matches('outOfOrder')).toBe(true);
    k.send({ type: 'backend.changed', backend: { online: true, offline: false, detail: '' } });
    expect(k.snap().matches('attract')).toBe(true);
  });

  it('keeps serving in offline mode (upstream down, offline mode on)', () => {
    const k = startKiosk({ state: kioskState({ backend: { online: false, offline: true, detail: 'offline mode' } }) });
    expect(k.snap().matches('attract')).toBe(true);
  });

  it('goes out of order mid-session, ending the session and forgetting the patron', () => {
    const k = startKiosk();
    login(k);
    expect(k.snap().matches({ session: { flow: 'menu' } })).toBe(true);
    k.send({ type: 'backend.changed', backend: { online: false, offline: false, detail: 'down' } });
    expect(k.snap().matches('outOfOrder')).toBe(true);
    expect(k.ctx().patron).toBeNull();
    expect(k.last('end')).toBeDefined();
  });

  it('is out of order when the daemon itself is unreachable', () => {
    const k = startKiosk();
    k.send({ type: 'daemon.connection', connected: false });
    expect(k.snap().matches('outOfOrder')).toBe(true);
    k.send({ type: 'daemon.connection', connected: true });
    expect(k.snap().matches('attract')).toBe(true);
  });
});

describe('identify', () => {
  it('a card on the pad identifies, asks for the PIN when needed, and opens the menu in the patron\'s language', () => {
    const k = startKiosk();
    k.send({ type: 'pad.changed', pad: pad(card('0100001')) });
    expect(k.snap().matches({ session: { flow: { identify: 'checking' } } })).toBe(true);
    const first = k.last('identify')!;
    expect(first).toMatchObject({ identifier: '0100001', pin: null });
    k.send({ type: 'identify.result', seq: first.seq, result: { ok: true, data: { patron: null, needsPin: true } } });
    expect(k.snap().matches({ session: { flow: { identify: 'pin' } } })).toBe(true);
    k.send({ type: 'pin.submit', pin: '1234' });
    expect(k.last('identify')).toMatchObject({ identifier: '0100001', pin: '1234' });
    // The PIN is never kept in the machine's context.
    expect(JSON.stringify(k.ctx())).not.toContain('1234');
    k.send({ type: 'identify.result', seq: first.seq, result: { ok: true, data: { patron: patron(), needsPin: false } } });
    expect(k.snap().matches({ session: { flow: 'menu' } })).toBe(true);
    expect(k.ctx().patron?.displayName).toBe('Ana');
    expect(k.ctx().language).toBe('sl');
    expect(k.cues).toContain('success');
  });

  it('a language chosen on screen wins over the patron\'s own and is told to the daemon', () => {
    const k = startKiosk();
    k.send({ type: 'language.set', language: 'hu' });
    login(k, { language: 'sl' });
    expect(k.ctx().language).toBe('hu');
    expect(k.last('language')).toEqual({ type: 'language', language: 'hu' });
  });

  it('a typed card number that is not known says so and waits for another', () => {
    const k = startKiosk();
    k.send({ type: 'start.identify' });
    expect(k.snap().matches({ session: { flow: { identify: 'waiting' } } })).toBe(true);
    k.send({ type: 'identify.submit', identifier: ' 999 ' });
    const c = k.last('identify')!;
    expect(c.identifier).toBe('999');
    k.send({ type: 'identify.result', seq: c.seq, result: { ok: false, error: { code: 'unknown_patron', messageKey: 'reason.unknown_patron' } } });
    expect(k.snap().matches({ session: { flow: { identify: 'waiting' } } })).toBe(true);
    expect(k.ctx().identifyError?.code).toBe('unknown_patron');
    expect(k.cues).toEqual(['failure']);
  });

  it('a wrong PIN stays on the PIN screen with the reason', () => {
    const k = startKiosk();
    k.send({ type: 'scan.read', data: '0100001', symbology: 'code128' });
    const c = k.last('identify')!;
    k.send({ type: 'identify.result', seq: c.seq, result: { ok: true, data: { patron: null, needsPin: true } } });
    k.send({ type: 'pin.submit', pin: '0000' });
    k.send({ type: 'identify.result', seq: c.seq, result: { ok: false, error: { code: 'wrong_pin', messageKey: 'reason.wrong_pin' } } });
    expect(k.snap().matches({ session: { flow: { identify: 'pin' } } })).toBe(true);
    expect(k.ctx().identifyError?.code).toBe('wrong_pin');
  });

  it('cancel goes back to the attract screen', () => {
    const k = startKiosk();
    k.send({ type: 'start.identify' });
    k.send({ type: 'cancel' });
    expect(k.snap().matches('attract')).toBe(true);
  });
});

describe('borrow', () => {
  it('lends each item placed once, with its outcome, and a kit only when complete', () => {
    const k = startKiosk();
    login(k);
    k.send({ type: 'menu.borrow' });
    k.send({ type: 'pad.changed', pad: pad(item('B1'), kit([1, 2])) });
    expect(k.all('checkout').map((c) => c.barcode)).toEqual(['B1']);
    // The incomplete kit waits, naming what is missing.
    expect(waitingKits(k.ctx(), 'checkout').map((e) => e.kit?.missing)).toEqual([[{ partNumber: 3, barcode: 'K3', title: 'Wooden farm — fences' }]]);
    // The same pad again (a re-report) sends nothing new.
    k.send({ type: 'pad.changed', pad: pad(item('B1'), kit([1, 2])) });
    expect(k.all('checkout')).toHaveLength(1);
    k.send({ type: 'pad.changed', pad: pad(item('B1'), kit([1, 2, 3]), item('B2')) });
    expect(k.all('checkout').map((c) => [c.ref, c.barcode])).toEqual([
      ['B1', 'B1'],
      ['kit:FARM', 'K1'],
      ['B2', 'B2'],
    ]);
    expect(waitingKits(k.ctx(), 'checkout')).toEqual([]);
    const seq = k.ctx().seq;
    k.send({ type: 'checkout.result', seq, ref: 'B1', result: { ok: true, data: outcome('B1') } });
    k.send({ type: 'checkout.result', seq, ref: 'kit:FARM', result: { ok: true, data: outcome('K1', { title: 'Wooden farm' }) } });
    k.send({
      type: 'checkout.result',
      seq,
      ref: 'B2',
      result: { ok: true, data: outcome('B2', { status: 'refused', reason: 'ask_staff', dueDate: null }) },
    });
    expect(rowsFor(k.ctx(), 'checkout').map((r) => [r.ref, r.status, r.outcome?.dueDate ?? null])).toEqual([
      ['B1', 'done', '2026-03-23'],
      ['kit:FARM', 'done', '2026-03-23'],
      ['B2', 'refused', null],
    ]);
    expect(k.cues.slice(-3)).toEqual(['success', 'success', 'failure']);
  });

  it('items already on the pad when the borrow screen opens are lent at once', () => {
    const k = startKiosk();
    login(k);
    k.send({ type: 'pad.changed', pad: pad(item('B5')) });
    expect(k.all('checkout')).toEqual([]);
    k.send({ type: 'menu.borrow' });
    expect(k.all('checkout').map((c) => c.barcode)).toEqual(['B5']);
  });

  it('takes typed and scanned barcodes when the reader is offline', () => {
    const k = startKiosk();
    login(k);
    k.send({ type: 'menu.borrow' });
    k.send({ type: 'device.state', device: { id: 'pad', kind: 'rfid', model: '3m810', state: 'offline', reason: 'unplugged' } });
    expect(readerOffline(k.ctx())).toBe(true);
    k.send({ type: 'barcode.submit', barcode: 'B3' });
    k.send({ type: 'scan.read', data: 'B4', symbology: null });
    k.send({ type: 'scan.read', data: 'B4', symbology: null });
    expect(k.all('checkout').map((c) => c.barcode)).toEqual(['B3', 'B4']);
  });
});

describe('return', () => {
  it('is reachable from the attract screen without logging in, and says where each item goes', () => {
    const k = startKiosk();
    k.send({ type: 'start.return' });
    expect(k.snap().matches({ session: { flow: 'return' } })).toBe(true);
    expect(k.ctx().patron).toBeNull();
    k.send({ type: 'pad.changed', pad: pad(item('B2'), kit([1])) });
    expect(k.all('checkin').map((c) => c.barcode)).toEqual(['B2']);
    expect(waitingKits(k.ctx(), 'checkin')).toHaveLength(1);
    const routing = { destination: 'hold_shelf' as const, department: '01', pickupPlace: '01-DESK', forPatronName: 'Horvat, M.' };
    k.send({ type: 'checkin.result', seq: k.ctx().seq, ref: 'B2', result: { ok: true, data: outcome('B2', { dueDate: null, routing }) } });
    expect(rowsFor(k.ctx(), 'checkin')[0]?.outcome?.routing).toEqual(routing);
    expect(hasReceiptContent(k.ctx())).toBe(true);
    k.send({ type: 'back' });
    expect(k.snap().matches('attract')).toBe(true);
  });
});

describe('renew and account', () => {
  const loans = [
    { barcode: 'B1', title: 'Alamut', dueDate: '2026-03-10', overdue: false, renewals: 0, status: 'C' },
    { barcode: 'B2', title: 'Na klancu', dueDate: '2026-03-12', overdue: false, renewals: 0, status: 'C' },
  ];
  const account = { loans, holds: [], fees: [], balance: 0, currency: 'EUR' };

  it('lists the loans, renews the selected ones and gives each refusal its reason', () => {
    const k = startKiosk();
    login(k);
    k.send({ type: 'menu.renew' });
    const seq = k.last('account')!.seq;
    k.send({ type: 'account.result', seq, result: { ok: true, data: account } });
    expect(k.snap().matches({ session: { flow: { renew: 'ready' } } })).toBe(true);
    k.send({ type: 'renew.selected' }); // nothing selected: nothing happens
    expect(k.all('renew')).toEqual([]);
    k.send({ type: 'renew.toggle', barcode: 'B1' });
    k.send({ type: 'renew.toggle', barcode: 'B2' });
    k.send({ type: 'renew.selected' });
    expect(k.last('renew')?.barcodes).toEqual(['B1', 'B2']);
    k.send({
      type: 'renew.result',
      seq,
      result: { ok: true, data: [outcome('B1', { dueDate: '2026-03-31' }), outcome('B2', { status: 'refused', reason: 'renewal_reserved', dueDate: null })] },
    });
    expect(k.ctx().loans?.map((l) => l.dueDate)).toEqual(['2026-03-31', '2026-03-12']);
    expect(k.ctx().renewResults.map((o) => [o.barcode, o.status, o.reason])).toEqual([
      ['B1', 'done', null],
      ['B2', 'refused', 'renewal_reserved'],
    ]);
    k.send({ type: 'renew.all' });
    expect(k.last('renew')?.barcodes).toBe('all');
  });

  it('shows the account (loans, holds, fees)', () => {
    const k = startKiosk();
    login(k);
    k.send({ type: 'menu.account' });
    k.send({ type: 'account.result', seq: k.ctx().seq, result: { ok: true, data: account } });
    expect(k.snap().matches({ session: { flow: { account: 'ready' } } })).toBe(true);
    expect(k.ctx().account?.loans).toHaveLength(2);
  });
});

describe('receipt and goodbye', () => {
  it('offers a receipt when something was done, prints it, says goodbye and returns to attract', () => {
    const k = startKiosk();
    login(k);
    k.send({ type: 'menu.borrow' });
    k.send({ type: 'pad.changed', pad: pad(item('B1')) });
    k.send({ type: 'checkout.result', seq: k.ctx().seq, ref: 'B1', result: { ok: true, data: outcome('B1') } });
    k.send({ type: 'finish' });
    expect(k.snap().matches({ session: { flow: { receipt: 'choosing' } } })).toBe(true);
    k.send({ type: 'receipt.choose', kind: 'print' });
    expect(k.last('receipt')?.kind).toBe('print');
    k.send({ type: 'receipt.result', seq: k.ctx().seq, result: { ok: true, data: { printed: true, emailed: false, reprintPending: false } } });
    expect(k.snap().matches({ session: { flow: 'goodbye' } })).toBe(true);
    expect(k.ctx().receiptDone).toEqual({ kind: 'print', printed: true, emailed: false });
    // The daemon's session ends as the goodbye shows (a reload now starts afresh); the name stays for the thank-you.
    expect(k.last('end')).toBeDefined();
    expect(k.ctx().patron).not.toBeNull();
    k.clock.increment(GOODBYE_MS);
    expect(k.snap().matches('attract')).toBe(true);
    expect(k.last('end')).toBeDefined();
  });

  it('a failed print goes back to the choice with the reason', () => {
    const k = startKiosk();
    login(k);
    k.send({ type: 'menu.borrow' });
    k.send({ type: 'pad.changed', pad: pad(item('B1')) });
    k.send({ type: 'checkout.result', seq: k.ctx().seq, ref: 'B1', result: { ok: true, data: outcome('B1') } });
    k.send({ type: 'finish' });
    k.send({ type: 'receipt.choose', kind: 'print' });
    k.send({ type: 'receipt.result', seq: k.ctx().seq, result: { ok: false, error: { code: 'printer_paper_out', messageKey: 'printer.paper_out' } } });
    expect(k.snap().matches({ session: { flow: { receipt: 'choosing' } } })).toBe(true);
    expect(k.ctx().receiptError?.code).toBe('printer_paper_out');
  });

  it('e-mail is offered only when the station can send it (SMTP) and the patron has an address', () => {
    const withSmtp = kioskState({ config: { ...uiConfig, emailReceipts: true } });
    const a = startKiosk({ state: withSmtp });
    login(a);
    expect(emailAvailable(a.ctx())).toBe(true);
    const b = startKiosk({ state: withSmtp });
    login(b, { hasEmail: false });
    expect(emailAvailable(b.ctx())).toBe(false);
    // No SMTP at this station: a patron with an address is not offered a button that can only fail.
    const c = startKiosk();
    login(c);
    expect(c.ctx().patron?.hasEmail).toBe(true);
    expect(emailAvailable(c.ctx())).toBe(false);
  });

  it('nothing done: finishing skips the receipt', () => {
    const k = startKiosk();
    login(k);
    k.send({ type: 'finish' });
    expect(k.snap().matches({ session: { flow: 'goodbye' } })).toBe(true);
  });
});

describe('idle timeout', () => {
  it('warns after idleTimeoutS with a countdown of warningS, then ends the session', () => {
    const k = startKiosk();
    login(k);
    k.advanceS(59);
    expect(k.ctx().warningRemainingS).toBeNull();
    k.advanceS(1);
    expect(k.snap().matches({ session: { idle: 'warning' } })).toBe(true);
    expect(k.ctx().warningRemainingS).toBe(15);
    expect(k.cues).toContain('warning');
    k.advanceS(5);
    expect(k.ctx().warningRemainingS).toBe(10);
    k.advanceS(9);
    expect(k.ctx().warningRemainingS).toBe(1);
    expect(k.snap().matches('session')).toBe(true);
    k.advanceS(1);
    expect(k.snap().matches('attract')).toBe(true);
    expect(k.ctx().patron).toBeNull();
    expect(k.ctx().warningRemainingS).toBeNull();
    expect(k.last('end')).toBeDefined();
  });

  it('any patron activity resets the timer, also during the warning', () => {
    const k = startKiosk();
    login(k);
    k.advanceS(50);
    k.send({ type: 'activity' });
    k.advanceS(50);
    expect(k.ctx().warningRemainingS).toBeNull();
    k.advanceS(10);
    expect(k.ctx().warningRemainingS).toBe(15);
    k.advanceS(3);
    k.send({ type: 'idle.continue' });
    expect(k.ctx().warningRemainingS).toBeNull();
    expect(k.snap().matches({ session: { idle: 'active' } })).toBe(true);
    k.advanceS(59);
    expect(k.snap().matches({ session: { flow: 'menu' } })).toBe(true);
  });

  it('the timer dies with the session: the next patron gets a full timeout and none of the last one\'s data', () => {
    const k = startKiosk();
    login(k, { displayName: 'Ana' });
    k.send({ type: 'menu.borrow' });
    k.send({ type: 'pad.changed', pad: pad(item('B1')) });
    const oldSeq = k.ctx().seq;
    k.send({ type: 'pad.changed', pad: pad() });
    k.send({ type: 'activity' });
    k.advanceS(60); // warning shows for Ana
    expect(k.ctx().warningRemainingS).toBe(15);
    k.send({ type: 'finish' });
    k.send({ type: 'goodbye.done' });
    expect(k.snap().matches('attract')).toBe(true);
    // The next patron.
    login(k, { displayName: 'Marko' });
    expect(k.ctx().warningRemainingS).toBeNull();
    expect(k.ctx().rows).toEqual([]);
    // A late reply to Ana's checkout does not reach Marko's screen.
    k.send({ type: 'checkout.result', seq: oldSeq, ref: 'B1', result: { ok: true, data: outcome('B1') } });
    expect(k.ctx().rows).toEqual([]);
    k.advanceS(59);
    expect(k.ctx().warningRemainingS).toBeNull();
    expect(k.ctx().patron?.displayName).toBe('Marko');
  });

  it('removing every item and walking away ends the session sooner', () => {
    const k = startKiosk();
    login(k);
    k.send({ type: 'menu.borrow' });
    k.send({ type: 'pad.changed', pad: pad(item('B1')) });
    k.send({ type: 'checkout.result', seq: k.ctx().seq, ref: 'B1', result: { ok: true, data: outcome('B1') } });
    k.send({ type: 'pad.changed', pad: pad() });
    k.advanceS(15);
    expect(k.ctx().warningRemainingS).toBe(15);
    k.advanceS(15);
    expect(k.snap().matches('attract')).toBe(true);
  });

  it('an accessibility or language choice on the attract screen is undone after the idle time', () => {
    const k = startKiosk();
    k.send({ type: 'prefs.toggle', pref: 'highContrast' });
    k.send({ type: 'language.set', language: 'lv' });
    expect(k.ctx().prefs.highContrast).toBe(true);
    k.advanceS(60);
    expect(k.ctx().prefs.highContrast).toBe(false);
    expect(k.ctx().language).toBe('en');
  });
});

describe('after a reload', () => {
  it('a daemon session with a patron resumes on the menu', () => {
    const k = startKiosk({ state: kioskState({ session: { id: 's1', patron: patron(), outcomes: [], language: 'sl' } }) });
    expect(k.snap().matches({ session: { flow: 'menu' } })).toBe(true);
    expect(k.ctx().patron?.displayName).toBe('Ana');
    expect(screen(k)).toMatchObject({ session: { idle: 'active' } });
  });
});

describe('a card left on the pad', () => {
  it('does not start a new session when something else on the pad changes', () => {
    const k = startKiosk();
    login(k);
    k.send({ type: 'finish' });
    k.send({ type: 'goodbye.done' });
    expect(k.snap().matches('attract')).toBe(true);
    const identifies = k.all('identify').length;
    k.send({ type: 'pad.changed', pad: pad(card('0100001'), item('B1')) });
    expect(k.snap().matches('attract')).toBe(true);
    expect(k.all('identify')).toHaveLength(identifies);
    // Taken off and put back: that is a patron starting again.
    k.send({ type: 'pad.changed', pad: pad(item('B1')) });
    k.send({ type: 'pad.changed', pad: pad(item('B1'), card('0100002')) });
    expect(k.last('identify')?.identifier).toBe('0100002');
  });
});

describe('display and language during a session', () => {
  it('language and display choices apply mid-session, and are undone when it ends', () => {
    const k = startKiosk();
    login(k, { language: 'sl' });
    k.send({ type: 'language.set', language: 'en' });
    k.send({ type: 'prefs.toggle', pref: 'largeText' });
    k.send({ type: 'prefs.toggle', pref: 'muted' });
    expect(k.ctx().language).toBe('en');
    expect(k.ctx().prefs).toEqual({ highContrast: false, largeText: true, muted: true });
    expect(k.last('language')).toEqual({ type: 'language', language: 'en' });
    k.send({ type: 'finish' });
    k.send({ type: 'goodbye.done' });
    expect(k.ctx().language).toBe('en');
    expect(k.ctx().languageChosen).toBe(false);
    expect(k.ctx().prefs).toEqual({ highContrast: false, largeText: false, muted: false });
  });
});
