import { NumberEntry, ScreenHeading, useKiosk } from './common.tsx';

/** Card on the pad, scanned, or typed; then the PIN when the daemon asks for one. */
export function IdentifyView({ phase }: { phase: 'waiting' | 'checking' | 'pin' | 'checkingPin' }) {
  const { ctx, send, i } = useKiosk();
  const pin = phase === 'pin' || phase === 'checkingPin';
  const checking = phase === 'checking' || phase === 'checkingPin';
  const error = ctx.identifyError ? i.error(ctx.identifyError) : '';
  return (
    <section className="screen identify">
      <ScreenHeading focus={false}>{pin ? i.t('pin.title') : i.t('identify.title')}</ScreenHeading>
      {!pin && <p className="lead" id="identify-help">{i.t('identify.prompt')}</p>}
      <div role="alert" className={error ? 'message message-bad' : 'message-empty'} id="identify-error">
        {error}
      </div>
      {checking ? (
        <p role="status" className="message">
          {i.t('identify.checking')}
        </p>
      ) : pin ? (
        <NumberEntry
          key="pin"
          id="pin"
          label={i.t('pin.label')}
          submitLabel={i.t('pin.submit')}
          secret
          digitsOnly
          maxLength={12}
          describedBy={error ? 'identify-error' : undefined}
          onSubmit={(v) => send({ type: 'pin.submit', pin: v })}
        />
      ) : (
        <NumberEntry
          key="card"
          id="card-number"
          label={i.t('identify.cardNumber')}
          submitLabel={i.t('identify.submit')}
          maxLength={64}
          describedBy={error ? 'identify-help identify-error' : 'identify-help'}
          onSubmit={(v) => send({ type: 'identify.submit', identifier: v })}
        />
      )}
      <div className="nav-bar">
        <button type="button" className="btn btn-secondary" onClick={() => send({ type: 'cancel' })}>
          {i.t('nav.cancel')}
        </button>
      </div>
    </section>
  );
}
