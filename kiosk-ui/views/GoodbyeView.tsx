import { ScreenHeading, useKiosk } from './common.tsx';

/** What was done, the receipt, a reminder; back to the attract screen after a few seconds. */
export function GoodbyeView() {
  const { ctx, send, i } = useKiosk();
  const count = (mode: 'checkout' | 'checkin') => ctx.rows.filter((r) => r.mode === mode && (r.status === 'done' || r.status === 'security_failed')).length;
  const borrowed = count('checkout');
  const returned = count('checkin');
  const renewed = ctx.renewResults.filter((o) => o.status === 'done').length;
  const name = ctx.patron?.displayName ?? ctx.pickup?.patron?.displayName;
  return (
    <section className="screen goodbye">
      <ScreenHeading>{name ? i.t('goodbye.title', { name }) : i.t('goodbye.titleAnon')}</ScreenHeading>
      <ul className="summary">
        {borrowed > 0 && <li>{i.t('goodbye.borrowed', { n: borrowed })}</li>}
        {returned > 0 && <li>{i.t('goodbye.returned', { n: returned })}</li>}
        {renewed > 0 && <li>{i.t('goodbye.renewed', { n: renewed })}</li>}
      </ul>
      {ctx.receiptDone?.printed && <p className="lead">{i.t('goodbye.printed')}</p>}
      {ctx.receiptDone?.emailed && <p className="lead">{i.t('goodbye.emailed')}</p>}
      <p className="lead">{i.t('goodbye.reminder')}</p>
      <div className="nav-bar">
        <button type="button" className="btn btn-primary" onClick={() => send({ type: 'goodbye.done' })}>
          {i.t('goodbye.done')}
        </button>
      </div>
    </section>
  );
}
