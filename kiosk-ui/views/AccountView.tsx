import type { AccountView as Account } from '../../protocols/kiosk-api/events.ts';
import type { I18n } from '../i18n/index.ts';
import { NavBar, ScreenHeading, useKiosk } from './common.tsx';

function holdText(i: I18n, h: Account['holds'][number]): string {
  const place = h.pickupPlace ?? '';
  if (h.status === 'W') return h.expiresOn ? i.t('hold.readyUntil', { place, date: i.date(h.expiresOn) }) : i.t('hold.ready', { place });
  if (h.status === 'O') return i.t('hold.transit', { place });
  return h.queuePosition ? i.t('hold.waiting', { n: h.queuePosition }) : i.t('hold.waitingNoPos');
}

/** Loans, holds (ready ones first, with where to pick them up) and fees. */
export function AccountView({ phase }: { phase: 'loading' | 'ready' | 'failed' }) {
  const { ctx, send, i } = useKiosk();
  const a = ctx.account;
  const holds = a ? [...a.holds].sort((x, y) => Number(y.status === 'W') - Number(x.status === 'W')) : [];
  return (
    <section className="screen account">
      <ScreenHeading>{i.t('account.title')}</ScreenHeading>
      {phase === 'loading' && <p role="status">{i.t('account.loading')}</p>}
      {phase === 'failed' && (
        <div className="message message-bad" role="alert">
          <p>{i.t('account.failed')}</p>
          {ctx.accountError && <p>{i.error(ctx.accountError)}</p>}
          <button type="button" className="btn btn-secondary" onClick={() => send({ type: 'account.retry' })}>
            {i.t('account.retry')}
          </button>
        </div>
      )}
      {phase === 'ready' && a && (
        <div className="account-grid">
          <section aria-labelledby="acc-loans">
            <h2 id="acc-loans">{i.t('account.loans')}</h2>
            {a.loans.length === 0 ? (
              <p className="empty">{i.t('account.noLoans')}</p>
            ) : (
              <ul className="plain-list">
                {a.loans.map((l) => (
                  <li key={l.barcode} data-barcode={l.barcode}>
                    <span className="item-title">{l.title}</span>
                    {l.parts && <span className="item-detail">{i.t('kit.set', { n: l.parts })}</span>}
                    <span className={l.overdue ? 'item-status overdue' : 'item-status'}>
                      {l.overdue ? i.t('renew.overdue', { date: i.date(l.dueDate) }) : i.t('renew.due', { date: i.date(l.dueDate) })}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="acc-holds">
            <h2 id="acc-holds">{i.t('account.holds')}</h2>
            {holds.length === 0 ? (
              <p className="empty">{i.t('account.noHolds')}</p>
            ) : (
              <ul className="plain-list">
                {holds.map((h, n) => (
                  <li key={n} className={h.status === 'W' ? 'hold-ready' : ''}>
                    <span className="item-title">{h.title}</span>
                    <span className="item-status">{holdText(i, h)}</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="acc-fees">
            <h2 id="acc-fees">{i.t('account.fees')}</h2>
            {a.fees.length === 0 ? (
              <p className="empty">{i.t('account.noFees')}</p>
            ) : (
              <>
                <ul className="plain-list">
                  {a.fees.map((f, n) => (
                    <li key={n}>
                      <span className="item-title">{feeText(i, f)}</span>
                      <span className="item-status">{i.money(f.remaining, f.currency)}</span>
                    </li>
                  ))}
                </ul>
                <p className="balance">{i.t('account.balance', { amount: i.money(a.balance, a.currency) })}</p>
              </>
            )}
          </section>
        </div>
      )}
      <NavBar back finish />
    </section>
  );
}

/** A fee in the patron's language: its kind and the item's title; the backend's own text when the kind has no wording here. */
function feeText(i: ReturnType<typeof useKiosk>['i'], f: { kind: string; itemTitle: string | null; description: string }): string {
  const key = `fee.${f.kind}`;
  const label = i.has(key) ? i.t(key) : null;
  if (!label) return f.description;
  return f.itemTitle ? `${label}: ${f.itemTitle}` : label;
}
