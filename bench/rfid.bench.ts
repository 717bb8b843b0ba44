/**
 * RFID benchmark: `npm run bench:rfid` (node --import tsx bench/rfid.bench.ts).
 *
 * A stack of 10 tagged library items is put on the simulated pad at once while the driver runs its
 * continuous inventory. Measured: wall time from the placement until the driver has emitted
 * `tag.arrived` with decoded item data for all 10 (inventory + data reads), for the 3M 810 and the
 * FEIG ISC driver, each over its simulator through the in-process serialport binding with real-time
 * answers (timeScale 1).
 *
 * Yardstick, computed by the simulator in the same run for the same UIDs: the time a perfect driver
 * needs — one anti-collision inventory that finds all 10 (air time from the UIDs' slot collisions),
 * then one read of the 9 data blocks per tag — plus the reader's firmware handling (1 ms a command)
 * and the protocol's request gaps (FEIG 5 ms); air-time.ts documents every number. Two modes:
 *
 *  - "air": the simulator answers after air time only (a reader on a fast USB link); the budget is
 *    air + firmware + gap. This is the air-time target of the issue.
 *  - "air+line": the simulator also models the serial line (3M 19200 8N1, FEIG 38400 8E1), which
 *    at these speeds costs more than the air; the budget includes the line time of the same frames.
 *
 * Target: measured ≤ 1.2 × the budget in both modes. PASS/FAIL per run and overall; exit code 0
 * either way (it is a measurement).
 *
 * One discarded warm-up run per reader comes first. The driver polls back to back (intervalMs 0) so the figure is the driver's own cost; the tags
 * land at a random moment of an inventory round, so up to one empty round (≈ 20 ms) is part of
 * every measurement, as it would be at the kiosk. Also printed: the duration of the round that
 * found and read the stack ("round"), and the time the simulator actually spent on the air.
 *
 * Environment: BENCH_RFID_TRIALS (5 per reader), BENCH_RFID_TAGS (10), BENCH_RFID_INTERVAL_MS (0),
 * BENCH_RFID_SEED (1).
 */
import { mulberry32 } from './common.ts';
import { performance } from 'node:perf_hooks';
import { ThreeM810Reader } from '../drivers/rfid/3m810.driver.ts';
import { ThreeM810Simulator } from '../drivers/rfid/3m810.simulator.ts';
import { FeigIscReader } from '../drivers/rfid/feig-isc.driver.ts';
import { FeigIscSimulator } from '../drivers/rfid/feig-isc.simulator.ts';
import type { RfidTag } from '../drivers/rfid/index.ts';
import { RfidPad, libraryTag, type SimTagSpec } from '../drivers/rfid/pad.simulator.ts';
import type { ReaderSimulator } from '../drivers/rfid/reader.simulator.ts';
import type { SerialRfidReader } from '../drivers/rfid/serial-reader.ts';
import { simulatorBinding } from '../drivers/rfid/simulator-binding.ts';

const TRIALS = Math.max(1, Number(process.env.BENCH_RFID_TRIALS ?? 5));
const TAGS = Math.max(1, Number(process.env.BENCH_RFID_TAGS ?? 10));
const INTERVAL_MS = Math.max(0, Number(process.env.BENCH_RFID_INTERVAL_MS ?? 0));
const SEED = Number(process.env.BENCH_RFID_SEED ?? 1);
const TARGET_RATIO = 1.2;
const BLOCKS_PER_TAG = 9; // the driver's default first read: 36 bytes

type Family = '3m' | 'feig';
type Mode = 'air' | 'air+line';

interface Trial {
  mode: Mode;
  family: Family;
  trial: number;
  decoded: number;
  elapsedMs: number;
  roundMs: number;
  budget: ReturnType<ReaderSimulator['decodeBudget']>;
  simAirMs: number;
  simTotalMs: number;
  ratio: number;
}

