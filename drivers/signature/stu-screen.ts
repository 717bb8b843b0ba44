/**
 * What the kiosk draws on a Wacom STU screen: a page of text (blocks at their `<fontsize>`), a row of
 * buttons at the bottom, and on the last page the signing box. The STU has no buttons of its own, so
 * a pen tap inside a drawn button is the button press. The layout is a pure function of the screen
 * size, shared by the driver (hit testing) and the simulator (where to tap).
 *
 * Font sizes: `<fontsize=nn>` is read as points relative to a default of 12 at the screen's default
 * scale (3 on the 800-px STU-540, 1 on the 320-px STU-430). Text that does not fit is cut off at the
 * bottom, as on the COBISS tablet ("if text is cut off, move <page> up", domain.md §9.3).
 */
import type { TabletPage } from '../../protocols/signature/index.ts';
import type { TabletLabels } from './index.ts';
import { BLACK, columnsFor, lineHeightFor, type Rect, type Rgb, RgbBitmap, WHITE, wrapForFont } from './raster.ts';
import { CELL_HEIGHT, CELL_WIDTH, fontCharacters } from './font.ts';

export type StuButton = 'back' | 'next' | 'clear' | 'cancel' | 'ok';

export interface StuLayout {
  width: number;
  height: number;
  signing: boolean;
  /** Where text goes. */
  text: Rect;
  /** The signing box (only on the signing page). */
  signatureBox: Rect | null;
  /** Every button slot; 'back' is drawn and active only from the second page on. */
  buttons: Array<{ id: StuButton; rect: Rect }>;
}

const GREY: Rgb = [150, 150, 150];
const LIGHT: Rgb = [235, 235, 235];

export function defaultTextScale(width: number): number {
  return Math.max(1, Math.round(width / 266));
}

/** The layout of a reading page or the signing page. Button positions do not depend on the page number. */
export function stuLayout(width: number, height: number, signing: boolean): StuLayout {
  const margin = Math.max(4, Math.round(width / 80));
  const barHeight = Math.max(24, Math.round(height * 0.13));
  const barTop = height - barHeight - margin;
  const ids: StuButton[] = signing ? ['back', 'clear', 'cancel', 'ok'] : ['back', 'cancel', 'next'];
  const gap = margin;
  const buttonWidth = Math.floor((width - 2 * margin - gap * (ids.length - 1)) / ids.length);
  const buttons = ids.map((id, k) => ({ id, rect: { x: margin + k * (buttonWidth + gap), y: barTop, width: buttonWidth, height: barHeight } }));
  if (!signing) {
    return { width, height, signing, text: { x: margin, y: margin, width: width - 2 * margin, height: barTop - 2 * margin }, signatureBox: null, buttons };
  }
  const boxTop = Math.round(height * 0.45);
  return {
    width,
    height,
    signing,
    text: { x: margin, y: margin, width: width - 2 * margin, height: boxTop - 2 * margin },
    signatureBox: { x: margin, y: boxTop, width: width - 2 * margin, height: barTop - margin - boxTop },
    buttons,
  };
}

export function buttonAt(layout: StuLayout, x: number, y: number, pageIndex = 1): StuButton | null {
  for (const b of layout.buttons) {
    if (b.id === 'back' && pageIndex === 0) continue;
    if (x >= b.rect.x && x < b.rect.x + b.rect.width && y >= b.rect.y && y < b.rect.y + b.rect.height) return b.id;
  }
  return null;
}

export interface StuPageDrawing {
  page: TabletPage;
  index: number;
  count: number;
  labels: TabletLabels;
}

/** Draw a page (text, page number, buttons, signing box) for the STU screen. */
export function drawStuPage(layout: StuLayout, drawing: StuPageDrawing): RgbBitmap {
  const bitmap = new RgbBitmap(layout.width, layout.height, WHITE);
  const base = defaultTextScale(layout.width);
  const indicator = drawing.count > 1 ? `${drawing.index + 1}/${drawing.count}` : '';
  const indicatorScale = Math.max(1, base - 1);
  const indicatorWidth = indicator ? (fontCharacters(indicator).length + 1) * CELL_WIDTH * indicatorScale : 0;
  // Text keeps clear of the page number in the top right corner.
  const textWidth = layout.text.width - indicatorWidth;
  let y = layout.text.y;
  const bottom = layout.text.y + layout.text.height;
  outer: for (const block of drawing.page.blocks) {
    const scale = block.fontSize === null ? base : Math.max(1, Math.round((block.fontSize * base) / 12));
    const columns = columnsFor(textWidth, scale);
    for (const raw of block.lines) {
      for (const line of raw.trim() === '' ? [''] : wrapForFont(raw, columns)) {
        if (y + lineHeightFor(scale) > bottom) break outer;
        bitmap.drawText(layout.text.x, y, line, scale, BLACK);
        y += lineHeightFor(scale);
      }
    }
    y += Math.round(lineHeightFor(scale) / 2);
  }
  if (indicator) {
    const x = layout.width - layout.text.x - fontCharacters(indicator).length * CELL_WIDTH * indicatorScale;
    bitmap.drawText(x, layout.text.y, indicator, indicatorScale, GREY);
  }
  if (layout.signatureBox) {
    const box = layout.signatureBox;
    bitmap.fillRect(box, LIGHT);
    bitmap.strokeRect(box, GREY, 1);
    const lineY = box.y + Math.round(box.height * 0.75);
    bitmap.fillRect({ x: box.x + 10, y: lineY, width: box.width - 20, height: 1 }, GREY);
    const scale = Math.max(1, base - 1);
    bitmap.drawText(box.x + 10, lineY + 4, drawing.labels.signHere, scale, GREY);
  }
  for (const button of layout.buttons) {
    if (button.id === 'back' && drawing.index === 0) continue;
    const r = button.rect;
    bitmap.strokeRect(r, BLACK, Math.max(1, Math.round(base / 2)));
    const label = drawing.labels[button.id];
    const chars = Math.max(1, fontCharacters(label).length);
    // Largest scale at which the label fits the button both ways.
    const scale = Math.max(1, Math.min(base, Math.floor((r.height - 4) / CELL_HEIGHT), Math.floor((r.width - 8) / (chars * CELL_WIDTH))));
    const widthPx = fontCharacters(label).length * CELL_WIDTH * scale;
    bitmap.drawText(r.x + Math.max(2, Math.round((r.width - widthPx) / 2)), r.y + Math.round((r.height - CELL_HEIGHT * scale) / 2), label, scale, BLACK);
  }
  return bitmap;
}
