/**
 * Pieces every screen uses: the kiosk context (machine context, send, translations), the heading
 * that takes focus when a screen opens, the on-screen number pad, barcode entry, item rows.
 */
import { createContext, useContext, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { ItemOutcome, KitView, PadEntry } from '../../protocols/kiosk-api/events.ts';
import type { ReasonCode } from '../../protocols/kiosk-api/reasons.ts';
import type { I18n } from '../i18n/index.ts';
import type { ItemMode, ItemRow, KioskContext, KioskEvent } from '../machines/kiosk.machine.ts';

export interface KioskView {
  ctx: KioskContext;
  send: (e: KioskEvent) => void;
  i: I18n;
}

export const KioskViewContext = createContext<KioskView | null>(null);

export function useKiosk(): KioskView {
  const v = useContext(KioskViewContext);
  if (!v) throw new Error('useKiosk outside KioskViewContext');
  return v;
}

/** The screen's title; it takes focus when the screen opens so keyboard and screen-reader users land there. */
export function ScreenHeading({ children, focus = true }: { children: ReactNode; focus?: boolean }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focus) ref.current?.focus({ preventScroll: true });
  }, [focus]);
  return (
    <h1 ref={ref} tabIndex={-1} className="screen-title">
      {children}
    </h1>
  );
}

export function NavBar({ back, finish }: { back?: boolean; finish?: boolean }) {
  const { send, i } = useKiosk();
  return (
    <div className="nav-bar">
      {back && (
        <button type="button" className="btn btn-secondary" onClick={() => send({ type: 'back' })}>
          {i.t('nav.back')}
        </button>
      )}
      {finish && (
        <button type="button" className="btn btn-primary" onClick={() => send({ type: 'finish' })}>
          {i.t('nav.finish')}
        </button>
      )}
    </div>
  );
}

/** A number field with a large on-screen pad (touch) that also takes a keyboard or a wedge scanner. */
export function NumberEntry(props: {
  id: string;
  label: string;
  submitLabel: string;
  secret?: boolean;
  maxLength?: number;
  onSubmit: (value: string) => void;
  disabled?: boolean;
  describedBy?: string;
  digitsOnly?: boolean;
}) {
  const { i } = useKiosk();
  const [value, setValue] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    const v = value.trim();
    if (!v || props.disabled) return;
    props.onSubmit(v);
    setValue('');
  };
  const press = (d: string) => {
    setValue((v) => (v.length >= (props.maxLength ?? 32) ? v : v + d));
    input.current?.focus({ preventScroll: true });
  };
  return (
    <form className="number-entry" onSubmit={submit}>
      <label htmlFor={props.id} className="field-label">
        {props.label}
      </label>
      <div className="field-row">
        <input
          ref={input}
          id={props.id}
          className="field"
          type={props.secret ? 'password' : 'text'}
          inputMode={props.digitsOnly ? 'numeric' : 'text'}
          autoComplete="off"
          autoCorrect="off"
          spellCheck={false}
          maxLength={props.maxLength ?? 32}
          value={value}
          aria-describedby={props.describedBy}
          onChange={(e) => setValue(props.digitsOnly ? e.target.value.replace(/\D/g, '') : e.target.value)}
          disabled={props.disabled}
          autoFocus
        />
        <button type="submit" className="btn btn-primary" disabled={props.disabled || value.trim() === ''}>
          {props.submitLabel}
        </button>
      </div>
      <div className="keypad" role="group" aria-label={i.t('keypad.label')}>
        {['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => (
          <button key={d} type="button" className="key" onClick={() => press(d)} disabled={props.disabled}>
            {d}
          </button>
        ))}
        <button type="button" className="key key-wide" onClick={() => setValue('')} disabled={props.disabled}>
          {i.t('keypad.clear')}
        </button>
        <button type="button" className="key" onClick={() => press('0')} disabled={props.disabled}>
          0
        </button>
        <button type="button" className="key key-wide" onClick={() => setValue((v) => v.slice(0, -1))} disabled={props.disabled}>
          {i.t('keypad.delete')}
        </button>
      </div>
    </form>
  );
}

/** Barcode entry: the fallback when the RFID reader is offline. */
export function BarcodeEntry() {
  const { send, i } = useKiosk();
  const [value, setValue] = useState('');
  return (
    <form
      className="barcode-entry"
      onSubmit={(e) => {
        e.preventDefault();
        const v = value.trim();
        if (!v) return;
        send({ type: 'barcode.submit', barcode: v });
        setValue('');
      }}
    >
      <label htmlFor="barcode" className="field-label">
        {i.t('barcode.label')}
      </label>
      <div className="field-row">
        <input id="barcode" className="field" type="text" autoComplete="off" spellCheck={false} value={value} onChange={(e) => setValue(e.target.value)} autoFocus />
        <button type="submit" className="btn btn-primary" disabled={value.trim() === ''}>
          {i.t('barcode.submit')}
        </button>
      </div>
    </form>
  );
}

/** Refusals whose own text does not already send the patron to staff. */
const staffToo: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  'item_not_loanable',
  'item_held',
  'item_reserved',
  'kit_incomplete',
  'offline_unconfirmed_return',
  'return_elsewhere_not_allowed',
  'not_your_loan',
  'fee_not_acknowledged',
  'invalid_request',
  'backend_unavailable',
]);

