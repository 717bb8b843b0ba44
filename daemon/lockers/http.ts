/**
 * Staff HTTP API of the locker banks, mounted at /api/lockers (staff login required; every staff
 * action leaves an audit record, notes/auth-contract.md):
 *
 *   GET  /banks                                  banks, compartments, what is in each, door states
 *   GET  /assignments[?all=1]                    open (or recent) compartment fillings
 *   GET  /to-empty                               compartments staff must empty (expired, cancelled, deposits,
 *                                                faults): one row per compartment, with whose items are inside
 *   GET  /deposits[?open=1]                      returns put into compartments (not check-ins, §8.4)
 *   GET  /alerts                                 recent alerts (door failed, left open, forced, …)
 *   POST /finish-processing {item}               "Zaključi obdelavo": a compartment for the copy's hold
 *   POST /banks/:bank/compartments/:number/load  opens the door for loading
 *   POST /banks/:bank/compartments/:number/empty opens the door to empty it; frees the compartment
 *   POST /banks/:bank/compartments/:number/check opens the door to check it: a door that opens is no
 *                                                longer faulty; what is inside stays as it was
 *   POST /expire                                 runs the expiry job now
 *   POST /deposits {patron, bank?, items?}       opens a free compartment for a patron's return
 *
 * Replies: {ok: true, data} or {ok: false, error: {code, message}}.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { LockerService, StaffOutcome } from './service.ts';

export interface LockersRouterOptions {
  service: LockerService;
  /** auth.requireApi('staff'); sets res.locals.principal. */
  guard: RequestHandler;
  audit: { record(e: { actor: string; action: string; target?: string | null; outcome: 'ok' | 'refused' | 'error'; detail?: Record<string, unknown> }): void };
  logger: Logger;
}

const STATUS: Record<string, number> = {
  unknown_bank: 404,
  unknown_compartment: 404,
  unknown_item: 404,
  unknown_patron: 404,
  hold_not_found: 404,
  invalid_request: 400,
  door_failed: 502,
  locker_offline: 503,
};

export function createLockersRouter(o: LockersRouterOptions): express.Router {
  const r = express.Router();
  r.use(o.guard);
  r.use(express.json({ limit: '16kb' }));

  const actor = (res: Response): string => (res.locals.principal as { user?: string } | undefined)?.user ?? 'unknown';

  r.get('/banks', (_req, res) => void res.json({ ok: true, data: o.service.listBanks() }));
  r.get('/assignments', (req, res) => void res.json({ ok: true, data: o.service.assignments({ open: req.query.all !== '1' }) }));
  r.get('/to-empty', (_req, res) => void res.json({ ok: true, data: o.service.toEmpty() }));
  r.get('/deposits', (req, res) => void res.json({ ok: true, data: o.service.deposits({ open: req.query.open === '1' }) }));
  r.get('/alerts', (_req, res) => void res.json({ ok: true, data: o.service.alerts() }));

  /** Runs one staff command, audits it and answers with the envelope. */
  const command =
    (action: string, target: (req: Request) => string | null, run: (req: Request) => Promise<StaffOutcome<object>> | StaffOutcome<object>) =>
    async (req: Request, res: Response): Promise<void> => {
      let out: StaffOutcome<object>;
      try {
        out = await run(req);
      } catch (e) {
        o.logger.error({ err: e, action }, 'locker staff command failed');
        o.audit.record({ actor: actor(res), action, target: safeTarget(target, req), outcome: 'error' });
        res.status(500).json({ ok: false, error: { code: 'internal_error', message: 'The command failed; see the log' } });
        return;
      }
      if (out.ok) {
        const { ok: _ok, ...data } = out;
        o.audit.record({ actor: actor(res), action, target: safeTarget(target, req), outcome: 'ok' });
        res.json({ ok: true, data });
      } else {
        o.audit.record({ actor: actor(res), action, target: safeTarget(target, req), outcome: 'refused', detail: { code: out.code } });
        res.status(STATUS[out.code] ?? 409).json({ ok: false, error: { code: out.code, message: out.message } });
      }
    };

  const bad = (message: string): StaffOutcome<object> => ({ ok: false, code: 'invalid_request', message });
  const text = (v: unknown, max = 64): string | null => (typeof v === 'string' && v.trim() && v.length <= max ? v.trim() : null);

  r.post(
    '/finish-processing',
    command(
      'locker.finish_processing',
      (req) => text((req.body as { item?: unknown } | undefined)?.item),
      (req) => {
        const item = text((req.body as { item?: unknown } | undefined)?.item);
        return item ? o.service.finishProcessing(item) : bad('give the item barcode as {"item": "..."}');
      },
    ),
  );
  r.post(
    '/banks/:bank/compartments/:number/load',
    command('locker.load', (req) => `${req.params.bank}/${req.params.number}`, (req) => o.service.load(String(req.params.bank), String(req.params.number))),
  );
  r.post(
    '/banks/:bank/compartments/:number/empty',
    command('locker.empty', (req) => `${req.params.bank}/${req.params.number}`, (req) => o.service.empty(String(req.params.bank), String(req.params.number))),
  );
  r.post(
    '/banks/:bank/compartments/:number/check',
    command('locker.check_door', (req) => `${req.params.bank}/${req.params.number}`, (req) => o.service.checkDoor(String(req.params.bank), String(req.params.number))),
  );
  r.post('/expire', command('locker.expire', () => null, () => o.service.expireNow()));
  r.post(
    '/deposits',
    command(
      'locker.deposit',
      (req) => text((req.body as { patron?: unknown } | undefined)?.patron),
      (req) => {
        const body = (req.body ?? {}) as { patron?: unknown; bank?: unknown; items?: unknown };
        const patron = text(body.patron);
        if (!patron) return bad('give the patron card number as {"patron": "..."}');
        if (body.bank !== undefined && !text(body.bank)) return bad('"bank" must be a bank id');
        if (body.items !== undefined && !(Array.isArray(body.items) && body.items.length <= 50 && body.items.every((i) => text(i)))) {
          return bad('"items" must be a list of item barcodes');
        }
        return o.service.startDeposit(patron, {
          ...(typeof body.bank === 'string' ? { bank: body.bank } : {}),
          ...(Array.isArray(body.items) ? { items: body.items as string[] } : {}),
        });
      },
    ),
  );
  return r;
}

function safeTarget(target: (req: Request) => string | null, req: Request): string | null {
  try {
    return target(req);
  } catch {
    return null;
  }
}
