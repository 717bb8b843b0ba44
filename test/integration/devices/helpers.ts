/** Shared pieces for the device integration tests: sample receipts, event waits, socat PTY pairs. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Receipt } from '../../../drivers/receipt/receipt.ts';

export function sampleReceipt(language: string, titles: string[], overrides: Partial<Receipt> = {}): Receipt {
  return {
    language,
    printedAt: '2026-03-12T14:05:00Z',
    timeZone: 'Europe/Ljubljana',
    header: { libraryName: 'Test Library', department: 'Central' },
    patron: { cardNumber: '0100203', name: 'Novak Ana' },
    sections: [
      {
        kind: 'loans',
        items: titles.map((title, k) => ({ title, barcode: `3010000000${String(k).padStart(4, '0')}`, dueDate: '2026-04-02' })),
      },
    ],
    ...overrides,
  };
}

/** Anything with once/off (TypedEmitter, EventEmitter); event names are checked by the emitter at runtime. */
interface Emitter {
  once(event: never, listener: never): unknown;
  off(event: never, listener: never): unknown;
}
type LooseEmitter = { once(event: string, listener: (...args: unknown[]) => void): unknown; off(event: string, listener: (...args: unknown[]) => void): unknown };

/** Resolves with the event's arguments, or rejects after `timeoutMs`. */
export function waitForEvent(emitter: Emitter, event: string, timeoutMs = 3000): Promise<unknown[]> {
  const e = emitter as unknown as LooseEmitter;
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      e.off(event, listener);
      reject(new Error(`no '${event}' within ${timeoutMs} ms`));
    }, timeoutMs);
    e.once(event, listener);
  });
}

/** Polls `predicate` until it holds (for state reached through timers). */
export async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs = 3000, stepMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const hasSocat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;

export interface PtyPair {
  /** The end a driver opens. */
  host: string;
  /** The end the simulator takes. */
  device: string;
  stop(): Promise<void>;
}

/** `socat pty,raw,echo=0,link=A pty,raw,echo=0,link=B` (devices.md §6.2.2). */
export async function socatPtyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-pty-'));
  const host = join(dir, 'tty-host');
  const device = join(dir, 'tty-device');
  const child: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${host}`, `pty,raw,echo=0,link=${device}`], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  while (!(existsSync(host) && existsSync(device))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error('socat did not create the PTY pair');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    host,
    device,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
