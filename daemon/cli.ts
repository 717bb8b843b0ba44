/**
 * The `kiosk` command. `kiosk start` runs the daemon; the other commands work on the same data
 * directory and configuration (so `kiosk import` fills the store a daemon serves).
 */
import { Command, InvalidArgumentError } from 'commander';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { clockFromSpec, type Clock } from './clock.ts';
import { EmbeddedBackend } from './circulation/embedded.ts';
import { EngineThread } from './circulation/engine-thread.ts';
import { availablePresets, loadConfig, redactConfig, type ConfigOverrides, type LoadedConfig } from './config.ts';
import { createLogger } from './log.ts';
import { departmentCheck, openDataStore, startDaemon, storeFile, VERSION } from './main.ts';
import { vendorHoldHoursOf } from './lockers/config.ts';
import { BackgroundCheckpointer } from './store/checkpointer.ts';
import { releaseDurable } from './store/db.ts';
import { decodeImportFile, exportData, importData } from './store/import.ts';
import { hashPin } from './circulation/pin.ts';
import { startSip2Server } from './sip2/server.ts';
import { registerSip2Command } from './sip2/cli-client.ts';
import { promptHidden, registerAdminCommand } from './auth/cli.ts';
import { registerOfflineCommand } from './circulation/sip2-upstream/cli.ts';
import { devicesCommand } from './devices/list.ts';
import { stringify } from 'yaml';
import { join } from 'node:path';
import { StartRefused } from './start-refused.ts';
import type { StoreCliDeps } from './cli-deps.ts';
import { PICKUP_CODE_KEY_FILE } from './lockers/codes.ts';

interface CommonOptions {
  sip2Port?: number;
  config?: string;
  data?: string;
  port?: number;
  preset?: string;
  clock?: string;
  logLevel?: string;
}

class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port number 0-65535');
  return n;
}

function withCommon(cmd: Command, port = false): Command {
  cmd
    .option('-c, --config <file>', 'configuration file laid over config/default.yaml (env KIOSK_CONFIG)')
    .option('-d, --data <dir>', 'data directory for the database and logs (env KIOSK_DATA_DIR)')
    .option('--preset <name>', `circulation policy preset: ${availablePresets().join(', ')}, or a file (env KIOSK_PRESET)`)
    .option('--clock <iso>', 'run the clock from this instant, e.g. 2024-06-01T10:00:00+02:00; "fixed:<iso>" freezes it (env KIOSK_CLOCK)');
  if (port) {
    cmd.option('-p, --port <n>', 'HTTP port (env KIOSK_PORT)', parsePort);
    cmd.option('--sip2-port <n>', 'SIP2 server port (env KIOSK_SIP2_PORT)', parsePort);
  }
  return cmd;
}

function load(opts: CommonOptions): { loaded: LoadedConfig; clock: Clock } {
  const overrides: ConfigOverrides = {
    configFile: opts.config,
    dataDir: opts.data,
    port: opts.port,
    sip2Port: opts.sip2Port,
    preset: opts.preset,
    logLevel: opts.logLevel,
  };
  const r = loadConfig(overrides);
  if (!r.ok) throw new CliExit(2, `invalid configuration:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`);
  const clock = clockFromSpec(opts.clock ?? process.env.KIOSK_CLOCK);
  if ('error' in clock) throw new CliExit(2, `invalid clock: ${clock.error}`);
  return { loaded: r.value, clock };
}

/**
 * The engine on the configured store. `mustExist`: for commands that only read it (show, export), a
 * data directory without a store is a mistake (a mistyped --data), not a reason to create an empty one.
 */
function openEngine(opts: CommonOptions, logger?: Logger, mustExist = false) {
  const { loaded, clock } = load(opts);
  const { config, policy } = loaded;
  if (mustExist && !existsSync(storeFile(resolve(config.data.dir)))) {
    throw new CliExit(1, `no store in ${resolve(config.data.dir)} (is --data or KIOSK_DATA_DIR right? \`kiosk start\` or \`kiosk import\` creates one)`);
  }
  const { db, file } = openDataStore(config);
  const engine = new EmbeddedBackend({
    db,
    policy,
    clock,
    site: { department: config.site.department, timezone: config.site.timezone, language: config.site.language },
    ...(logger ? { logger } : {}),
  });
  return { db, engine, config, policy, clock, file };
}

/** A block for staff: the reason code, the library's own block kind, and its note. */
function blockText(b: { reason: string; details?: Record<string, unknown> }, note: string | null): string {
  const kind = typeof b.details?.block === 'string' ? b.details.block : null;
  if (!kind) return b.reason;
  return `${b.reason} (${kind}${note ? `: "${note}"` : ''})`;
}

