/**
 * Entry point: the socket to the daemon, the machine with the browser's side effects provided
 * (daemon link, audio cues), and the React app.
 */
import { createRoot } from 'react-dom/client';
import { KioskApi } from './api.ts';
import { App } from './App.tsx';
import { AudioCues } from './audio.ts';
import { daemonLink } from './bridge.ts';
import { kioskMachine } from './machines/kiosk.machine.ts';
import './styles/kiosk.css';

const api = new KioskApi();
const audio = new AudioCues();

const machine = kioskMachine.provide({
  actors: { daemon: daemonLink(api) },
  actions: {
    cueSuccess: ({ context }) => audio.play('success', context.prefs.muted),
    cueFailure: ({ context }) => audio.play('failure', context.prefs.muted),
    cueWarning: ({ context }) => audio.play('warning', context.prefs.muted),
  },
});

// For the simulator panel and end-to-end tests: the socket, read-only.
(window as unknown as { __kiosk?: { api: KioskApi } }).__kiosk = { api };

const root = document.getElementById('root');
if (!root) throw new Error('#root missing from index.html');
// No StrictMode: its doubled effects would start the daemon link twice in development.
createRoot(root).render(<App machine={machine} onGesture={() => audio.unlock()} />);
