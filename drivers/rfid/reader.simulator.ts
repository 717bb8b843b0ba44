/**
 * The device end of a simulated serial RFID reader: what both reader front-ends (3M 810, FEIG ISC)
 * share. A front-end receives the driver's bytes, splits them into frames with the protocol's own
 * splitter, answers each frame from the pad, and sends the answer after the time a real reader
 * would take (serial line time of the request, air time on the pad, firmware handling, serial line
 * time of the answer; air-time.ts), scaled by `timeScale`.
 *
 * Reader behaviour modelled on both families: a frame arriving while the reader is still busy with
 * the previous one is ignored (3M spec: "the reader ignores commands that arrive while it is busy");
 * a frame with a bad CRC gets no answer (FEIG manual: "the reader does not reply to a bad frame").
 * Line faults come from the pad: 'no-answer' swallows a request, 'crc-error' corrupts an answer,
 * 'line-noise' puts stray bytes before one.
 *
 * Transports attach through `connect()`: the in-process serialport binding (simulator-binding.ts)
 * or a PTY (pty.simulator.ts).
 */

import { performance } from 'node:perf_hooks';
import { concatBytes, type FrameSplitter } from '../../protocols/crc/index.ts';
import { addToBudget, emptyBudget, serialMs, type TimeBudget } from './air-time.ts';
import type { RfidPad } from './pad.simulator.ts';

/** The host side of a connection: where the device's bytes go. */
export interface SimulatorHost {
  data(bytes: Uint8Array): void;
  /** The device disappeared (cable pulled): the transport must fail like a real port does. */
  unplugged(reason: string): void;
}

/** The device side of a connection: where the host's bytes go. */
export interface SimulatorLink {
  write(bytes: Uint8Array): void;
  close(): void;
}

/** Anything that can sit behind a virtual serial port. */
export interface SimulatedSerialDevice {
  readonly baudRate: number;
  readonly plugged: boolean;
  /** Throws when the device is unplugged (like opening a vanished /dev/ttyUSB0). */
  connect(host: SimulatorHost): SimulatorLink;
  /** Called once when the device is plugged back in (the PTY host restarts its pair). */
  onReplug(listener: () => void): () => void;
}

export interface ReaderSimulatorOptions {
  /** Multiplies every modelled delay: 1 = real time (default); 0 = answer on the next tick. */
  timeScale?: number;
  /** Reader firmware handling time per command, ms (default 1; an assumption, see air-time.ts). */
  firmwareMs?: number;
  /**
   * Model the serial line's transfer time (default true). Off, answers wait for air time and
   * firmware only — a reader on a fast USB link; the benchmark uses it to measure against air time.
   */
  lineTime?: boolean;
}

export interface LineModel {
  baudRate: number;
  /** Start + data + parity + stop bits: 8N1 = 10, 8E1 = 11. */
  bitsPerChar: number;
  /** Quiet time the protocol requires before each request (FEIG: 5 ms), counted in budgets. */
  requestGapMs: number;
}

/** One answer to one request. */
export interface SimAnswer {
  bytes: Uint8Array;
  /** Air time in microseconds spent on the pad for this request. */
  airUs: number;
}

export interface ReaderSimulatorStats extends TimeBudget {
  requests: number;
  answered: number;
  ignoredBusy: number;
  ignoredBadFrames: number;
  swallowed: number;
  corrupted: number;
}

/** One frame as the simulator saw it: 'rx' from the host, 'tx' to the host. */
export interface SimFrameRecord {
  dir: 'rx' | 'tx';
  bytes: Uint8Array;
}

/** What the 'line-noise' fault puts before an answer: bytes that look like the start of frames. */
const LINE_NOISE = Uint8Array.of(0x00, 0xd6, 0x7f, 0x2a, 0xff);

/** How many frames `frames()` keeps. */
const FRAME_LOG_SIZE = 500;

class Connection implements SimulatorLink {
  open = true;
  busy = false;
  readonly timers = new Set<ReturnType<typeof setTimeout>>();
  constructor(
    readonly sim: ReaderSimulator,
    readonly host: SimulatorHost,
    readonly splitter: FrameSplitter,
  ) {}
  write(bytes: Uint8Array): void {
    if (!this.open) return;
    this.sim.receive(this, bytes);
  }
  close(): void {
    this.open = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.sim.detach(this);
  }
}

export abstract class ReaderSimulator implements SimulatedSerialDevice {
  readonly timeScale: number;
  readonly firmwareMs: number;
  readonly lineTime: boolean;
  private readonly connections = new Set<Connection>();
  private counters: ReaderSimulatorStats = ReaderSimulator.zeroStats();
  private frameLog: SimFrameRecord[] = [];

  protected constructor(
    readonly pad: RfidPad,
    readonly line: LineModel,
    options: ReaderSimulatorOptions = {},
  ) {
    this.timeScale = options.timeScale ?? 1;
    this.firmwareMs = options.firmwareMs ?? 1;
    this.lineTime = options.lineTime ?? true;
    pad.on('unplugged', (reason) => {
      for (const c of [...this.connections]) {
        c.close();
        c.host.unplugged(reason);
      }
    });
  }

  get baudRate(): number {
    return this.line.baudRate;
  }

  get plugged(): boolean {
    return this.pad.plugged;
  }

