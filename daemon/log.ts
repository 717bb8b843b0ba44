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
  const streams: pino.StreamEntry[] = [{ level: opts.level as pino.Level, stream: opts.destination ?? process.stdout }];
  if (opts.dir) {
    mkdirSync(opts.dir, { recursive: true });
    streams.push({ level: opts.level as pino.Level, stream: createWriteStream(join(opts.dir, 'kiosk.log'), { flags: 'a' }) });
  }
  return pino(
    {
      level: opts.level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '***' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.multistream(streams),
  );
}
