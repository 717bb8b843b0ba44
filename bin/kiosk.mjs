#!/usr/bin/env node
// The `kiosk` command: runs the TypeScript sources through tsx's loader (no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../daemon/cli.ts');
const code = await main(process.argv);
// `kiosk start` and `kiosk sip2-server` keep running (the server holds the event loop); other commands end here.
if (!['start', 'sip2-server'].includes(process.argv[2] ?? '') || code !== 0) process.exitCode = code;