/** A mixed stack as a library has it: mostly ISO 28560-3, some ISO 28560-2, one 3-part kit. */
function stack(n: number): SimTagSpec[] {
  const out: SimTagSpec[] = [];
  for (let i = 0; i < n; i++) {
    const barcode = `3001${String(1000 + i).padStart(7, '0')}`;
    if (i < 3) out.push(libraryTag({ barcode: 'KIT-0001', ownerIsil: 'SI-51000', set: { partNumber: i + 1, partsInSet: 3 } }));
    else if (i % 3 === 0) out.push(libraryTag({ barcode, ownerIsil: 'SI-51000', model: 'iso28560-2' }));
    else out.push(libraryTag({ barcode, ownerIsil: 'SI-51000' }));
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function runTrial(mode: Mode, family: Family, trial: number): Promise<Trial> {
  const pad = new RfidPad({ seed: SEED * 1000 + trial });
  const simOptions = { timeScale: 1, lineTime: mode === 'air+line' };
  const sim: ReaderSimulator = family === '3m' ? new ThreeM810Simulator(pad, simOptions) : new FeigIscSimulator(pad, simOptions);
  const binding = simulatorBinding(sim);
  const path = `/dev/bench-rfid-${mode}-${family}-${trial}`;
  const reader: SerialRfidReader = family === '3m' ? new ThreeM810Reader({ path, binding }) : new FeigIscReader({ path, binding });
  const random = mulberry32(SEED * 7919 + trial);
  try {
    await reader.open();
    reader.startInventory({ intervalMs: INTERVAL_MS });
    // Let the loop settle into its rhythm on an empty pad, then drop the stack at a random moment.
    await new Promise<void>((resolve) => {
      let rounds = 0;
      const onRound = (): void => {
        if (++rounds < 3) return;
        reader.off('inventory.completed', onRound);
        resolve();
      };
      reader.on('inventory.completed', onRound);
    });
    await sleep(random() * 20);

    const arrived: RfidTag[] = [];
    let roundMs = Number.NaN;
    let placedAt = 0;
    let doneAt = 0;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${family}: only ${arrived.length} of ${TAGS} tags arrived within 10 s`)), 10_000);
      reader.on('tag.arrived', (tag) => {
        arrived.push(tag);
        if (arrived.length === TAGS) doneAt = performance.now();
      });
      reader.on('inventory.completed', (round) => {
        if (doneAt > 0 && Number.isNaN(roundMs)) {
          roundMs = round.durationMs;
          clearTimeout(timer);
          resolve();
        }
      });
    });
    sim.resetStats();
    placedAt = performance.now();
    const uids = pad.placeTags(stack(TAGS));
    await done;
    const stats = sim.stats();
    const budget = sim.decodeBudget(uids, BLOCKS_PER_TAG);
    const decoded = arrived.filter((t) => t.item !== undefined && uids.includes(t.uid)).length;
    const elapsedMs = doneAt - placedAt;
    return {
      mode,
      family,
      trial,
      decoded,
      elapsedMs,
      roundMs,
      budget,
      simAirMs: stats.airMs,
      simTotalMs: stats.totalMs,
      ratio: elapsedMs / budget.totalMs,
    };
  } finally {
    await reader.close();
  }
}

function fmt(n: number, width = 7, digits = 1): string {
  return n.toFixed(digits).padStart(width);
}

async function main(): Promise<void> {
  console.log(`RFID decode benchmark: ${TAGS} tagged items placed at once on the simulated pad`);
  console.log(
    `continuous inventory every ${INTERVAL_MS} ms, ${BLOCKS_PER_TAG} blocks read per tag, ${TRIALS} runs per reader and mode, target ≤ ${TARGET_RATIO}× budget`,
  );
  // One discarded run per reader first: module loading and JIT warm-up are not the driver's cost.
  for (const family of ['3m', 'feig'] as const) await runTrial('air', family, 0);
  const trials: Trial[] = [];
  for (const mode of ['air', 'air+line'] as const) {
    console.log('');
    console.log(
      mode === 'air'
        ? 'mode "air": answers delayed by ISO 15693 air time + firmware (serial line not modelled)'
        : 'mode "air+line": answers also wait for the serial line (3M 19200 8N1, FEIG 38400 8E1)',
    );
    console.log('reader    run  decoded  measured ms  round ms |  budget ms = air + line + firmware + gap | sim spent ms | ratio  verdict');
    for (const family of ['3m', 'feig'] as const) {
      for (let t = 1; t <= TRIALS; t++) {
        const r = await runTrial(mode, family, t);
        trials.push(r);
        const b = r.budget;
        const pass = r.ratio <= TARGET_RATIO && r.decoded === TAGS;
        console.log(
          `${(family === '3m' ? '3M 810' : 'FEIG ISC').padEnd(9)} ${String(t).padStart(3)}  ${`${r.decoded}/${TAGS}`.padStart(7)}  ${fmt(r.elapsedMs, 11)}  ${fmt(r.roundMs, 8)} | ${fmt(b.totalMs, 9)} = ${fmt(b.airMs, 5)} + ${fmt(b.lineMs, 5)} + ${fmt(b.firmwareMs, 4, 0)} + ${fmt(b.gapMs, 3, 0)}     | ${fmt(r.simTotalMs, 12)} | ${r.ratio.toFixed(3).padStart(5)}  ${pass ? 'PASS' : 'FAIL'}`,
        );
      }
    }
  }
  console.log('');
  let allPass = true;
  for (const mode of ['air', 'air+line'] as const) {
    for (const family of ['3m', 'feig'] as const) {
      const mine = trials.filter((t) => t.family === family && t.mode === mode);
      const worst = Math.max(...mine.map((t) => t.ratio));
      const median = [...mine].sort((a, b) => a.ratio - b.ratio)[Math.floor(mine.length / 2)]?.ratio ?? Number.NaN;
      const pass = worst <= TARGET_RATIO && mine.every((t) => t.decoded === TAGS);
      allPass &&= pass;
      console.log(
        `${(family === '3m' ? '3M 810' : 'FEIG ISC').padEnd(8)} ${mode.padEnd(8)}: median ${median.toFixed(3)}×, worst ${worst.toFixed(3)}× the budget (target ≤ ${TARGET_RATIO}×)  ${pass ? 'PASS' : 'FAIL'}`,
      );
    }
  }
  console.log(allPass ? 'PASS' : 'FAIL');
}

await main();
