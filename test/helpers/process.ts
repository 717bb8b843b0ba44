/** Runs the real `kiosk` command as a child process, as a user would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from '../../daemon/config.ts';

export const KIOSK_BIN = join(repoRoot, 'bin', 'kiosk.mjs');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `kiosk ARGS…`; `input`, when given, is written to its standard input (e.g. --password-stdin). */
export function runKiosk(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KIOSK_BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input !== undefined) child.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kiosk ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningDaemon {
  child: ChildProcess;
  url: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `kiosk start ...` and waits for its "listening" log line. */
export async function startKiosk(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<RunningDaemon> {
  // Every daemon gets its own SIP2 port unless the test chooses one.
  if (!args.includes('--sip2-port')) args = [...args, '--sip2-port', String(await freePort())];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KIOSK_BIN, 'start', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`daemon did not start in time:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d;
      if (done) return;
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const j = JSON.parse(line) as { msg?: string; url?: string };
          if (j.msg === 'listening' && j.url) {
            done = true;
            clearTimeout(t);
            resolve({
              child,
              url: j.url,
              output: () => out,
              stop: async (signal = 'SIGTERM') => {
                if (child.exitCode === null) child.kill(signal);
                return exited;
              },
            });
          }
        } catch {
          /* a partial line */
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      if (!done) {
        clearTimeout(t);
        reject(new Error(`daemon exited with ${code} before listening:\n${out}`));
      }
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
