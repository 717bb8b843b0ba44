/**
 * The kiosk app: runs the screen-flow machine, shows the screen it is in, the top bar (language,
 * high contrast, large text, sound), device banners, the idle warning and the live regions.
 */
import { useMachine } from '@xstate/react';
import { useEffect, useMemo, useRef } from 'react';
import type { UiLanguage } from '../protocols/kiosk-api/events.ts';
import { createI18n, languageNames } from './i18n/index.ts';
import { backendDown, deviceOf, readerOffline, type KioskMachine } from './machines/kiosk.machine.ts';
import { screenOf, type Screen } from './machines/screen.ts';
import { AccountView } from './views/AccountView.tsx';
import { AttractView } from './views/AttractView.tsx';
import { KioskViewContext, outcomeLines, useKiosk, type KioskView } from './views/common.tsx';
import { GoodbyeView } from './views/GoodbyeView.tsx';
import { IdentifyView } from './views/IdentifyView.tsx';
import { ItemsView } from './views/ItemsView.tsx';
import { MenuView } from './views/MenuView.tsx';
import { OutOfOrderView } from './views/OutOfOrderView.tsx';
import { PickupView } from './views/PickupView.tsx';
import { ReceiptView } from './views/ReceiptView.tsx';
import { RenewView } from './views/RenewView.tsx';

export function App({ machine, onGesture }: { machine: KioskMachine; onGesture?: () => void }) {
  const [snap, send] = useMachine(machine, { input: {} });
  const ctx = snap.context;
  const screen = screenOf(snap);
  const i = useMemo(() => createI18n(ctx.language, ctx.config), [ctx.language, ctx.config]);
  const view: KioskView = useMemo(() => ({ ctx, send, i }), [ctx, send, i]);

  // The document follows the patron's choices: language (for screen readers), contrast, text size.
  useEffect(() => {
    const html = document.documentElement;
    html.lang = ctx.language;
    html.classList.toggle('high-contrast', ctx.prefs.highContrast);
    html.classList.toggle('large-text', ctx.prefs.largeText);
    document.title = ctx.config.libraryName ? `${i.t('app.title')} — ${ctx.config.libraryName}` : i.t('app.title');
  }, [ctx.language, ctx.prefs.highContrast, ctx.prefs.largeText, ctx.config.libraryName, i]);

  const phase = (name: string) => {
    for (const p of ['loading', 'ready', 'renewing', 'failed', 'sending', 'choosing', 'waiting', 'checking', 'pin', 'checkingPin', 'decide', 'entry', 'opening', 'open'] as const) {
      if (snap.matches({ session: { flow: { [name]: p } } } as never)) return p;
    }
    return 'loading';
  };

  let body;
  switch (screen) {
    case 'boot':
      body = (
        <section className="screen boot">
          <h1 className="screen-title">{i.t('app.starting')}</h1>
        </section>
      );
      break;
    case 'outOfOrder':
      body = <OutOfOrderView />;
      break;
    case 'attract':
      body = <AttractView />;
      break;
    case 'identify':
    case 'pin': {
      const p = phase('identify');
      body = <IdentifyView phase={p === 'pin' || p === 'checkingPin' || p === 'checking' ? p : 'waiting'} />;
      break;
    }
    case 'menu':
      body = <MenuView />;
      break;
    case 'borrow':
      body = <ItemsView mode="checkout" />;
      break;
    case 'return':
      body = <ItemsView mode="checkin" />;
      break;
    case 'renew': {
      const p = phase('renew');
      body = <RenewView phase={p === 'ready' || p === 'renewing' || p === 'failed' ? p : 'loading'} />;
      break;
    }
    case 'account': {
      const p = phase('account');
      body = <AccountView phase={p === 'ready' || p === 'failed' ? p : 'loading'} />;
      break;
    }
    case 'pickup': {
      const p = phase('pickup');
      body = <PickupView phase={p === 'opening' || p === 'open' || p === 'failed' ? p : p === 'decide' ? 'opening' : 'entry'} />;
      break;
    }
    case 'receipt':
      body = <ReceiptView sending={phase('receipt') === 'sending'} />;
      break;
    case 'goodbye':
      body = <GoodbyeView />;
      break;
  }

  return (
    <KioskViewContext.Provider value={view}>
      <div
        className="kiosk"
        data-screen={screen}
        onPointerDown={() => {
          onGesture?.();
          send({ type: 'activity' });
        }}
        onKeyDown={() => {
          onGesture?.();
          send({ type: 'activity' });
        }}
      >
        <TopBar screen={screen} />
        <main id="main" className="main">
          {body}
          <LiveRegions />
          {ctx.warningRemainingS !== null && <IdleDialog seconds={ctx.warningRemainingS} />}
        </main>
      </div>
    </KioskViewContext.Provider>
  );
}

