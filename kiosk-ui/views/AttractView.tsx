import { ScreenHeading, useKiosk } from './common.tsx';

/** Waiting for a patron: a card on the pad or scanned starts a session; returns need no card. */
export function AttractView() {
  const { ctx, send, i } = useKiosk();
  return (
    <section className="screen attract">
      <ScreenHeading focus={false}>{i.t('attract.welcome')}</ScreenHeading>
      {ctx.config.libraryName && <p className="library-name">{ctx.config.libraryName}</p>}
      <p className="lead">{i.t('attract.prompt')}</p>
      <div className="big-choices">
        <button type="button" className="btn btn-primary btn-huge" onClick={() => send({ type: 'start.identify' })}>
          {i.t('attract.start')}
        </button>
        <button type="button" className="btn btn-secondary btn-huge" onClick={() => send({ type: 'start.return' })}>
          <span>{i.t('attract.return')}</span>
          <span className="btn-note">{i.t('attract.returnHint')}</span>
        </button>
        {ctx.config.locker === true && (
          <button type="button" className="btn btn-secondary btn-huge" onClick={() => send({ type: 'start.pickup' })}>
            <span>{i.t('attract.pickup')}</span>
            <span className="btn-note">{i.t('attract.pickupHint')}</span>
          </button>
        )}
      </div>
    </section>
  );
}
