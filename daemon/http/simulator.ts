/**
 * The simulator panel (issue "Device manager": a page served by the daemon at /simulator): a static
 * page (./simulator-page/, plain HTML and vanilla JS, no build step) and the JSON endpoints it calls
 * under /simulator/api/…, all backed by the typed SimulatorApi (daemon/devices/simulator-api.ts) that
 * tests use directly.
 *
 * Replies use the kiosk API's envelope: `{ ok: true, data }` or `{ ok: false, error: { code, message } }`.
 * Live updates: `GET api/events` is a server-sent event stream with one `changed` event per change
 * (`data` names what changed: devices, pad, printer, tablet, locker); the page then re-reads `api/state`.
 *
 * It is a developer and demo tool that can put anything on the pad: mount it only while devices are
 * simulated, and keep the daemon on 127.0.0.1 (the default). Commands accept JSON bodies only, so a
 * page of another origin cannot post them without a CORS preflight, which this router never grants.
 */
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { ScanSymbology } from '../../protocols/hid-pos/index.ts';
import type { CatalogueItem, CatalogueKit, CataloguePatron, SimulatorCatalogue } from '../devices/catalogue.ts';
import { SimulatorError, type SimulatorApi, type SimulatorTopic } from '../devices/simulator-api.ts';

export const SIMULATOR_PAGE_DIR = fileURLToPath(new URL('./simulator-page/', import.meta.url));

export interface SimulatorRouterOptions {
  api: SimulatorApi;
  /** Default: the API's catalogue. */
  catalogue?: SimulatorCatalogue;
  /** SSE heartbeat, ms (keeps proxies from closing an idle stream). Default 15 s. */
  heartbeatMs?: number;
}

const ERROR_STATUS: Record<SimulatorError['code'], number> = {
  bad_request: 400,
  no_device: 404,
  not_found: 404,
  not_simulated: 409,
  unplugged: 409,
  no_capture: 409,
  busy: 409,
};

const deviceRef = z.string().min(1).max(64).optional();
const bodies = {
  item: z.object({ barcode: z.string().min(1).max(64), pad: deviceRef, secured: z.boolean().optional() }).strict(),
  kit: z.object({ code: z.string().min(1).max(64), parts: z.array(z.number().int().min(1).max(99)).max(99).optional(), pad: deviceRef, secured: z.boolean().optional() }).strict(),
  card: z.object({ identifier: z.string().min(1).max(64), pad: deviceRef }).strict(),
  remove: z
    .object({ uid: z.string().min(1).max(32).optional(), barcode: z.string().min(1).max(64).optional(), pad: deviceRef })
    .strict()
    .refine((b) => b.uid !== undefined || b.barcode !== undefined, 'give uid or barcode'),
  pad: z.object({ pad: deviceRef }).strict(),
  scan: z.object({ code: z.string().min(1).max(512), symbology: z.string().min(1).max(32).optional(), scanner: deviceRef }).strict(),
  printer: z.object({ printer: deviceRef, lines: z.number().int().min(1).max(100_000).nullable().optional(), on: z.boolean().optional() }).strict(),
  tablet: z.object({ tablet: deviceRef, name: z.string().max(64).optional(), card: z.string().max(64).optional() }).strict(),
  /** A door (or a board, for board-silent) of a simulated locker. */
  locker: z
    .object({
      locker: deviceRef,
      board: z.number().int().min(0).max(15).optional(),
      lock: z.number().int().min(1).max(16).optional(),
      on: z.boolean().optional(),
    })
    .strict(),
};

