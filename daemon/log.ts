/**
 * pino, one child logger per component. PINs, passwords and whole patron records never reach a log
 * line: the redaction paths below catch them wherever a caller puts them by mistake.
 */
import { mkdirSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';

export const REDACT_PATHS = [
  'pin',
  'password',
  'pinHash',
  'pin_hash',
  '*.pin',
  '*.password',
  '*.pinHash',
  '*.pin_hash',
  '*.*.pin',
  '*.*.password',
  'patron.email',
  'patron.mobile',
  'patron.firstName',
  'patron.lastName',
  'req.headers.authorization',
  'req.headers.cookie',
];

export function createLogger(opts: { level: string; dir?: string | null; destination?: NodeJS.WritableStream }): Logger {
  // Standard output through pino's own asynchronous writer: lines written while a write is under
  // way go out together in the next one, instead of one blocking write(2) per line on the thread
  // that answers SIP2 clients (a transaction log line per message). pino flushes it on exit.
  const out: pino.DestinationStream = opts.destination ?? pino.destination({ dest: 1, sync: false });
  const options: pino.LoggerOptions = {
    level: opts.level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '***' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (!opts.dir) return pino(options, out);
  mkdirSync(opts.dir, { recursive: true });
  const streams: pino.StreamEntry[] = [
    { level: opts.level as pino.Level, stream: out },
    { level: opts.level as pino.Level, stream: createWriteStream(join(opts.dir, 'kiosk.log'), { flags: 'a' }) },
  ];
  return pino(options, pino.multistream(streams));
}
