/**
 * The staff desk (issue 6, "Staff pairing of RFID pads to desk PCs"):
 *
 *  - GET /staff — the page (./staff-page/, plain HTML/JS/CSS, no build step), staff login required;
 *    /staff/socket.io.min.js is socket.io's own browser client from node_modules;
 *  - POST /staff/api/pair {code, desk} — pairs this desk PC with the pad, answers the token once;
 *  - GET /api/admin/pairing and POST /api/admin/pairing/:id/revoke — for the admin page;
 *  - socket.io namespace /staff — needs BOTH a staff session (cookie) and a live pairing token
 *    (handshake `auth.token`). It streams the pad (`pad`) and runs the staff commands, each checked
 *    against the pairing again, audited, and answered through the acknowledgement with an envelope
 *    `{ok:true, data} | {ok:false, error:{code, message}}`.
 *
 * A socket whose pairing ends (admin revoke, unpair, another desk paired, expiry) gets
 * `pairing.ended` with the reason and is disconnected.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { Namespace, Server, Socket } from 'socket.io';
import { z } from 'zod';
import type { StaffPrincipal, StaffRole } from '../auth/index.ts';
import type { AuditEvent } from '../auth/audit.ts';
import { Desk, DeskError, type DeskOutcome, type DeskTagView } from '../pairing/desk.ts';
import type { EndReason, PairingService, PairingView } from '../pairing/service.ts';
import type { KeyboardWedge } from '../pairing/wedge.ts';

export const STAFF_PAGE_DIR = fileURLToPath(new URL('./staff-page/', import.meta.url));

/** socket.io's browser bundle, shipped inside the socket.io package (a runtime dependency). */
export function socketIoClientFile(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('socket.io')), '..', 'client-dist', 'socket.io.min.js');
}

/** The parts of daemon/auth this module uses (see notes/auth-contract.md). */
export interface StaffAuth {
  requirePage(role: StaffRole): RequestHandler;
  requireApi(role: StaffRole): RequestHandler;
  socketGuard(role: StaffRole): (socket: Socket, next: (err?: Error) => void) => void;
}

export interface StaffDeps {
  auth: StaffAuth;
  audit: { record(e: AuditEvent): void };
  pairing: PairingService;
  desk: Desk;
  wedge: KeyboardWedge;
  site: { name: string; isil: string };
  logger: Logger;
}

type Envelope<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

const REASON_TEXT: Record<EndReason, string> = {
  admin: 'An administrator ended this desk’s pairing.',
  unpaired: 'This desk was unpaired.',
  replaced: 'Another desk was paired with the pad; a pad serves one desk at a time.',
  expired: 'The pairing expired; pair again with the code the pad shows now.',
};

// Generous bounds: the pairing service checks the code and the desk name (1–40 characters) with its own messages.
const pairBody = z.object({ code: z.string().max(200), desk: z.string().max(200) }).strict();

function principalOf(res: Response): StaffPrincipal {
  return res.locals.principal as StaffPrincipal;
}

function remoteOf(req: Request): string | null {
  return req.socket.remoteAddress ?? null;
}

/** GET /staff, its files, and POST /staff/api/pair. Mounted at /staff. */
export function createStaffRouter(d: StaffDeps): express.Router {
  const r = express.Router();
  const clientFile = socketIoClientFile();
  r.get('/', d.auth.requirePage('staff'), (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.sendFile(join(STAFF_PAGE_DIR, 'index.html'));
  });
  r.get('/socket.io.min.js', (_req, res) => res.sendFile(clientFile));
  r.use('/assets', express.static(STAFF_PAGE_DIR, { index: false, fallthrough: false }));
  r.post('/api/pair', d.auth.requireApi('staff'), express.json({ limit: '4kb' }), async (req, res) => {
    const who = principalOf(res);
    const parsed = pairBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      d.audit.record({ actor: who.user, action: 'pairing.pair', outcome: 'refused', detail: { reason: 'invalid_request' } });
      res.status(400).json({ ok: false, error: { code: 'invalid_request', message: 'Send JSON {"code": "…", "desk": "…"}.' } });
      return;
    }
    const out = await d.pairing.pair({ code: parsed.data.code, desk: parsed.data.desk, user: who.user, sessionId: who.sessionId, remoteAddress: remoteOf(req) });
    if (!out.ok) {
      res.status(out.code === 'bad_desk' ? 400 : 403).json({ ok: false, error: { code: out.code, message: out.message } });
      return;
    }
    res.json({
      ok: true,
      data: {
        token: out.token,
        pairing: out.pairing,
        replaced: out.replaced.map((p) => ({ id: p.id, desk: p.desk, user: p.user })),
      },
    });
  });
  return r;
}

