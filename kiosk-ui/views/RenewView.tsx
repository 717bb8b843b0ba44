import { NavBar, ScreenHeading, useKiosk } from './common.tsx';

/** The patron's loans with due dates; renew selected or all; each refusal with its reason. */
export function RenewView({ phase }: { phase: 'loading' | 'ready' | 'renewing' | 'failed' }) {
  const { ctx, send, i } = useKiosk();
  const loans = ctx.loans ?? [];
  const results = new Map(ctx.renewResults.map((o) => [o.barcode, o]));
  const busy = phase === 'renewing';
  return (
    <section className="screen renew">
      <ScreenHeading>{i.t('renew.title')}</ScreenHeading>
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
      {(phase === 'ready' || phase === 'renewing') && (
        <>
          {loans.length === 0 ? (
            <p className="empty">{i.t('renew.none')}</p>
          ) : (
            <>
              <p className="lead">{i.t('renew.prompt')}</p>
              <ul className="loan-list">
                {loans.map((l) => {
                  const r = results.get(l.barcode);
                  const id = `renew-${l.barcode}`;
                  const tone = r ? (r.status === 'done' ? 'ok' : 'bad') : 'none';
                  return (
                    <li key={l.barcode} className={`loan loan-${tone}`} data-barcode={l.barcode} data-status={r?.status ?? ''}>
                      <input
                        id={id}
                        type="checkbox"
                        className="check"
                        checked={ctx.renewSelection.includes(l.barcode)}
                        disabled={busy}
                        onChange={() => send({ type: 'renew.toggle', barcode: l.barcode })}
                      />
                      <label htmlFor={id} className="loan-body">
                        <span className="item-title">{l.title}</span>
                        {l.parts && <span className="item-detail">{i.t('kit.set', { n: l.parts })}</span>}
                        {r && r.status === 'done' ? (
                          <span className="item-status result-ok">{i.t('renew.renewed', { date: i.date(r.dueDate) })}</span>
                        ) : (
                          <span className={l.overdue ? 'item-status overdue' : 'item-status'}>
                            {l.overdue ? i.t('renew.overdue', { date: i.date(l.dueDate) }) : i.t('renew.due', { date: i.date(l.dueDate) })}
                          </span>
                        )}
                        {r && r.status !== 'done' && (
                          <span className="item-detail result-bad">
                            {i.t('renew.notRenewed')}
                            {r.reason ? `: ${i.reason(r.reason, r.details)}` : ''}
                          </span>
                        )}
                      </label>
                    </li>
                  );
                })}
              </ul>
              <div className="action-row">
                <button type="button" className="btn btn-primary" disabled={busy || ctx.renewSelection.length === 0} onClick={() => send({ type: 'renew.selected' })}>
                  {i.t('renew.selected')}
                </button>
                <button type="button" className="btn btn-primary" disabled={busy} onClick={() => send({ type: 'renew.all' })}>
                  {i.t('renew.all')}
                </button>
              </div>
              {busy && <p role="status">{i.t('renew.busy')}</p>}
            </>
          )}
        </>
      )}
      <NavBar back finish />
    </section>
  );
}