  connect(host: SimulatorHost): SimulatorLink {
    if (!this.pad.plugged) throw Object.assign(new Error('No such device (reader unplugged)'), { code: 'ENODEV' });
    const c = new Connection(this, host, this.createSplitter());
    this.connections.add(c);
    return c;
  }

  onReplug(listener: () => void): () => void {
    this.pad.on('plugged', listener);
    return () => this.pad.off('plugged', listener);
  }

  /** Modelled time spent since the last `resetStats()` (unscaled), with counters. */
  stats(): ReaderSimulatorStats {
    return { ...this.counters };
  }

  resetStats(): void {
    this.counters = ReaderSimulator.zeroStats();
  }

  /** The last frames received ('rx', CRC-valid requests) and sent ('tx'), oldest first. */
  frames(): SimFrameRecord[] {
    return this.frameLog.map((f) => ({ dir: f.dir, bytes: Uint8Array.from(f.bytes) }));
  }

  clearFrames(): void {
    this.frameLog = [];
  }

  /**
   * The ideal time for a driver to decode the given tags from scratch: one inventory that finds
   * them all, then one read of `blocksPerTag` blocks per tag, with this reader's frames, line and
   * firmware, plus the protocol's request gaps. The benchmark's yardstick.
   */
  abstract decodeBudget(uids: readonly string[], blocksPerTag: number): TimeBudget;

  /** The protocol's frame splitter (one per connection). */
  protected abstract createSplitter(): FrameSplitter;

  /** Answers one complete, CRC-valid request frame; undefined = the reader stays silent. */
  protected abstract answer(frame: Uint8Array): SimAnswer | undefined;

  /** Both protocols end a frame with its CRC: flipping the last byte breaks it. */
  protected corrupt(bytes: Uint8Array): Uint8Array {
    const out = Uint8Array.from(bytes);
    out[out.length - 1] = (out[out.length - 1] ?? 0) ^ 0x5a;
    return out;
  }

  /** Cost of one exchange in this reader's terms (for budgets). */
  protected exchangeBudget(requestBytes: number, answerBytes: number, airUs: number): TimeBudget {
    const b = emptyBudget();
    addToBudget(b, {
      airMs: airUs / 1000,
      lineMs: this.lineMs(requestBytes + answerBytes),
      firmwareMs: this.firmwareMs,
      gapMs: this.line.requestGapMs,
      exchanges: 1,
    });
    return b;
  }

  /** @internal (Connection) */
  receive(c: Connection, bytes: Uint8Array): void {
    for (const ev of c.splitter.push(bytes)) {
      if (ev.type === 'garbage') {
        this.counters.ignoredBadFrames++;
        continue;
      }
      this.counters.requests++;
      this.record('rx', ev.bytes);
      if (c.busy) {
        this.counters.ignoredBusy++;
        continue;
      }
      const requestLineMs = this.lineMs(ev.bytes.length);
      if (this.pad.takeLineFault('no-answer')) {
        this.counters.swallowed++;
        addToBudget(this.counters, { lineMs: requestLineMs });
        continue;
      }
      const ans = this.answer(ev.bytes);
      if (!ans) {
        addToBudget(this.counters, { lineMs: requestLineMs });
        continue;
      }
      let out = ans.bytes;
      if (this.pad.takeLineFault('crc-error')) {
        out = this.corrupt(out);
        this.counters.corrupted++;
      }
      if (this.pad.takeLineFault('line-noise')) out = concatBytes(LINE_NOISE, out);
      const lineMs = requestLineMs + this.lineMs(out.length);
      addToBudget(this.counters, { airMs: ans.airUs / 1000, lineMs, firmwareMs: this.firmwareMs, exchanges: 1 });
      this.counters.answered++;
      const delayMs = (lineMs + ans.airUs / 1000 + this.firmwareMs) * this.timeScale;
      c.busy = true;
      const deliver = (): void => {
        c.busy = false;
        if (!c.open || !this.pad.plugged) return;
        this.record('tx', out);
        c.host.data(out);
      };
      if (this.timeScale <= 0) {
        setImmediate(deliver);
      } else {
        // Node timers fire on whole milliseconds, typically up to 1 ms late: sleep until just before
        // the modelled moment, then poll the event loop, so an answer leaves when the model says.
        const due = performance.now() + delayMs;
        const wait = (): void => {
          const left = due - performance.now();
          if (!c.open || left <= 0) {
            deliver();
          } else if (left > 2) {
            const timer = setTimeout(() => {
              c.timers.delete(timer);
              wait();
            }, left - 1.5);
            c.timers.add(timer);
          } else {
            setImmediate(wait);
          }
        };
        wait();
      }
    }
  }

  private lineMs(bytes: number): number {
    return this.lineTime ? serialMs(bytes, this.line.baudRate, this.line.bitsPerChar) : 0;
  }

  private record(dir: SimFrameRecord['dir'], bytes: Uint8Array): void {
    this.frameLog.push({ dir, bytes: Uint8Array.from(bytes) });
    if (this.frameLog.length > FRAME_LOG_SIZE) this.frameLog.splice(0, this.frameLog.length - FRAME_LOG_SIZE);
  }

  /** @internal (Connection) */
  detach(c: Connection): void {
    this.connections.delete(c);
  }

  private static zeroStats(): ReaderSimulatorStats {
    return { ...emptyBudget(), requests: 0, answered: 0, ignoredBusy: 0, ignoredBadFrames: 0, swallowed: 0, corrupted: 0 };
  }
}
