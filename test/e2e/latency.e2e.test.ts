/**
 * Measurement: a tag put on the simulated pad → the item shown on the kiosk screen, over 50
 * placements (p50/p95 printed; the target is p95 < 300 ms). The clock starts when the tag lands on
 * the simulated pad (the pad's own event) and stops when the item's row is in the page's DOM (a
 * MutationObserver in the page); both sides read the same wall clock (performance.timeOrigin + now,
 * the global `performance` on both sides: page functions must not refer to imports).
 * The path measured is the product's: the 3M 810 reader at real timing, its driver's inventory,
 * the pad model's catalogue lookup, socket.io, the machine and React.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoCatalogue } from '../../daemon/devices/catalogue.ts';
import { chromiumAvailable, ensureUiBuilt, launchChromium, loginWithCard, openKiosk, startE2eKiosk, type E2eKiosk } from './harness.ts';

const PLACEMENTS = 50;
const TARGET_P95_MS = 300;

let kiosk: E2eKiosk;
let browser: Browser;

beforeAll(async () => {
  await ensureUiBuilt();
  kiosk = await startE2eKiosk();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await kiosk?.close();
});

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

describe.skipIf(!chromiumAvailable())('pad → screen latency', () => {
  it(`a tag placed on the pad is shown on screen: p95 under ${TARGET_P95_MS} ms over ${PLACEMENTS} placements`, async () => {
    const items = loadDemoCatalogue()
      .items.filter((i) => !i.kit && !i.onLoanTo && !i.note && i.department === '01')
      .slice(0, PLACEMENTS);
    expect(items).toHaveLength(PLACEMENTS);
    const pad = kiosk.daemon.devices.simulator('rfid')?.pad;
    if (!pad) throw new Error('no simulated pad');

    const p = await openKiosk(browser, kiosk);
    await loginWithCard(p, kiosk.sim, '0100012'); // staff card: no loan limit gets in the way
    await p.getByRole('button', { name: 'Borrow', exact: true }).click();
    await p.locator('[data-screen="borrow"]').waitFor();
    await p.evaluate(() => {
      const w = window as unknown as { __seen: Record<string, number> };
      w.__seen = {};
      new MutationObserver(() => {
        document.querySelectorAll<HTMLElement>('.item-list li[data-barcode]').forEach((el) => {
          const b = el.dataset.barcode!;
          if (!(b in w.__seen)) w.__seen[b] = performance.timeOrigin + performance.now();
        });
      }).observe(document.body, { subtree: true, childList: true });
    });

    const latencies: number[] = [];
    /** The part after the daemon knew the item (its pad model reported it resolved): socket, machine, React. */
    const uiPart: number[] = [];
    /** Placed → the RFID driver reported the tag (reader timing and inventory interval). */
    const readerPart: number[] = [];
    const reader = kiosk.daemon.devices.rfid();
    for (const item of items) {
      let placedAt = 0;
      let resolvedAt = 0;
      let arrivedAt = 0;
      const onArrived = (t: { item?: { primaryItemId?: string } | null }) => {
        if (arrivedAt === 0 && t.item?.primaryItemId === item.barcode) arrivedAt = performance.timeOrigin + performance.now();
      };
      reader?.on('tag.arrived', onArrived);
      const onPlaced = () => {
        if (placedAt === 0) placedAt = performance.timeOrigin + performance.now();
      };
      const onResolved = (st: { entries: Array<{ kind: string; barcode: string | null }> }) => {
        if (resolvedAt === 0 && st.entries.some((e) => e.kind === 'item' && e.barcode === item.barcode)) resolvedAt = performance.timeOrigin + performance.now();
      };
      pad.on('tags.changed', onPlaced);
      kiosk.daemon.pad.on('changed', onResolved);
      await kiosk.sim.placeItem(item.barcode);
      pad.off('tags.changed', onPlaced);
      await p.waitForFunction((b) => b in (window as unknown as { __seen: Record<string, number> }).__seen, item.barcode, { polling: 'raf', timeout: 5000 });
      const seenAt = await p.evaluate((b) => (window as unknown as { __seen: Record<string, number> }).__seen[b]!, item.barcode);
      kiosk.daemon.pad.off('changed', onResolved);
      reader?.off('tag.arrived', onArrived);
      if (arrivedAt) readerPart.push(arrivedAt - placedAt);
      latencies.push(seenAt - placedAt);
      if (resolvedAt) uiPart.push(seenAt - resolvedAt);
      // Take it off again (the next placement starts from an empty pad, as a patron's would).
      kiosk.sim.removeItem(item.barcode);
      await p.waitForTimeout(50);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p95 = percentile(sorted, 95);
    const figures = `pad → screen over ${latencies.length} placements: p50 ${p50.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms (target p95 < ${TARGET_P95_MS} ms)`;
    const ui = [...uiPart].sort((a, b) => a - b);
    console.log(figures);
    const rd = [...readerPart].sort((a, b) => a - b);
    console.log(`  placed → RFID driver's tag.arrived: p50 ${percentile(rd, 50).toFixed(0)} ms, p95 ${percentile(rd, 95).toFixed(0)} ms`);
    console.log(`  item resolved by the daemon's pad model → on screen: p50 ${percentile(ui, 50).toFixed(0)} ms, p95 ${percentile(ui, 95).toFixed(0)} ms`);
    await p.close();
    await kiosk.reset();
    expect(p95, figures).toBeLessThan(TARGET_P95_MS);
  }, 120_000);
});