/** GET /api/admin/pairing, POST /api/admin/pairing/:id/revoke. Mounted at /api/admin/pairing. */
export function createAdminPairingRouter(d: Pick<StaffDeps, 'auth' | 'pairing'>): express.Router {
  const r = express.Router();
  r.get('/', d.auth.requireApi('admin'), (_req, res) => {
    res.json(d.pairing.adminView());
  });
  r.post('/:id/revoke', d.auth.requireApi('admin'), async (req, res) => {
    const id = Number(req.params.id);
    if (!Number.isInteger(id) || id < 1) {
      res.status(400).json({ ok: false, error: { code: 'invalid_request', message: `"${req.params.id}" is not a pairing id (a whole number from 1; see GET /api/admin/pairing)` } });
      return;
    }
    const ended = await d.pairing.revoke(id, { user: principalOf(res).user, reason: 'admin' });
    if (!ended) {
      res.status(404).json({ ok: false, error: { code: 'not_found', message: `pairing ${id} is not live (already ended, expired or never made)` } });
      return;
    }
    res.json({ ok: true, data: { revoked: ended.id, desk: ended.desk } });
  });
  return r;
}

// ---------------------------------------------------------------------------------- socket.io

const uid = z.string().regex(/^[0-9A-Fa-f]{16}$/, 'a tag UID is 16 hex digits');
const barcode = z.string().trim().min(1, 'no barcode').max(32);
const key = z.string().min(1).max(100);
const model = z.enum(['iso28560-3', 'iso28560-2', '3m-501']);
const commands = {
  'item.checkout': z.object({ key, barcode, patron: z.string().trim().min(1, 'enter the patron’s card number').max(32) }).strict(),
  'item.checkin': z.object({ key, barcode }).strict(),
  'tag.security': z.object({ uid, secured: z.boolean() }).strict(),
  'tag.program': z
    .object({
      uid,
      barcode,
      partNumber: z.number().int().min(1).max(255).optional(),
      partsInSet: z.number().int().min(1).max(255).optional(),
      ownerLibrary: z.string().trim().max(16).optional(),
      model: model.optional(),
      overwrite: z.boolean().optional(),
    })
    .strict(),
  'tag.convert': z.object({ uid, model }).strict(),
  'barcode.copied': z.object({ barcode, via: z.enum(['clipboard', 'selection']) }).strict(),
  'wedge.type': z.object({ barcode }).strict(),
  'pairing.unpair': z.object({}).strict(),
} as const;
type CommandName = keyof typeof commands;

interface StaffSocketData {
  principal: StaffPrincipal;
  pairingId: number;
}

function outcomeAudit(o: DeskOutcome): 'ok' | 'refused' | 'error' {
  return o.status === 'done' ? 'ok' : o.status === 'refused' ? 'refused' : 'error';
}

