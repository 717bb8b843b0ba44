/**
 * `kiosk offline list|resolve ID`: the offline queue of the SIP2 upstream backend from the command
 * line, beside the admin page's section. It works on the store directly (WAL: a running daemon is
 * fine; a transaction it holds back behind a resolved one goes on at its next replay). Resolving is
 * written to the audit log as `cli:<os user>`, as the other staff commands are. The card is printed
 * in full, as `kiosk patron show` does: whoever runs this has the store, and staff need the card to
 * put the loan right.
 */
import type { Command } from 'commander';
import type { Config } from '../../../config/schema.ts';
import { Audit } from '../../auth/audit.ts';
import type { Clock } from '../../clock.ts';
import { durable, releaseDurable, type Db } from '../../store/db.ts';
import { OfflineQueue, type OfflineTransaction } from '../offline-queue.ts';
import { cliActor, type StoreCliDeps } from '../../cli-deps.ts';

export type OfflineCliDeps = StoreCliDeps;

const actor = cliActor;

const KIND: Record<OfflineTransaction['operation'], string> = { checkout: 'loan', checkin: 'return', renew: 'renewal' };

function said(t: OfflineTransaction): string {
  const m = t.result?.screenMessage;
  const text = Array.isArray(m) ? m.filter((x) => typeof x === 'string' && x.trim()).join(' ') : typeof m === 'string' ? m : '';
  return text || t.lastError || '';
}

function line(t: OfflineTransaction, waiting: number): string {
  const state =
    t.state === 'refused' ? `refused (${t.reason ?? 'no reason'})` : t.state === 'error' ? `failed after ${t.attempts} attempts` : t.state === 'queued' ? 'waiting for the library system' : 'confirmed';
  const parts = [`#${t.id}`, t.at, KIND[t.operation], `item ${t.item}`, `card ${t.patron ?? '-'}`, state];
  const text = said(t);
  let out = parts.join('  ') + (text ? `: ${text}` : '');
  if (waiting) out += `\n      ${waiting} later transaction(s) of this item wait for it`;
  if (t.resolvedAt) out += `\n      resolved ${t.resolvedAt} by ${t.resolvedBy ?? '?'}: ${t.resolution ?? ''}`;
  return out;
}

export function registerOfflineCommand(program: Command, deps: OfflineCliDeps): void {
  const offline = program.command('offline').description('transactions taken while the upstream library system was unreachable (SIP2 upstream backend)');

  const withStore = async <T>(opts: Record<string, unknown>, run: (a: { db: Db; queue: OfflineQueue; config: Config; clock: Clock }) => Promise<T> | T): Promise<T> => {
    const { db, config, clock } = deps.open(opts, true);
    try {
      return await run({ db, queue: new OfflineQueue(db, clock), config, clock });
    } finally {
      await releaseDurable(db);
      db.close();
    }
  };

  deps
    .withCommon(offline.command('list').description('refused and failed replays staff have not resolved yet (--all: every offline transaction)'))
    .option('--all', 'every offline transaction, in the order taken')
    .option('--json', 'print JSON')
    .action(async (opts: Record<string, unknown> & { all?: boolean; json?: boolean }) => {
      const text = await withStore(opts, ({ queue, config }) => {
        const rows = opts.all ? queue.list({ limit: 100_000 }) : queue.list({ unresolved: true, limit: 100_000 });
        const waiting = (t: OfflineTransaction) => (t.state === 'error' && t.resolvedAt === null ? queue.countQueuedAfter(t) : 0);
        if (opts.json) return `${JSON.stringify(rows.map((t) => ({ ...t, waiting: waiting(t) })), null, 2)}\n`;
        const head = `${queue.countPending()} transaction(s) waiting for the library system; ${queue.countUnresolved()} refused or failed for staff`;
        if (!rows.length) {
          const none = config.backend.kind === 'sip2-upstream' ? (opts.all ? 'nothing was ever taken offline' : 'nothing for staff') : 'no upstream library system (backend kind embedded): nothing is taken offline';
          return `${head}\n${none}\n`;
        }
        return `${head}\n${rows.map((t) => line(t, waiting(t))).join('\n')}\n`;
      });
      process.stdout.write(text);
    });

  deps
    .withCommon(offline.command('resolve').argument('<id>', 'the offline transaction (# in `kiosk offline list`)').description('mark a refused or failed replay as dealt with (audited)'))
    .option('--note <text>', 'what was done, e.g. "lent again at the desk"')
    .action(async (idText: string, opts: Record<string, unknown> & { note?: string }) => {
      const id = Number(idText.replace(/^#/, ''));
      if (!Number.isInteger(id) || id < 1) throw deps.fail(2, `"${idText}" is not an offline transaction id (a whole number from 1)`);
      const note = (opts.note ?? '').trim() || 'resolved with kiosk offline resolve';
      if (note.length > 500) throw deps.fail(2, 'the note is longer than 500 characters');
      const text = await withStore(opts, async ({ db, queue, clock }) => {
        const audit = new Audit({ db, clock });
        const who = actor();
        const row = queue.get(id);
        const refuse = async (code: number, reason: string, message: string) => {
          audit.record({ actor: who, action: 'offline.resolve', target: `offline:${id}`, outcome: 'refused', detail: { reason } });
          await durable(db);
          return deps.fail(code, message);
        };
        if (!row) throw await refuse(1, 'not_found', `no offline transaction #${id}`);
        if (row.state !== 'refused' && row.state !== 'error') {
          throw await refuse(1, 'not_a_problem', `#${id} is ${row.state === 'queued' ? 'still waiting for the library system' : 'confirmed by the library system'}; only refused or failed ones are resolved`);
        }
        if (row.resolvedAt) throw await refuse(1, 'already_resolved', `#${id} was resolved ${row.resolvedAt} by ${row.resolvedBy ?? '?'} already`);
        const done = queue.resolve(id, who, note)!;
        audit.record({ actor: who, action: 'offline.resolve', target: `offline:${id}`, outcome: 'ok', detail: { operation: row.operation, item: row.item, state: row.state, refusal: row.reason, note } });
        await durable(db);
        const waiting = queue.countQueuedAfter(row);
        return `resolved #${id} (${KIND[row.operation]} of ${row.item}) as ${who}${waiting ? `; ${waiting} later transaction(s) of this item go to the library system at the daemon's next replay` : ''}\n${line(done, 0)}\n`;
      });
      process.stdout.write(text);
    });
}
