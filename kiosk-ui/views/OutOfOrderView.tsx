import { ScreenHeading, useKiosk } from './common.tsx';

/** The library system cannot be reached and offline mode is off: say so, offer nothing that would fail. */
export function OutOfOrderView() {
  const { ctx, i } = useKiosk();
  return (
    <section className="screen out-of-order">
      <ScreenHeading focus={false}>{i.t('outOfOrder.title')}</ScreenHeading>
      <p className="lead">{i.t('outOfOrder.body')}</p>
      {ctx.backend.detail && <p className="detail">{ctx.backend.detail}</p>}
    </section>
  );
}