function TopBar({ screen }: { screen: Screen }) {
  const { ctx, send, i } = useKiosk();
  const langs = ctx.config.languages.length ? ctx.config.languages : (['en', 'sl', 'lv', 'hu'] as UiLanguage[]);
  const reader = readerOffline(ctx);
  const printer = deviceOf(ctx, 'printer');
  const printerDown = printer !== undefined && printer.state === 'offline';
  const offlineMode = !backendDown(ctx) && !ctx.backend.online && ctx.backend.offline;
  const showDevices = screen !== 'outOfOrder' && screen !== 'boot';
  return (
    <header className="top-bar">
      <div className="top-row">
        <span className="brand">{ctx.config.libraryName || i.t('app.title')}</span>
        <nav className="lang-switch" aria-label={i.t('lang.label')}>
          {langs.map((l) => (
            <button key={l} type="button" lang={l} className="btn btn-lang" aria-pressed={ctx.language === l} onClick={() => send({ type: 'language.set', language: l })}>
              {languageNames[l]}
            </button>
          ))}
        </nav>
        <div className="prefs" role="group" aria-label={i.t('prefs.label')}>
          <button type="button" className="btn btn-toggle" aria-pressed={ctx.prefs.highContrast} onClick={() => send({ type: 'prefs.toggle', pref: 'highContrast' })}>
            <span aria-hidden="true">◐ </span>
            {i.t('prefs.highContrast')}
          </button>
          <button type="button" className="btn btn-toggle" aria-pressed={ctx.prefs.largeText} onClick={() => send({ type: 'prefs.toggle', pref: 'largeText' })}>
            <span aria-hidden="true">A+ </span>
            {i.t('prefs.largeText')}
          </button>
          <button type="button" className="btn btn-toggle" aria-pressed={!ctx.prefs.muted} onClick={() => send({ type: 'prefs.toggle', pref: 'muted' })}>
            <span aria-hidden="true">♪ </span>
            {i.t('prefs.sound')}
          </button>
        </div>
      </div>
      {showDevices && (reader || printerDown || offlineMode) && (
        <div className="device-banner" role="status" data-devices={[reader ? 'rfid' : '', printerDown ? 'printer' : '', offlineMode ? 'offline' : ''].filter(Boolean).join(' ')}>
          {reader && <p data-device="rfid">{i.t('device.readerOffline')}</p>}
          {printerDown && <p data-device="printer">{i.t('device.printerOffline')}</p>}
          {offlineMode && <p data-device="backend">{i.t('device.offlineMode')}</p>}
        </div>
      )}
    </header>
  );
}

/** Outcomes as they arrive: polite for success, assertive for anything the patron must act on. */
function LiveRegions() {
  const { ctx, i } = useKiosk();
  const row = ctx.lastRef ? ctx.rows.find((r) => r.ref === ctx.lastRef && r.status !== 'pending') : undefined;
  const l = row ? outcomeLines(i, row) : null;
  const text = row && l ? `${row.outcome?.title || row.title || row.barcode}: ${l.headline}${l.detail.length ? `. ${l.detail.join(' ')}` : ''}` : '';
  return (
    <div className="sr-only">
      <div role="status" aria-live="polite" aria-atomic="true" data-live="polite">
        {l?.tone === 'ok' ? text : ''}
      </div>
      <div role="alert" aria-live="assertive" aria-atomic="true" data-live="assertive">
        {l && l.tone !== 'ok' ? text : ''}
      </div>
    </div>
  );
}

function IdleDialog({ seconds }: { seconds: number }) {
  const { send, i } = useKiosk();
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    button.current?.focus({ preventScroll: true });
  }, []);
  return (
    <div className="overlay">
      <div
        className="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="idle-title"
        aria-describedby="idle-text"
        onKeyDown={(e) => {
          if (e.key === 'Escape') send({ type: 'idle.continue' });
        }}
      >
        <h2 id="idle-title">{i.t('idle.title')}</h2>
        <p id="idle-text" className="countdown" data-seconds={seconds}>
          {i.t('idle.countdown', { s: seconds })}
        </p>
        <button ref={button} type="button" className="btn btn-primary btn-huge" onClick={() => send({ type: 'idle.continue' })}>
          {i.t('idle.continue')}
        </button>
      </div>
    </div>
  );
}
