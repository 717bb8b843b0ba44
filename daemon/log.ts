/**
 * pino, one child logger per component. PINs, passwords and whole patron records never reach a log
 * line: the redaction paths below catch them wherever a caller puts them by mistake.
 */
import { mkdirSync } from 'node:fs';
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

/**
 * How log lines are written: through pino's asynchronous writer (sonic-boom), gathered until 4 KiB
 * or 100 ms have passed, whichever comes first, then written in one write(2) on the thread pool.
 * Written line by line, a busy SIP2 bridge (one transaction line per message, over a thousand a
 * second) cost a thread-pool round trip and two thread wake-ups per line on its two cores. pino
 * flushes what is pending when the process exits; a process killed outright loses at most the
 * last 100 ms.
 */
export const LOG_WRITER = { sync: false, minLength: 4096, periodicFlush: 100 } as const;

export function createLogger(opts: { level: string; dir?: string | null; destination?: NodeJS.WritableStream }): Logger {
  const out: pino.DestinationStream =
    opts.destination ?? pino.destination({ dest: 1, ...LOG_WRITER });
  const options: pino.LoggerOptions = {
    level: opts.level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '***' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (!opts.dir) return pino(options, out);
  mkdirSync(opts.dir, { recursive: true });
  const file = pino.destination({ dest: join(opts.dir, 'kiosk.log'), append: true, ...LOG_WRITER });
  // logrotate moves kiosk.log aside and sends SIGHUP (postrotate): the file is opened anew. Without
  // a handler SIGHUP would end the daemon outright, leaving its lock and WAL behind.
  const reopen = () => file.reopen();
  process.removeListener('SIGHUP', reopenLog);
  reopenLog = reopen;
  process.on('SIGHUP', reopenLog);
  const streams: pino.StreamEntry[] = [
    { level: opts.level as pino.Level, stream: out },
    { level: opts.level as pino.Level, stream: file },
  ];
  return pino(options, pino.multistream(streams));
}

/** The SIGHUP handler of the last logger made with a directory (one log file per process). */
let reopenLog: () => void = () => undefined;

/**
 * A card number as logs and the admin page show it: the first four characters, the rest hidden
 * (`0100***`). Enough to tell a branch's cards apart when reading a log; not enough to use one.
 */
export function maskCard(card: string | null): string | null {
  if (!card) return null;
  if (card.length <= 4) return '***';
  return `${card.slice(0, 4)}${'*'.repeat(Math.max(3, card.length - 4))}`;
}