export function routeText(i: I18n, o: ItemOutcome): string | null {
  const r = o.routing;
  if (!r) return null;
  switch (r.destination) {
    case 'hold_shelf':
      return r.pickupPlace ? i.t('route.hold_shelf_at', { place: r.pickupPlace }) : i.t('route.hold_shelf');
    case 'other_department':
      return i.t('route.other_department', { department: r.department ?? '' });
    default:
      return i.t(`route.${r.destination}`);
  }
}

/** The status line(s) of one item: what happened, why not, where it goes. */
export function outcomeLines(i: I18n, row: ItemRow): { headline: string; detail: string[]; tone: 'ok' | 'bad' | 'warn' | 'busy' } {
  if (row.status === 'pending') return { headline: i.t('item.pending'), detail: [], tone: 'busy' };
  if (row.status === 'error' || !row.outcome) return { headline: row.mode === 'checkout' ? i.t('item.notBorrowed') : i.t('item.notReturned'), detail: [i.error(row.error)], tone: 'bad' };
  const o = row.outcome;
  const detail: string[] = [];
  const route = routeText(i, o);
  if (o.status === 'done') {
    if (row.mode === 'checkin' && route) detail.push(route);
    if (o.fine) detail.push(i.t('item.fine', { amount: i.money(o.fine.amount, o.fine.currency) }));
    return { headline: row.mode === 'checkout' ? i.t('item.borrowed', { date: i.date(o.dueDate) }) : i.t('item.returned'), detail, tone: 'ok' };
  }
  if (o.status === 'security_failed') {
    if (row.mode === 'checkout' && o.dueDate) detail.push(i.t('item.borrowed', { date: i.date(o.dueDate) }));
    return { headline: row.mode === 'checkout' ? i.t('item.securityFailed') : i.t('item.securityFailedReturn'), detail, tone: 'warn' };
  }
  if (o.reason) detail.push(i.reason(o.reason, o.details));
  else if (o.messageKey === 'locker.item_not_lent') detail.push(typeof o.details.message === 'string' && o.details.message ? o.details.message : i.t('locker.item_not_lent'));
  if (o.reason && staffToo.has(o.reason)) detail.push(i.t('item.askStaff'));
  if (route && !(o.reason && staffToo.has(o.reason) && o.routing?.destination === 'staff')) detail.push(route);
  return { headline: row.mode === 'checkout' ? i.t('item.notBorrowed') : i.t('item.notReturned'), detail, tone: 'bad' };
}

/** "Alamut (3 CD) — CD 1" under the kit "Alamut (3 CD)" → "CD 1". */
function partLabel(unit: string, kit: string): string {
  return kit && unit.startsWith(`${kit} — `) ? unit.slice(kit.length + 3) : unit;
}

const marks = { ok: '✓', bad: '✕', warn: '!', busy: '…' } as const;

export function ItemList({ rows }: { rows: ItemRow[] }) {
  const { i } = useKiosk();
  if (rows.length === 0) return null;
  return (
    <ul className="item-list" aria-label={i.t('items.label')}>
      {rows.map((row) => {
        const l = outcomeLines(i, row);
        const units = row.outcome?.units ?? [];
        return (
          <li key={`${row.mode}:${row.ref}`} className={`item item-${l.tone}`} data-ref={row.ref} data-barcode={row.barcode} data-status={row.status}>
            <span className="item-mark" aria-hidden="true">
              {marks[l.tone]}
            </span>
            <div className="item-body">
              <div className="item-title">{row.outcome?.title || row.title || row.barcode}</div>
              <div className="item-status">{l.headline}</div>
              {l.detail.map((d, n) => (
                <div key={n} className="item-detail">
                  {d}
                </div>
              ))}
              {units.length > 1 && (
                <div className="item-parts">
                  {i.t('item.parts', { count: units.length })}
                  {units.some((u) => u.title) ? `: ${units.map((u) => partLabel(u.title, row.outcome?.title ?? '')).filter(Boolean).join(', ')}` : ''}
                </div>
              )}
            </div>
          </li>
        );
      })}
    </ul>
  );
}

export function missingPartLines(i: I18n, kit: KitView): string[] {
  return kit.missing.map((m) => i.t('kit.part', { n: m.partNumber, total: kit.partsTotal, title: m.title }));
}

/** Kits on the pad that wait for a part: what is missing, by part number and title. */
export function WaitingKits({ entries, mode }: { entries: PadEntry[]; mode: ItemMode }) {
  const { i } = useKiosk();
  if (entries.length === 0) return null;
  return (
    <ul className="kit-list">
      {entries.map((e) =>
        e.kit ? (
          <li key={e.key} className="kit-waiting" data-kit={e.kit.code}>
            <div className="item-title">{e.kit.title}</div>
            <div className="item-status">{e.kit.missing.length > 1 ? i.t('kit.waitingMany') : i.t('kit.waiting')}</div>
            <ul className="missing-parts">
              {missingPartLines(i, e.kit).map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
            {mode === 'checkin' && <div className="item-detail">{i.t('kit.returnStaff')}</div>}
          </li>
        ) : null,
      )}
    </ul>
  );
}
