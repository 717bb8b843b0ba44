/**
 * The staff desk page (GET /staff/desk, plain HTML/JS/CSS in ./desk-page/, no build step) and its
 * JSON API under /api/desk (daemon/desk/desk.ts): find a member, record the attributes the
 * enrolment form shows, put the enrolment form or a loan receipt on the signature tablet and follow
 * the signing, list and download the member's signed documents, pay fees (receipt and drawer), open
 * the drawer without a settlement, and the day's cash closing report.
 *
 * Access: the page needs a staff login (auth.requirePage('staff')), the API auth.requireApi('staff');
 * every action leaves an audit record (who, what, on which card, outcome) without personal data
 * beyond the card number. Replies: `{ ok: true, data }` or `{ ok: false, error: { code, message } }`.
 * Commands take JSON bodies only (no CORS is granted, the session cookie is SameSite=Strict).
 */
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Audit, AuditOutcome, StaffPrincipal } from '../auth/index.ts';
import type { DeskErrorCode, DeskResult, DeskService } from '../desk/desk.ts';
import { businessDay } from '../desk/desk.ts';
import type { DeviceManager } from '../devices/manager.ts';

export const DESK_PAGE_DIR = fileURLToPath(new URL('./desk-page/', import.meta.url));

export interface DeskGuards {
  requirePage(role: 'staff'): express.RequestHandler;
  requireApi(role: 'staff'): express.RequestHandler;
}

export interface DeskRouterOptions {
  desk: DeskService;
  auth: DeskGuards;
  audit: Pick<Audit, 'record'>;
  devices: Pick<DeviceManager, 'list'>;
  site: { name: string; department: string; timezone: string };
  clock: { now(): Date };
}

const STATUS: Record<DeskErrorCode, number> = {
  bad_request: 400,
  method_not_allowed: 400,
  insufficient_cash: 400,
  unknown_patron: 404,
  not_found: 404,
  tablet_busy: 409,
  fee_not_open: 409,
  payment_refused: 409,
  nothing_to_close: 409,
  tablet_not_connected: 503,
  drawer_not_connected: 503,
  backend_error: 502,
};

const barcode = z.string().trim().min(1).max(64);
const bodies = {
  attributes: z.object({ attributes: z.record(z.string(), z.string().max(200).nullable()) }).strict(),
  signing: z.object({ kind: z.enum(['enrolment', 'loan_receipt']) }).strict(),
  payment: z
    .object({
      key: z.string().min(8).max(100),
      patron: barcode,
      feeIds: z.array(z.number().int().positive()).min(1).max(100),
      method: z.enum(['cash', 'card', 'other']),
      tendered: z.number().nonnegative().max(1_000_000).nullable().optional(),
    })
    .strict(),
  closing: z.object({ day: z.string().optional() }).strict(),
  empty: z.object({}).strict(),
};

class BadRequest extends Error {}