/** Writes to standard output and waits until it is written (or the reader has gone: see main). */
function writeStdout(text: string): Promise<void> {
  return new Promise((resolveWrite) => process.stdout.write(text, () => resolveWrite()));
}

export function buildProgram(): Command {
  const program = new Command('kiosk')
    .description('Open library self-service kiosk and RFID integration appliance')
    .version(VERSION)
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) });

  withCommon(program.command('start').description('run the daemon (HTTP + socket.io, circulation backend)'), true)
    .option('--no-demo', 'do not load the demo library into an empty store')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace')
    .action(async (opts: CommonOptions & { demo: boolean }) => {
      const { loaded, clock } = load(opts);
      const { config, policy } = loaded;
      if (!opts.demo) config.data.demoOnFirstRun = false;
      const logger = createLogger({ level: config.log.level, dir: config.log.toFile ? join(resolve(config.data.dir), 'logs') : null });
      // Signals are handled from the start: a stop asked for while starting waits for the start.
      let stopping: string | null = null;
      let daemon: Awaited<ReturnType<typeof startDaemon>> | undefined;
      const stop = async (signal: string) => {
        if (stopping && !daemon) return;
        stopping = signal;
        if (!daemon) return;
        logger.info({ signal }, 'stopping');
        await daemon.close();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
      try {
        daemon = await startDaemon({ config, policy, clock, logger });
      } catch (e) {
        // A refusal the operator can act on is one line; anything else keeps its stack for a bug report.
        if (e instanceof StartRefused) logger.fatal({ reason: e.message }, 'daemon did not start');
        else logger.fatal({ err: e }, 'daemon did not start');
        throw new CliExit(1, (e as Error).message);
      }
      if (stopping) await stop(stopping);
    });

  withCommon(program.command('import').argument('<file>', 'YAML or JSON file (docs/import-format.md)').description('import items, patrons, kits, loans and holds; all or nothing'))
    .action((file: string, opts: CommonOptions) => {
      const { db, engine, config, policy, clock } = openEngine(opts);
      try {
        const path = resolve(file);
        let bytes: Buffer;
        try {
          bytes = readFileSync(path);
        } catch (e) {
          throw new CliExit(1, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        const decoded = decodeImportFile(bytes, file);
        if (!decoded.ok) throw new CliExit(1, `nothing was imported; ${decoded.problem}`);
        const text = decoded.text;
        const r = importData(db, text, file, { clock, timezone: config.site.timezone, currency: policy.currency, engine });
        if (!r.ok) {
          throw new CliExit(1, `nothing was imported; ${r.problems.length} problem(s):\n${r.problems.map((p) => `  ${p}`).join('\n')}`);
        }
        const parts = Object.entries(r.counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
        process.stdout.write(`imported ${parts.join(', ') || 'nothing (the file is empty)'}\n`);
      } finally {
        db.close();
      }
    });

  withCommon(program.command('export').description('write the store in the import format'))
    .option('-o, --out <file>', 'write to a file instead of standard output')
    .action(async (opts: CommonOptions & { out?: string }) => {
      const { db } = openEngine(opts, undefined, true);
      let text: string;
      try {
        text = exportData(db);
      } finally {
        db.close();
      }
      if (opts.out) {
        try {
          writeFileSync(resolve(opts.out), text);
        } catch (e) {
          throw new CliExit(1, `cannot write ${resolve(opts.out)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      } else {
        await writeStdout(text);
      }
    });

  // `export` is the data format (items, patrons, loans, holds, fees, calendar) to move data between
  // systems; it is not a backup: staff logins, payments, the audit log, the journal, locker state
  // and the offline queue stay behind. A backup is the store itself, taken consistently while the
  // daemon runs (SQLite's online backup), with the locker code key that lives beside it.
  withCommon(
    program
      .command('backup')
      .argument('<dir>', 'an empty (or new) directory for the copy')
      .description('copy the whole store, consistently even while the daemon runs, and the locker code key: a full backup'),
  ).action(async (dir: string, opts: CommonOptions) => {
    const { db, config } = openEngine(opts, undefined, true);
    const out = resolve(dir);
    try {
      if (existsSync(out) && readdirSync(out).length > 0) throw new CliExit(1, `${out} is not empty; give a new or empty directory`);
      mkdirSync(out, { recursive: true, mode: 0o700 });
      await db.backup(join(out, 'kiosk.sqlite'));
    } catch (e) {
      if (e instanceof CliExit) throw e;
      throw new CliExit(1, `backup to ${out} failed: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    } finally {
      db.close();
    }
    const written = [join(out, 'kiosk.sqlite')];
    const key = join(resolve(config.data.dir), PICKUP_CODE_KEY_FILE);
    if (existsSync(key)) {
      copyFileSync(key, join(out, PICKUP_CODE_KEY_FILE));
      written.push(join(out, PICKUP_CODE_KEY_FILE));
    }
    process.stdout.write(
      `${written.map((f) => `wrote ${f}`).join('\n')}\nto restore: stop the daemon, delete kiosk.sqlite-wal and kiosk.sqlite-shm in its data directory, copy ${written.length > 1 ? 'these files' : 'this file'} there, start it\n`,
    );
  });

  const item = program.command('item').description('items');
  withCommon(item.command('show').argument('<barcode>').description('show an item: status, due date, holds, kit'))
    .option('--json', 'print JSON')
    .action(async (barcode: string, opts: CommonOptions & { json?: boolean }) => {
      const { db, engine } = openEngine(opts, undefined, true);
      try {
        const r = await engine.itemInformation(barcode, { language: 'en' });
        if (!r.ok) throw new CliExit(1, `${barcode}: ${r.screenMessage}`);
        if (opts.json) return void process.stdout.write(`${JSON.stringify(r.item, null, 2)}\n`);
        const i = r.item;
        const lines = [
          `${i.barcode}  ${i.title}${i.author ? ` / ${i.author}` : ''}`,
          `  call number ${i.callNumber || '-'}, type ${i.materialType}, department ${i.department}, title ${i.bibId}`,
          `  status ${i.status}${i.dueDate ? `, due ${i.dueDate}` : ''}${i.patronBarcode ? `, patron ${i.patronBarcode}` : ''}`,
          `  996p "${i.accessLevel}" q "${i.stockStatus}" u "${i.restriction}"; home loan ${i.loanMode.home}, reading room ${i.loanMode.readingRoom}`,
          `  reservations ${i.holdQueueLength}${i.holdPickupPlace ? `, waiting at ${i.holdPickupPlace} until ${i.holdExpiresOn}` : ''}`,
        ];
        if (i.kit) {
          lines.push(`  kit ${i.kit.code} "${i.kit.title}": part ${i.kit.partNumber} of ${i.kit.partsTotal}, lead ${i.kit.leadBarcode}`);
          for (const p of i.kit.parts) lines.push(`    ${p.partNumber}/${i.kit.partsTotal} ${p.barcode} ${p.title}`);
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        db.close();
      }
    });

  const patron = program.command('patron').description('patrons');
  withCommon(patron.command('show').argument('<barcode>', 'card number or alternative id').description('show a patron: loans, holds, fees, blocks (never the PIN)'))
    .option('--json', 'print JSON')
    .action(async (barcode: string, opts: CommonOptions & { json?: boolean }) => {
      const { db, engine, config, policy } = openEngine(opts, undefined, true);
      try {
        const r = await engine.patronInformation(barcode, { language: 'en' });
        const limitScope = policy.limits.totalScope === 'department' ? ` in department ${config.site.department}` : '';
        if (!r.ok) throw new CliExit(1, `${barcode}: ${r.screenMessage}`);
        if (opts.json) return void process.stdout.write(`${JSON.stringify(r.patron, null, 2)}\n`);
        const p = r.patron;
        // The staff note of a block is for staff only: the kiosk and SIP2 never see it, this command does.
        const staffNote = (db.prepare('SELECT block_note FROM patrons WHERE barcode = ?').get(p.barcode) as { block_note: string | null } | undefined)?.block_note ?? null;
        const lines = [
          `${p.barcode}  ${p.lastName}, ${p.firstName}  (${p.category}, department ${p.homeDepartment}, language ${p.language})`,
          `  membership until ${p.membershipExpires ?? '-'}; PIN ${p.pinSet ? 'set' : 'not set'}; mobile ${p.hasMobile ? 'yes' : 'no'}`,
          `  blocks: ${p.blocks.length ? p.blocks.map((b) => blockText(b, staffNote)).join(', ') : 'none'}`,
          `  loans (${p.loans.length} item(s); ${p.limits.current} toward the limit of ${p.limits.total ?? 'none'}${limitScope}, a kit counting once):`,
          ...p.loans.map((l) => `    ${l.status} ${l.barcode} due ${l.dueDate ?? '-'}${l.overdue ? ' OVERDUE' : ''}  ${l.title}${l.kit ? ` [kit ${l.kit.code} ${l.kit.partNumber}/${l.kit.partsTotal}]` : ''}`),
          `  holds (${p.holds.length}):`,
          ...p.holds.map((h) => `    ${h.status} ${h.itemBarcode ?? h.bibId}${h.queuePosition ? ` #${h.queuePosition}` : ''} until ${h.expiresOn ?? '-'}  ${h.title}`),
          `  fees: ${p.balance.toFixed(2)} ${p.currency}`,
          ...p.fees.map((f) => `    ${f.kind} ${f.remaining.toFixed(2)} of ${f.amount.toFixed(2)}  ${f.description}`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        db.close();
      }
    });

  program
    .command('hash-password')
    .description('print the scrypt hash of a password for a SIP2 account (asked for twice at a terminal, or read from standard input)')
    .option('--password <p>', 'the password (visible in the process list; prefer standard input)')
    .action(async (opts: { password?: string }) => {
      let pw = opts.password;
      if (pw === undefined && process.stdin.isTTY) {
        // At a terminal: a hidden prompt, twice, as `kiosk admin create` asks (never echoed on screen).
        pw = await promptHidden('Password: ').catch(() => '');
        if (pw && (await promptHidden('Repeat the password: ').catch(() => '')) !== pw) throw new CliExit(2, 'the two passwords differ');
      } else if (pw === undefined) {
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        pw = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
      }
      if (!pw) throw new CliExit(2, 'no password given (pipe it in: echo -n secret | kiosk hash-password)');
      process.stdout.write(`${hashPin(pw)}\n`);
    });

  withCommon(program.command('sip2-server').description('run only the SIP2 bridge on the configured backend (no HTTP, no devices)'), true)
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace')
    .action(async (opts: CommonOptions) => {
      const { db, engine, config, clock, policy, file } = openEngine(opts);
      const logger = createLogger({ level: config.log.level });
      let thread: EngineThread | null = null;
      const checkpointer = BackgroundCheckpointer.start(db, { logger, onFailure: () => thread?.setWalAutocheckpoint(1000) });
      let server;
      try {
        // The engine in its own thread (daemon/circulation/engine-thread.ts) unless config says otherwise.
        if (config.sip2.engineThread && !db.memory) {
          thread = await EngineThread.start({
            file,
            policy,
            clock,
            site: { department: config.site.department, timezone: config.site.timezone, language: config.site.language },
            logger: logger.child({ component: 'circulation' }),
            backgroundCheckpoints: checkpointer !== null,
          });
        }
        server = await startSip2Server({
          config: { ...config.sip2, enabled: true },
          backend: thread ?? engine,
          clock,
          timezone: config.site.timezone,
          libraryName: config.site.name,
          language: config.site.language,
          logger,
          isDepartment: departmentCheck(db),
          lockerHoldHours: vendorHoldHoursOf(config.lockers),
        });
      } catch (e) {
        await thread?.close();
        await checkpointer?.stop();
        db.close();
        throw new CliExit(1, (e as Error).message);
      }
      const stop = async () => {
        await server.close();
        await thread?.close();
        await checkpointer?.stop();
        await releaseDurable(db);
        db.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });

  registerSip2Command(program, (code, message) => new CliExit(code, message));
  // One way to open the store for the subcommands registered from other modules (admin, offline).
  const storeDeps: StoreCliDeps = {
    withCommon: (cmd) => withCommon(cmd),
    open: (opts, existing) => {
      const { loaded, clock } = load(opts as CommonOptions);
      const dir = resolve(loaded.config.data.dir);
      if (existing && !existsSync(storeFile(dir))) {
        throw new CliExit(1, `no store in ${dir} (is --data or KIOSK_DATA_DIR right? \`kiosk start\` or \`kiosk import\` creates one)`);
      }
      return { db: openDataStore(loaded.config).db, config: loaded.config, clock };
    },
    fail: (code, message) => new CliExit(code, message),
  };
  registerAdminCommand(program, storeDeps);
  registerOfflineCommand(program, storeDeps);

  program
    .command('devices')
    .description('list serial and HID devices with their USB ids and which of our drivers matches them')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const code = await devicesCommand(opts);
      if (code !== 0) throw new CliExit(code, 'neither serial ports nor HID devices could be listed');
    });

  withCommon(program.command('config').description('check the configuration and print it (secrets masked)'), true).action((opts: CommonOptions) => {
    const { loaded } = load(opts);
    process.stdout.write(stringify({ config: redactConfig(loaded.config), policy: loaded.policy, policySource: loaded.policySource }));
  });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  // The store holds PIN and password hashes, patrons' contact data and (with the key beside it) the
  // locker codes; the logs name cards and, with the default SMS sender, the codes themselves. What
  // any command creates is for the service's own user only: files 0600, directories 0700.
  process.umask(0o077);
  // A reader that went away (`kiosk export | head`) is not an error of ours: stop writing, quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') process.stderr.write(`kiosk: cannot write to standard output: ${e.code ?? e.message}\n`);
    process.stdout.destroy();
  });
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CliExit) {
      process.stderr.write(`kiosk: ${e.message}\n`);
      return e.code;
    }
    const ce = e as { code?: string; exitCode?: number };
    if (typeof ce.exitCode === 'number' && ce.code?.startsWith('commander.')) return ce.exitCode;
    process.stderr.write(`kiosk: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