export function attachStaffSocket(io: Server, d: StaffDeps): Namespace {
  const ns = io.of('/staff');
  const log = d.logger.child({ component: 'staff-socket' });
  ns.use(d.auth.socketGuard('staff'));
  // The second key: a live pairing token. A staff login alone sees nothing of the pad.
  ns.use((socket, next) => {
    const principal = socket.data.principal as StaffPrincipal;
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    const p = d.pairing.verify(token);
    if (!p) {
      d.audit.record({ actor: principal.user, action: 'staff.connect', outcome: 'refused', detail: { reason: token ? 'pairing_invalid' : 'pairing_required', pad: d.pairing.pad } });
      const err = new Error('pairing_required') as Error & { data?: unknown };
      err.data = { code: 'pairing_required', message: token ? 'This desk’s pairing has ended; pair again with the code the pad shows.' : 'Pair this desk with the pad first.' };
      next(err);
      return;
    }
    (socket.data as StaffSocketData).pairingId = p.id;
    next();
  });

  d.desk.on('changed', (view) => ns.emit('pad', view));
  d.pairing.on('ended', (p: PairingView, reason: EndReason) => {
    const room = ns.in(`pairing:${p.id}`);
    room.emit('pairing.ended', { reason, message: REASON_TEXT[reason] });
    // Give the message a moment to leave before the socket closes.
    setTimeout(() => room.disconnectSockets(true), 50).unref();
  });

  ns.on('connection', (socket) => {
    const data = socket.data as StaffSocketData;
    const remote = socket.handshake.address ?? null;
    void socket.join(`pairing:${data.pairingId}`);
    d.desk.setWatching(true);
    socket.on('disconnect', () => d.desk.setWatching(false));
    const pairing = d.pairing.get(data.pairingId);
    socket.emit('state', {
      user: data.principal.user,
      role: data.principal.role,
      pairing,
      pad: d.desk.view(),
      site: d.site,
      wedge: d.wedge.status(remote),
    });

    /** The block lock after a programming is its own audit row: a refused lock is an error, never hidden in an "ok". */
    const auditLock = (actor: string, t: DeskTagView): void => {
      const l = t.lock;
      if (!l) return;
      d.audit.record({
        actor,
        action: 'staff.tag.lock',
        target: t.uid,
        outcome: l.status === 'done' ? 'ok' : 'error',
        detail: { barcode: t.barcode, policy: l.policy, requested: l.requested, locked: l.locked, alreadyLocked: l.alreadyLocked, failed: l.failed },
      });
    };

    const run = async (name: CommandName, args: unknown): Promise<Envelope<unknown>> => {
      const actor = data.principal.user;
      const action = `staff.${name}`;
      const parsed = commands[name].safeParse(args ?? {});
      if (!parsed.success) {
        d.audit.record({ actor, action, outcome: 'refused', detail: { reason: 'invalid_request' } });
        return { ok: false, error: { code: 'invalid_request', message: parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ') } };
      }
      // Every action needs the pairing to be live NOW (not only when the socket connected).
      if (!d.pairing.isLive(data.pairingId)) {
        d.audit.record({ actor, action, outcome: 'refused', detail: { reason: 'pairing_ended', pairing: data.pairingId } });
        setTimeout(() => socket.disconnect(true), 50).unref();
        return { ok: false, error: { code: 'pairing_ended', message: 'This desk’s pairing has ended; pair again.' } };
      }
      const a = parsed.data as Record<string, unknown>;
      try {
        switch (name) {
          case 'item.checkout': {
            const o = await d.desk.checkout(a as { key: string; barcode: string; patron: string });
            d.audit.record({ actor, action, target: o.barcode, outcome: outcomeAudit(o), detail: { patron: a.patron, status: o.status, reason: o.reason, dueDate: o.dueDate, units: o.units, problems: o.problems } });
            return { ok: true, data: o };
          }
          case 'item.checkin': {
            const o = await d.desk.checkin(a as { key: string; barcode: string });
            d.audit.record({ actor, action, target: o.barcode, outcome: outcomeAudit(o), detail: { status: o.status, reason: o.reason, units: o.units, problems: o.problems } });
            return { ok: true, data: o };
          }
          case 'tag.security': {
            const t = await d.desk.setSecurity(a.uid as string, a.secured as boolean);
            d.audit.record({ actor, action, target: t.uid, outcome: 'ok', detail: { barcode: t.barcode, secured: a.secured, afi: t.security?.afi, eas: t.security?.eas } });
            return { ok: true, data: t };
          }
          case 'tag.program': {
            const t = await d.desk.program(a as unknown as Parameters<Desk['program']>[0]);
            d.audit.record({ actor, action, target: t.uid, outcome: 'ok', detail: { barcode: t.barcode, model: t.model, setInfo: t.setInfo, ownerLibrary: t.ownerLibrary, overwrite: !!a.overwrite, lock: t.lock?.status ?? 'none' } });
            auditLock(actor, t);
            return { ok: true, data: t };
          }
          case 'tag.convert': {
            const t = await d.desk.convert(a.uid as string, a.model as 'iso28560-3');
            d.audit.record({ actor, action, target: t.uid, outcome: 'ok', detail: { barcode: t.barcode, model: t.model, lock: t.lock?.status ?? 'none' } });
            auditLock(actor, t);
            return { ok: true, data: t };
          }
          case 'barcode.copied': {
            d.audit.record({ actor, action, target: a.barcode as string, outcome: 'ok', detail: { via: a.via } });
            return { ok: true, data: { recorded: true } };
          }
          case 'wedge.type': {
            const st = d.wedge.status(remote);
            if (!st.available) {
              d.audit.record({ actor, action, target: a.barcode as string, outcome: 'refused', detail: { reason: st.reason } });
              return { ok: false, error: { code: 'wedge_unavailable', message: st.reason } };
            }
            await d.wedge.type(a.barcode as string, remote);
            d.audit.record({ actor, action, target: a.barcode as string, outcome: 'ok' });
            return { ok: true, data: { typed: true } };
          }
          case 'pairing.unpair': {
            const ended = await d.pairing.revoke(data.pairingId, { user: actor, reason: 'unpaired' });
            return ended ? { ok: true, data: { unpaired: ended.id } } : { ok: false, error: { code: 'pairing_ended', message: 'This desk was not paired any more.' } };
          }
        }
      } catch (e) {
        const code = e instanceof DeskError ? e.code : 'internal_error';
        const message = e instanceof DeskError ? e.message : 'the daemon could not do that; see its log';
        if (!(e instanceof DeskError)) log.error({ err: e, command: name }, 'staff command failed');
        d.audit.record({ actor, action, target: (a.uid as string | undefined) ?? (a.barcode as string | undefined) ?? null, outcome: e instanceof DeskError ? 'refused' : 'error', detail: { code, message } });
        return { ok: false, error: { code, message } };
      }
    };

    for (const name of Object.keys(commands) as CommandName[]) {
      socket.on(name, (args: unknown, ack: unknown) => {
        const reply = typeof ack === 'function' ? (ack as (e: Envelope<unknown>) => void) : () => undefined;
        void run(name, args).then(reply);
      });
    }
  });
  return ns;
}