/** `what` names the value in the message when it is not the body (a card number in the path). */
function parse<T extends z.ZodType>(schema: T, body: unknown, what = 'body'): z.output<T> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw new BadRequest(r.error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`).join('; '));
  return r.data;
}

function principal(res: Response): StaffPrincipal {
  return res.locals.principal as StaffPrincipal;
}

export function createDeskRouter(o: DeskRouterOptions): Router {
  const r = express.Router();
  const api = express.Router();
  const { desk, audit } = o;

  // ---------------------------------------------------------------------------------------- page
  r.get('/staff/desk', o.auth.requirePage('staff'), (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Security-Policy', "default-src 'self'; frame-ancestors 'none'");
    res.sendFile('index.html', { root: DESK_PAGE_DIR });
  });
  r.use('/staff/desk', o.auth.requirePage('staff'), express.static(DESK_PAGE_DIR, { index: false, fallthrough: false }));

  // ----------------------------------------------------------------------------------------- API
  api.use(o.auth.requireApi('staff'));
  api.use(express.json({ limit: '64kb' }));

  /** Sends a service result, writing the audit record for an action. */
  const reply = <T>(res: Response, result: DeskResult<T>, action?: { action: string; target?: string | null; detail?: (d: T) => Record<string, unknown> }) => {
    if (action) {
      const outcome: AuditOutcome = result.ok ? 'ok' : result.error.code === 'backend_error' ? 'error' : 'refused';
      audit.record({
        actor: principal(res).user,
        action: action.action,
        target: action.target ?? null,
        outcome,
        ...(result.ok ? (action.detail ? { detail: action.detail(result.data) } : {}) : { detail: { code: result.error.code } }),
      });
    }
    if (result.ok) res.json(result);
    else res.status(STATUS[result.error.code] ?? 400).json(result);
  };

  const handle =
    (fn: (req: Request, res: Response) => Promise<void> | void) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        await fn(req, res);
      } catch (e) {
        if (e instanceof BadRequest) {
          res.status(400).json({ ok: false, error: { code: 'bad_request', message: e.message } });
          return;
        }
        res.status(500).json({ ok: false, error: { code: 'internal', message: (e as Error).message } });
      }
    };

  api.get(
    '/status',
    handle((_req, res) => {
      const devices = o.devices.list().filter((d) => d.kind === 'signature' || d.kind === 'printer' || d.kind === 'drawer');
      res.json({
        ok: true,
        data: {
          user: principal(res).user,
          site: o.site,
          today: businessDay(o.clock.now(), o.site.timezone),
          currency: desk.currency,
          devices: devices.map((d) => ({ id: d.id, kind: d.kind, model: d.model, state: d.state, reason: d.reason })),
        },
      });
    }),
  );

  api.get(
    '/patrons',
    handle(async (req, res) => {
      const q = typeof req.query.q === 'string' ? req.query.q : '';
      reply(res, await desk.findPatrons(q), { action: 'desk.patron.search', detail: (d) => ({ results: d.length }) });
    }),
  );

  api.get(
    '/patrons/:barcode',
    handle(async (req, res) => {
      const card = parse(barcode, req.params.barcode, 'card number');
      reply(res, await desk.patron(card), { action: 'desk.patron.view', target: card });
    }),
  );

  api.put(
    '/patrons/:barcode/attributes',
    handle(async (req, res) => {
      const card = parse(barcode, req.params.barcode, 'card number');
      const body = parse(bodies.attributes, req.body);
      reply(res, await desk.setAttributes(card, body.attributes, principal(res).user), {
        action: 'desk.patron.attributes',
        target: card,
        detail: () => ({ changed: Object.keys(body.attributes) }),
      });
    }),
  );

  api.post(
    '/patrons/:barcode/signing',
    handle(async (req, res) => {
      const card = parse(barcode, req.params.barcode, 'card number');
      const body = parse(bodies.signing, req.body);
      const user = principal(res).user;
      const started = await desk.startSigning(body.kind, card, user);
      reply(res, started, { action: `desk.sign.${body.kind}.start`, target: card, detail: (s) => ({ signing: s.id, language: s.language }) });
      if (started.ok) {
        // The outcome comes when the member confirms or cancels: its own audit record.
        void desk.signingDone(started.data.id).then((v) => {
          if (!v) return;
          audit.record({
            actor: user,
            action: `desk.sign.${body.kind}`,
            target: card,
            outcome: v.status === 'signed' ? 'ok' : v.status === 'error' ? 'error' : 'refused',
            detail: { signing: v.id, status: v.status, document: v.document?.id ?? null, emailed: v.emailed, printed: v.printed },
          });
        });
      }
    }),
  );

  api.get(
    '/signing/:id',
    handle((req, res) => {
      reply(res, desk.signing(String(req.params.id)));
    }),
  );

  api.post(
    '/signing/:id/cancel',
    handle((req, res) => {
      parse(bodies.empty, req.body);
      const result = desk.cancelSigning(String(req.params.id));
      reply(res, result, { action: 'desk.sign.cancel', target: result.ok ? result.data.patron : null, detail: (s) => ({ signing: s.id }) });
    }),
  );

  api.get(
    '/patrons/:barcode/documents',
    handle((req, res) => {
      const card = parse(barcode, req.params.barcode, 'card number');
      reply(res, { ok: true, data: desk.archive.documents(card) }, { action: 'desk.document.list', target: card });
    }),
  );

  api.get(
    '/documents/:id.pdf',
    handle((req, res) => {
      const id = Number(req.params.id);
      const doc = Number.isInteger(id) && id > 0 ? desk.document(id) : null;
      audit.record({ actor: principal(res).user, action: 'desk.document.download', target: doc?.meta.patron ?? null, outcome: doc ? 'ok' : 'refused', detail: { document: id } });
      if (!doc) {
        res.status(404).json({ ok: false, error: { code: 'not_found', message: `no document ${req.params.id}` } });
        return;
      }
      res.setHeader('Content-Type', 'application/pdf');
      res.setHeader('Content-Disposition', `inline; filename="document-${doc.meta.patron}-${doc.meta.id}.pdf"`);
      res.setHeader('X-Content-SHA256', doc.meta.sha256);
      res.send(doc.pdf);
    }),
  );

  api.get(
    '/patrons/:barcode/fees',
    handle(async (req, res) => {
      const card = parse(barcode, req.params.barcode, 'card number');
      reply(res, await desk.fees(card), { action: 'desk.fees.view', target: card });
    }),
  );

  api.post(
    '/payments',
    handle(async (req, res) => {
      const body = parse(bodies.payment, req.body);
      reply(res, await desk.pay(body, principal(res).user), {
        action: 'desk.payment',
        target: body.patron,
        detail: (p) => ({
          payment: p.payment.id,
          method: p.payment.method,
          amountMinor: p.payment.amountMinor,
          fees: p.payment.lines.map((l) => l.feeId),
          replayed: p.replayed,
          drawerOpened: p.drawer?.opened ?? null,
          printed: p.receipt.printed,
        }),
      });
    }),
  );

  api.post(
    '/drawer',
    handle(async (req, res) => {
      parse(bodies.empty, req.body);
      reply(res, await desk.kickDrawer(), { action: 'desk.drawer.open' });
    }),
  );

  api.get(
    '/closing',
    handle((req, res) => {
      const day = typeof req.query.day === 'string' && req.query.day !== '' ? req.query.day : undefined;
      reply(res, desk.closingReport(day), { action: 'desk.closing.view', detail: (c) => ({ day: c.businessDay, payments: c.totals.count }) });
    }),
  );

  api.post(
    '/closing',
    handle(async (req, res) => {
      const body = parse(bodies.closing, req.body);
      reply(res, await desk.closeDay(body.day, principal(res).user), {
        action: 'desk.closing.close',
        detail: (c) => ({ closing: c.closing.id, day: c.closing.businessDay, payments: c.closing.paymentCount, totalMinor: c.closing.totals.totalMinor }),
      });
    }),
  );

  api.use((_req: Request, res: Response) => {
    res.status(404).json({ ok: false, error: { code: 'not_found', message: 'no such desk API' } });
  });
  // Malformed JSON from express.json().
  api.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: express.NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    res.status(status).json({ ok: false, error: { code: status === 500 ? 'internal' : 'bad_request', message: err.type === 'entity.parse.failed' ? 'the body is not valid JSON' : err.message } });
  });
  r.use('/api/desk', api);
  return r;
}
