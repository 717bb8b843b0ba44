import { readerOffline, rowsFor, unusableEntries, waitingKits, type ItemMode } from '../machines/kiosk.machine.ts';
import { BarcodeEntry, ItemList, NavBar, ScreenHeading, useKiosk, WaitingKits } from './common.tsx';

/** Borrow and return: items appear as they are placed, each with its outcome. */
export function ItemsView({ mode }: { mode: ItemMode }) {
  const { ctx, i } = useKiosk();
  const rows = rowsFor(ctx, mode);
  const kits = waitingKits(ctx, mode);
  const unusable = unusableEntries(ctx);
  const borrow = mode === 'checkout';
  const blocks = borrow ? (ctx.patron?.blocks ?? []) : [];
  return (
    <section className={`screen items ${borrow ? 'borrow' : 'return'}`}>
      <ScreenHeading>{borrow ? i.t('borrow.title') : i.t('return.title')}</ScreenHeading>
      <p className="lead">{borrow ? i.t('borrow.prompt') : i.t('return.prompt')}</p>
      {blocks.length > 0 && (
        <div className="message message-bad">
          <p className="message-title">{i.t('menu.blocked')}</p>
          <ul>
            {blocks.map((b) => (
              <li key={b.reason}>{i.reason(b.reason, b.details)}</li>
            ))}
          </ul>
        </div>
      )}
      {readerOffline(ctx) && <BarcodeEntry />}
      <WaitingKits entries={kits} mode={mode} />
      {unusable.length > 0 && <p className="message message-warn">{i.t('tag.unusable')}</p>}
      {rows.length === 0 && kits.length === 0 && unusable.length === 0 && <p className="empty">{i.t('borrow.empty')}</p>}
      <ItemList rows={rows} />
      <NavBar back finish />
    </section>
  );
}
