import { emailAvailable, printerAvailable } from '../machines/kiosk.machine.ts';
import { ScreenHeading, useKiosk } from './common.tsx';

/** Print, e-mail or no receipt; what cannot work (printer offline, no e-mail) is not offered. */
export function ReceiptView({ sending }: { sending: boolean }) {
  const { ctx, send, i } = useKiosk();
  const canPrint = printerAvailable(ctx);
  // A pickup by code may e-mail the receipt to the patron whose holds they were (not shown here).
  const canEmail = emailAvailable(ctx);
  return (
    <section className="screen receipt">
      <ScreenHeading>{i.t('receipt.title')}</ScreenHeading>
      <div role="alert" className={ctx.receiptError ? 'message message-bad' : 'message-empty'}>
        {ctx.receiptError ? i.error(ctx.receiptError) : ''}
      </div>
      {!canPrint && <p className="message message-warn">{i.t('receipt.printerOffline')}</p>}
      <div className="big-choices">
        {canPrint && (
          <button type="button" className="btn btn-primary btn-huge" disabled={sending} onClick={() => send({ type: 'receipt.choose', kind: 'print' })}>
            {i.t('receipt.print')}
          </button>
        )}
        {canEmail && (
          <button type="button" className="btn btn-primary btn-huge" disabled={sending} onClick={() => send({ type: 'receipt.choose', kind: 'email' })}>
            {i.t('receipt.email')}
          </button>
        )}
        <button type="button" className="btn btn-secondary btn-huge" disabled={sending} onClick={() => send({ type: 'receipt.choose', kind: 'none' })}>
          {i.t('receipt.none')}
        </button>
      </div>
      {sending && <p role="status">{i.t('receipt.sending')}</p>}
    </section>
  );
}
