import { lockerItemsWaiting } from '../machines/kiosk.machine.ts';
import { NavBar, ScreenHeading, useKiosk } from './common.tsx';

/** What the patron can do; restrictions on the card are said up front. */
export function MenuView() {
  const { ctx, send, i } = useKiosk();
  const p = ctx.patron;
  const waiting = ctx.config.locker === true ? lockerItemsWaiting(ctx) : 0;
  return (
    <section className="screen menu">
      <ScreenHeading>{i.t('menu.hello', { name: p?.displayName ?? '' })}</ScreenHeading>
      {p && p.blocks.length > 0 && (
        <div className="message message-bad" role="alert" data-blocks={p.blocks.map((b) => b.reason).join(' ')}>
          <p className="message-title">{i.t('menu.blocked')}</p>
          <ul>
            {p.blocks.map((b) => (
              <li key={b.reason}>{i.reason(b.reason, b.details)}</li>
            ))}
          </ul>
        </div>
      )}
      <p className="lead">{i.t('menu.choose')}</p>
      <div className="menu-grid">
        <button type="button" className="btn btn-primary btn-huge" onClick={() => send({ type: 'menu.borrow' })}>
          {i.t('menu.borrow')}
        </button>
        <button type="button" className="btn btn-primary btn-huge" onClick={() => send({ type: 'menu.return' })}>
          {i.t('menu.return')}
        </button>
        <button type="button" className="btn btn-primary btn-huge" onClick={() => send({ type: 'menu.renew' })}>
          {i.t('menu.renew')}
        </button>
        <button type="button" className="btn btn-primary btn-huge" onClick={() => send({ type: 'menu.account' })}>
          {i.t('menu.account')}
        </button>
        {waiting > 0 && (
          <button type="button" className="btn btn-primary btn-huge" onClick={() => send({ type: 'menu.pickup' })}>
            <span>{i.t('menu.pickup')}</span>
            <span className="btn-note">{i.t('menu.pickupWaiting', { n: waiting })}</span>
          </button>
        )}
      </div>
      <NavBar finish />
    </section>
  );
}