class BadRequest extends Error {}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw new BadRequest(r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

function query(req: Request, name: string): string | undefined {
  const v = req.query[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Lower case, no diacritics: "cankar" finds "Cankar", "zupancic" finds "Zupančič". */
export function searchKey(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

export interface CatalogueView {
  items: CatalogueItem[];
  kits: Array<CatalogueKit & { partTitles: string[] }>;
  patrons: CataloguePatron[];
  total: { items: number; kits: number; patrons: number };
}

/** The catalogue filtered by a search text (barcode, title, author, kit code, patron name or card). */
export function filterCatalogue(catalogue: SimulatorCatalogue, q: string | undefined, limit: number): CatalogueView {
  const key = q ? searchKey(q.trim()) : '';
  const hit = (...fields: Array<string | null | undefined>): boolean => key === '' || fields.some((f) => f && searchKey(f).includes(key));
  const titles = new Map(catalogue.items.map((i) => [i.barcode, i.title]));
  const items = catalogue.items.filter((i) => hit(i.barcode, i.title, i.author, i.kit?.code, i.materialType, i.note));
  const kits = catalogue.kits.filter((k) => hit(k.code, k.title, ...k.parts));
  const patrons = catalogue.patrons.filter((p) => hit(p.barcode, p.name, p.category, p.note, ...p.altIds));
  return {
    items: items.slice(0, limit),
    kits: kits.slice(0, limit).map((k) => ({ ...k, partTitles: k.parts.map((b) => titles.get(b) ?? b) })),
    patrons: patrons.slice(0, limit),
    total: { items: items.length, kits: kits.length, patrons: patrons.length },
  };
}

export function createSimulatorRouter(options: SimulatorRouterOptions): Router {
  const { api } = options;
  const catalogue = options.catalogue ?? api.catalogue ?? { items: [], kits: [], patrons: [] };
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const router = express.Router();

  // The page uses relative URLs (api/state): "/simulator" must become "/simulator/".
  router.get('/', (req, res, next) => {
    const [path = '', search] = req.originalUrl.split('?');
    if (!path.endsWith('/')) return res.redirect(302, `${path}/${search !== undefined ? `?${search}` : ''}`);
    next();
  });
  router.use(express.static(SIMULATOR_PAGE_DIR, { index: 'index.html', fallthrough: true, maxAge: 0 }));

  const apiRouter = express.Router();
  apiRouter.use(express.json({ limit: '16kb' }));
  router.use('/api', apiRouter);

  const send = (res: Response, data: unknown): void => void res.json({ ok: true, data: data ?? null });
  const handle =
    (fn: (req: Request) => unknown | Promise<unknown>) =>
    async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        send(res, await fn(req));
      } catch (e) {
        next(e);
      }
    };

  apiRouter.get(
    '/catalogue',
    handle((req) => filterCatalogue(catalogue, query(req, 'q'), Math.min(500, Number(query(req, 'limit') ?? 100) || 100))),
  );
  apiRouter.get('/state', handle(() => api.state()));
  apiRouter.get('/devices', handle(() => api.devices()));

  apiRouter.get('/pad', handle((req) => api.listPad(opt({ pad: query(req, 'pad') }))));
  apiRouter.post(
    '/pad/items',
    handle((req) => {
      const b = parse(bodies.item, req.body);
      return api.placeItem(b.barcode, opt({ pad: b.pad, secured: b.secured }));
    }),
  );
  apiRouter.post(
    '/pad/kits',
    handle((req) => {
      const b = parse(bodies.kit, req.body);
      return api.placeKit(b.code, b.parts, opt({ pad: b.pad, secured: b.secured }));
    }),
  );
  apiRouter.post(
    '/pad/cards',
    handle((req) => {
      const b = parse(bodies.card, req.body);
      return api.placeCard(b.identifier, opt({ pad: b.pad }));
    }),
  );
  apiRouter.post(
    '/pad/remove',
    handle((req) => {
      const b = parse(bodies.remove, req.body);
      const o = opt({ pad: b.pad });
      return { removed: b.uid !== undefined ? (api.removeTag(b.uid, o) ? 1 : 0) : api.removeItem(b.barcode ?? '', o) };
    }),
  );
  apiRouter.post(
    '/pad/clear',
    handle((req) => {
      const b = parse(bodies.pad, req.body);
      api.clearPad(opt({ pad: b.pad }));
      return { cleared: true };
    }),
  );

  apiRouter.post(
    '/scan',
    handle(async (req) => {
      const b = parse(bodies.scan, req.body);
      await api.scan(b.code, opt({ scanner: b.scanner, symbology: b.symbology as ScanSymbology | undefined }));
      return { scanned: b.code };
    }),
  );

  apiRouter.get('/printer/receipts', handle((req) => api.printer.receipts(query(req, 'printer'))));
  apiRouter.get('/printer/state', handle((req) => api.printer.state(query(req, 'printer'))));
  apiRouter.post(
    '/printer/:action',
    handle((req) => {
      const b = parse(bodies.printer, req.body);
      const id = b.printer;
      const p = api.printer;
      const actions: Record<string, () => void> = {
        'paper-out': () => p.paperOut(id),
        'paper-in': () => p.paperIn(id, b.lines ?? null),
        'paper-near-end': () => p.paperNearEnd(b.on ?? true, id),
        'cover-open': () => p.openCover(id),
        'cover-close': () => p.closeCover(id),
        'drawer-close': () => p.closeDrawer(id),
        'clear-receipts': () => p.clearReceipts(id),
      };
      const action = actions[String(req.params['action'])];
      if (!action) throw new SimulatorError('not_found', `no printer action "${String(req.params['action'])}"`);
      action();
      return p.state(id);
    }),
  );

  apiRouter.get('/tablet/screen.png', (req, res, next) => {
    try {
      const png = api.tablet.screenPng(query(req, 'tablet'));
      if (!png) return void res.status(204).end();
      res.type('png').set('Cache-Control', 'no-store').send(Buffer.from(png));
    } catch (e) {
      next(e);
    }
  });
  apiRouter.post(
    '/tablet/:action',
    handle(async (req) => {
      const b = parse(bodies.tablet, req.body);
      const id = b.tablet;
      const t = api.tablet;
      switch (String(req.params['action'])) {
        case 'next':
          await t.next(id);
          break;
        case 'sign':
          await t.sign(id);
          break;
        case 'confirm':
          await t.confirm(id);
          break;
        case 'sign-and-confirm':
          await t.signAndConfirm(id);
          break;
        case 'clear':
          await t.clear(id);
          break;
        case 'cancel':
          await t.cancel(id);
          break;
        case 'test-capture':
          t.startTestCapture(id, opt({ name: b.name, card: b.card }));
          break;
        default:
          throw new SimulatorError('not_found', `no tablet action "${String(req.params['action'])}"`);
      }
      return t.state(id);
    }),
  );

  apiRouter.get('/locker/state', handle((req) => api.locker.state(query(req, 'locker'))));
  apiRouter.post(
    '/locker/:action',
    handle((req) => {
      const b = parse(bodies.locker, req.body);
      const o = opt({ locker: b.locker });
      const l = api.locker;
      const door = (): [number, number] => {
        if (b.board === undefined || b.lock === undefined) throw new BadRequest('give board (0–15) and lock (1–16) of the door');
        return [b.board, b.lock];
      };
      const board = (): number => {
        if (b.board === undefined) throw new BadRequest('give board (0–15)');
        return b.board;
      };
      const actions: Record<string, () => void> = {
        'close-door': () => l.closeDoor(...door(), o),
        'force-open': () => l.forceOpen(...door(), o),
        jam: () => l.jam(...door(), b.on ?? true, o),
        'board-silent': () => l.setBoardSilent(board(), b.on ?? true, o),
        'corrupt-reply': () => l.corruptNextReply(o),
      };
      const action = actions[String(req.params['action'])];
      if (!action) throw new SimulatorError('not_found', `no locker action "${String(req.params['action'])}"`);
      action();
      return l.state(b.locker);
    }),
  );

  apiRouter.post(
    '/devices/:id/:action',
    handle(async (req) => {
      const id = String(req.params['id']);
      switch (String(req.params['action'])) {
        case 'unplug':
          api.unplug(id);
          break;
        case 'replug':
          await api.replug(id);
          break;
        case 'retry':
          api.manager.retryNow(id);
          break;
        default:
          throw new SimulatorError('not_found', `no device action "${String(req.params['action'])}"`);
      }
      return api.manager.status(id) ?? null;
    }),
  );

  apiRouter.get('/events', (req, res) => {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const onChange = (topic: SimulatorTopic): void => void res.write(`event: changed\ndata: ${JSON.stringify(topic)}\n\n`);
    api.on('changed', onChange);
    const beat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
    beat.unref();
    req.on('close', () => {
      clearInterval(beat);
      api.off('changed', onChange);
    });
  });

  apiRouter.use((_req, res) => void res.status(404).json({ ok: false, error: { code: 'not_found', message: 'no such simulator endpoint' } }));
  apiRouter.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof SimulatorError) return void res.status(ERROR_STATUS[err.code]).json({ ok: false, error: { code: err.code, message: err.message } });
    if (err instanceof BadRequest) return void res.status(400).json({ ok: false, error: { code: 'bad_request', message: err.message } });
    // express.json's own errors (malformed JSON, too large) carry a status.
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return void res.status(status).json({ ok: false, error: { code: 'bad_request', message: (err as Error).message } });
    }
    res.status(500).json({ ok: false, error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } });
  });

  return router;
}

/** Drops undefined fields (the API's options are exact). */
function opt<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}
