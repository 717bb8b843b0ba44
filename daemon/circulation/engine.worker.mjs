// Entry of the engine worker thread (engine-thread.ts): the engine is TypeScript, run through tsx's
// loader as the `kiosk` command does (bin/kiosk.mjs). Loader hooks registered with the API are per
// thread, so the worker registers its own, unless the process was started with tsx on its command
// line (`node --import tsx ...`, inherited by workers), where a second registration would stack.
import { register } from 'tsx/esm/api';

const inherited = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => /(^|[\s=/])tsx(\/|\s|$)/.test(a) || a === 'tsx');
if (!inherited) register();
await import('./engine-worker.ts');
