import type { MessageKey } from '../i18n/en.ts';
import { lockerFailureCodes, type LockerFailureCode } from '../../protocols/kiosk-api/events.ts';
import { pickupRetryable, rowsFor } from '../machines/kiosk.machine.ts';
import { ItemList, NumberEntry, ScreenHeading, useKiosk } from './common.tsx';

export type PickupPhase = 'entry' | 'opening' | 'open' | 'failed';

function isLockerFailure(code: string): code is LockerFailureCode {
  return (lockerFailureCodes as readonly string[]).includes(code);
}

/**
 * Locker pickup (domain.md §8.3): the code from the notification on the keypad (or its QR on the
 * scanner), the door opening, then which compartment is open with the loans and their due dates.
 * Each refusal says what happened and what to do; a door that did not open says staff know.
 */
export function PickupView({ phase }: { phase: PickupPhase }) {
  const { ctx, send, i } = useKiosk();
  const backToMenu = !!ctx.patron;

  if (phase === 'opening') {
    return (
      <section className="screen pickup" data-phase="opening">
        <ScreenHeading>{i.t('pickup.title')}</ScreenHeading>
        <p role="status" className="message busy">
          <span className="spinner" aria-hidden="true" />
          {i.t('pickup.opening')}
        </p>
      </section>
    );
  }

  if (phase === 'open' && ctx.pickup) {
    const compartments = ctx.pickup.compartments;
    const rows = rowsFor(ctx, 'checkout');
    const rowsOf = (bank: string) => rows.filter((r) => r.ref.startsWith(`locker:${bank}:`));
    const one = compartments.length === 1 && compartments[0]!.opened !== false ? compartments[0] : undefined;
    return (
      <section className="screen pickup" data-phase="open">
        <ScreenHeading>{one ? i.t('pickup.openTitle', { number: one.number }) : i.t('pickup.title')}</ScreenHeading>
        {compartments.map((c) => {
          // Each compartment with its own outcome: a door that did not open says so above its items.
          const opened = c.opened !== false;
          return (
            <div key={`${c.bank}:${c.number}`} className="compartment" data-compartment={c.number} data-bank={c.bank} data-opened={opened ? 'true' : 'false'}>
              {!one && <h2 className="compartment-title">{i.t(opened ? 'pickup.openTitle' : 'pickup.notOpenTitle', { number: c.number })}</h2>}
              <p className="compartment-number" aria-hidden="true">
                {c.number}
              </p>
              <p className="lead">{i.t('pickup.where', { bank: c.bankName })}</p>
              {!opened && (
                <p className="message message-bad" role="alert">
                  {i.t('pickup.notOpenBody')}
                </p>
              )}
              <ItemList rows={rowsOf(c.bank).filter((r) => c.items.some((o) => o.barcode === r.barcode))} />
            </div>
          );
        })}
        <p className="lead">{i.t('pickup.closeDoor')}</p>
        <div className="nav-bar">
          {backToMenu && (
            <button type="button" className="btn btn-secondary" onClick={() => send({ type: 'back' })}>
              {i.t('nav.back')}
            </button>
          )}
          <button type="button" className="btn btn-primary" onClick={() => send({ type: 'finish' })}>
            {i.t('pickup.done')}
          </button>
        </div>
      </section>
    );
  }

  if (phase === 'failed') {
    const e = ctx.pickupError;
    const code = e && isLockerFailure(e.code) ? e.code : null;
    const title = code ? i.t(`pickup.fail.${code}.title` as MessageKey) : i.t('pickup.fail.generic.title');
    const body = code ? i.t(`pickup.fail.${code}.body` as MessageKey) : i.error(e);
    const compartment = typeof e?.details?.compartment === 'string' ? e.details.compartment : null;
    // The library system's own words on why the patron may not borrow (debt, expired card …).
    const why = code === 'patron_refused' && typeof e?.details?.message === 'string' ? e.details.message : null;
    return (
      <section className="screen pickup" data-phase="failed" data-error={e?.code ?? ''}>
        <ScreenHeading>{title}</ScreenHeading>
        <div className="message message-bad" role="alert">
          {/* The service's text for a refusal already ends with "please ask staff". */}
          <p>{why ?? body}</p>
          {compartment && <p data-compartment={compartment}>{i.t('pickup.compartment', { number: compartment })}</p>}
        </div>
        <div className="nav-bar">
          <button type="button" className="btn btn-secondary" onClick={() => send({ type: 'back' })}>
            {i.t('nav.back')}
          </button>
          {pickupRetryable(e) && (
            <button type="button" className="btn btn-primary" onClick={() => send({ type: 'pickup.retry' })}>
              {i.t('pickup.retry')}
            </button>
          )}
        </div>
      </section>
    );
  }

  return (
    <section className="screen pickup" data-phase="entry">
      <ScreenHeading focus={false}>{i.t('pickup.title')}</ScreenHeading>
      <p className="lead" id="pickup-help">
        {i.t('pickup.prompt')}
      </p>
      <NumberEntry
        key="pickup-code"
        id="pickup-code"
        label={i.t('pickup.code')}
        submitLabel={i.t('pickup.submit')}
        digitsOnly
        maxLength={12}
        describedBy="pickup-help"
        onSubmit={(v) => send({ type: 'pickup.submit', code: v })}
      />
      <div className="nav-bar">
        <button type="button" className="btn btn-secondary" onClick={() => send({ type: 'cancel' })}>
          {i.t('nav.cancel')}
        </button>
      </div>
    </section>
  );
}
