/**
 * `kiosk admin …`: staff and admin accounts from the command line (issue 6: "the first admin is
 * created by `kiosk admin create`"). A password is read from a hidden prompt on a terminal, or from
 * standard input with --password-stdin; never from the command line, where the process list and the
 * shell history would show it. Every change is written to the audit log as `cli:<os user>`.
 */
import type { Command } from 'commander';
import type { Config } from '../../config/schema.ts';
import type { Clock } from '../clock.ts';
import { durable, releaseDurable, type Db } from '../store/db.ts';
import { Audit, Auth, AuthError, STAFF_ROLES, type StaffRole } from './index.ts';
import { cliActor, type StoreCliDeps } from '../cli-deps.ts';

export type AdminCliDeps = StoreCliDeps;

const actor = cliActor;

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a line from the terminal without echoing it. */
export function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    // Echo off before the question shows: an answer typed the moment it appears is not shown either.
    stdin.setRawMode(true);
    process.stderr.write(question);
    let value = '';
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * The new password: from standard input (--password-stdin: the first line, without its line end),
 * or typed twice at a hidden prompt. Checked against auth.minPasswordLength.
 */
async function newPassword(opts: { passwordStdin?: boolean }, config: Config, fail: AdminCliDeps['fail'], command: 'create' | 'passwd'): Promise<string> {
  let pw: string;
  if (opts.passwordStdin) {
    pw = (await readAllStdin()).split(/\r?\n/)[0] ?? '';
  } else if (process.stdin.isTTY) {
    pw = await promptHidden('New password: ');
    const again = await promptHidden('Repeat the password: ');
    if (pw !== again) throw fail(2, 'the two passwords differ; nothing was changed');
  } else {
    throw fail(2, `no terminal to ask for the password: pipe it in with --password-stdin (e.g. printf %s "$PW" | kiosk admin ${command} USER --password-stdin)`);
  }
  if (!pw) throw fail(2, 'the password is empty');
  const min = config.auth.minPasswordLength;
  if (pw.length < min) throw fail(2, `the password is too short: at least ${min} characters (auth.minPasswordLength)`);
  return pw;
}

function withAuth<T>(
  deps: AdminCliDeps,
  opts: Record<string, unknown>,
  run: (a: { auth: Auth; audit: Audit; config: Config; db: Db }) => Promise<T>,
  existing = true,
): Promise<T> {
  const { db, config, clock } = deps.open(opts, existing);
  const audit = new Audit({ db, clock });
  const auth = new Auth({ db, clock, config: config.auth, audit });
  return run({ auth, audit, config, db }).finally(async () => {
    auth.close();
    // The audit rows written last are on disk before the command says it is done.
    await durable(db).catch(() => undefined);
    await releaseDurable(db);
    db.close();
  });
}

function explain(e: unknown, fail: AdminCliDeps['fail']): Error {
  if (e instanceof AuthError) return fail(e.code === 'not_found' ? 1 : 2, e.message);
  return e as Error;
}

export function registerAdminCommand(program: Command, deps: AdminCliDeps): void {
  const admin = program.command('admin').description('staff and admin accounts for the staff and admin pages');

  deps
    .withCommon(admin.command('create').argument('<user>', 'user name: letters, digits and . _ @ -').description('create a staff or admin account (the password is asked for, or read with --password-stdin)'))
    .option('--role <role>', 'admin or staff (default: admin for the first admin account, staff after that)')
    .option('--password-stdin', 'read the password from standard input (first line)')
    .action(async (user: string, opts: Record<string, unknown> & { role?: string; passwordStdin?: boolean }) => {
      if (opts.role !== undefined && !STAFF_ROLES.includes(opts.role as StaffRole)) throw deps.fail(2, `--role must be admin or staff, not "${opts.role}"`);
      await withAuth(deps, opts, async ({ auth, audit, config }) => {
        const role: StaffRole = (opts.role as StaffRole | undefined) ?? (auth.listAccounts().some((a) => a.role === 'admin') ? 'staff' : 'admin');
        const same = auth.listAccounts().find((a) => a.user.toLowerCase() === user.toLowerCase());
        if (same) throw deps.fail(2, `an account "${same.user}" already exists (user names are the same in any case; kiosk admin passwd ${same.user} sets a new password)`);
        const pw = await newPassword(opts, config, deps.fail, 'create');
        try {
          await auth.createAccount(user, pw, role);
        } catch (e) {
          audit.record({ actor: actor(), action: 'account.create', target: user, outcome: 'refused', detail: { role, reason: (e as Error).message } });
          throw explain(e, deps.fail);
        }
        audit.record({ actor: actor(), action: 'account.create', target: user, outcome: 'ok', detail: { role } });
        process.stdout.write(`created ${role} account "${user}"\n`);
      }, false); // the first admin may be made before the first start
    });

  deps
    .withCommon(admin.command('list').description('list the staff and admin accounts'))
    .option('--json', 'print JSON')
    .action(async (opts: Record<string, unknown> & { json?: boolean }) => {
      await withAuth(deps, opts, async ({ auth }) => {
        const list = auth.listAccounts();
        if (opts.json) return void process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        if (list.length === 0) return void process.stdout.write('no accounts; create the first admin with: kiosk admin create USER\n');
        const rows = [['USER', 'ROLE', 'STATE', 'LAST LOGIN', 'SESSIONS'], ...list.map((a) => [a.user, a.role, a.disabledAt ? `disabled ${a.disabledAt}` : 'active', a.lastLoginAt ?? '-', String(a.activeSessions)])];
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        process.stdout.write(rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n');
      });
    });

  for (const [name, disabled] of [['disable', true], ['enable', false]] as const) {
    deps
      .withCommon(admin.command(name).argument('<user>').description(disabled ? 'disable an account; its sessions end at once' : 'enable a disabled account again'))
      .action(async (user: string, opts: Record<string, unknown>) => {
        await withAuth(deps, opts, async ({ auth, audit }) => {
          let changed: boolean;
          try {
            changed = await auth.setDisabled(user, disabled);
          } catch (e) {
            throw explain(e, deps.fail);
          }
          audit.record({ actor: actor(), action: `account.${name}`, target: user, outcome: 'ok', detail: { changed } });
          process.stdout.write(changed ? `account "${user}" ${name}d\n` : `account "${user}" was already ${name}d\n`);
        });
      });
  }

  deps
    .withCommon(admin.command('passwd').argument('<user>').description('set a new password (asked for, or read with --password-stdin); the account\'s sessions end'))
    .option('--password-stdin', 'read the password from standard input (first line)')
    .action(async (user: string, opts: Record<string, unknown> & { passwordStdin?: boolean }) => {
      await withAuth(deps, opts, async ({ auth, audit, config }) => {
        if (!auth.listAccounts().some((a) => a.user.toLowerCase() === user.toLowerCase())) throw deps.fail(1, `no account "${user}" (kiosk admin list shows them)`);
        const pw = await newPassword(opts, config, deps.fail, 'passwd');
        try {
          await auth.setPassword(user, pw);
        } catch (e) {
          throw explain(e, deps.fail);
        }
        audit.record({ actor: actor(), action: 'account.passwd', target: user, outcome: 'ok' });
        process.stdout.write(`new password set for "${user}"; its sessions were ended\n`);
      });
    });
}
