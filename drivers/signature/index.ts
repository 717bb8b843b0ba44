/**
 * Signature tablets (DESIGN.md "Drivers": signature `capture(pages)` returning pen strokes), domain.md
 * §9.3: the tablet shows the member's data and declaration as pages of text (`<page>` separates pages,
 * `<fontsize=nn>` keeps a passage on one page), the member pages through, signs in the box on the
 * last page and confirms (green tick), clears and retries (blue arrows) or cancels (red cross).
 *
 * Two families: Wacom STU over HID (./wacom-stu.driver.ts; the kiosk draws the pages and buttons) and
 * signotec pads through signotec's STPadServer WebSocket API (./signotec.driver.ts; the pad draws its
 * own dialog and hardware-like buttons).
 *
 * A patron cancelling or walking away is an expected outcome, so `capture` returns it as data; only
 * a device failure (unplugged, server gone) rejects with a DeviceError.
 */
import {
  type Stroke,
  type TabletPage,
  type TabletVariables,
  renderSignatureSvg,
  renderTabletText,
} from '../../protocols/signature/index.ts';
import type { BaseDeviceEvents, Device } from '../device.ts';
import { renderSignaturePng } from './raster.ts';

export interface TabletLabels {
  next: string;
  back: string;
  clear: string;
  cancel: string;
  ok: string;
  /** Caption under the signing box. */
  signHere: string;
}

export const TABLET_LABELS: Readonly<Record<'en' | 'sl' | 'lv' | 'hu', TabletLabels>> = {
  en: { next: 'Next >', back: '< Back', clear: 'Clear', cancel: 'Cancel', ok: 'OK', signHere: 'Signature' },
  sl: { next: 'Naprej >', back: '< Nazaj', clear: 'Pobriši', cancel: 'Prekliči', ok: 'Potrdi', signHere: 'Podpis' },
  lv: { next: 'Tālāk >', back: '< Atpakaļ', clear: 'Notīrīt', cancel: 'Atcelt', ok: 'Apstiprināt', signHere: 'Paraksts' },
  hu: { next: 'Tovább >', back: '< Vissza', clear: 'Törlés', cancel: 'Mégse', ok: 'Jóváhagyás', signHere: 'Aláírás' },
};

export function tabletLabels(language = 'en', overrides: Partial<TabletLabels> = {}): TabletLabels {
  const base = language.toLowerCase().split(/[-_]/)[0] ?? 'en';
  const labels = TABLET_LABELS[base as keyof typeof TABLET_LABELS] ?? TABLET_LABELS.en;
  return { ...labels, ...overrides };
}

/** Pages to show: a template with the markup (and `%variables%`), or pages already parsed. */
export type SignaturePagesInput = string | readonly TabletPage[];

export interface CaptureOptions {
  /** Values for `%name%` variables when `pages` is a template. */
  vars?: TabletVariables;
  /** Language of the button labels (Wacom STU). Default en. */
  language?: string;
  labels?: Partial<TabletLabels>;
  /** The patron has this long for all pages and the signature. Default 180 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface SignedCapture {
  status: 'signed';
  /** Pen strokes in the signing box's coordinates (pixels, origin top-left), pressure 0…1, t in ms from the first point. */
  strokes: Stroke[];
  pointCount: number;
  /** Size of the signing box (the coordinate space of `strokes`). */
  width: number;
  height: number;
  /** Pressure-weighted SVG of the strokes. */
  svg: string;
  /** PNG rendering (transparent background) of the strokes. */
  png: Uint8Array;
  pagesShown: number;
  durationMs: number;
  /** Device model, e.g. "STU-540" or "signotec Omega". */
  device: string;
  /** The device's own rendering when it gives one (signotec returns a PNG); null otherwise. */
  devicePng: Uint8Array | null;
}

export type CaptureResult = SignedCapture | { status: 'cancelled' | 'timeout'; pagesShown: number };

export interface SignatureEvents extends BaseDeviceEvents {
  /** A page is on the tablet (index 0-based; the last page is the signing page). */
  'signature.page': [{ index: number; count: number; signing: boolean }];
  /** The patron cleared the signature to sign again. */
  'signature.cleared': [];
}

export interface SignatureTablet extends Device<SignatureEvents> {
  capture(pages: SignaturePagesInput, options?: CaptureOptions): Promise<CaptureResult>;
}

export function resolvePages(input: SignaturePagesInput, vars: TabletVariables = {}): TabletPage[] {
  const pages = typeof input === 'string' ? renderTabletText(input, vars) : [...input];
  // Nothing to read: the signing page alone.
  return pages.length > 0 ? pages : [{ blocks: [] }];
}

/** Strokes with t counted from the first point. */
export function normaliseTimes(strokes: readonly Stroke[]): Stroke[] {
  const first = strokes[0]?.points[0]?.t ?? 0;
  return strokes.map((s) => ({ points: s.points.map((p) => ({ ...p, t: p.t - first })) }));
}

export function signatureArtifacts(strokes: readonly Stroke[], width: number, height: number): { svg: string; png: Uint8Array } {
  return {
    svg: renderSignatureSvg(strokes, { width: Math.round(width), height: Math.round(height), pressureWidth: { min: 1, max: 4 } }),
    png: renderSignaturePng(strokes, { width: Math.round(width), height: Math.round(height) }),
  };
}
