/**
 * Builds an RFID reader driver (and, for the demo and tests, its simulator) from a family name, so
 * the daemon's composition root can go from config to a driver without knowing the classes.
 *
 *   const pad = new RfidPad();
 *   const sim = createRfidSimulator('3m810', pad);
 *   const reader = createRfidReader({ family: '3m810', path: '/dev/sim-rfid', binding: simulatorBinding(sim) });
 */

import { ThreeM810Reader, type ThreeM810Options } from './3m810.driver.ts';
import { ThreeM810Simulator, type ThreeM810SimulatorOptions } from './3m810.simulator.ts';
import { FeigIscReader, type FeigIscOptions } from './feig-isc.driver.ts';
import { FeigIscSimulator, type FeigIscSimulatorOptions } from './feig-isc.simulator.ts';
import type { RfidReader } from './index.ts';
import type { RfidPad } from './pad.simulator.ts';
import type { ReaderSimulator } from './reader.simulator.ts';

export type RfidFamily = '3m810' | 'feig-isc';

export const RFID_FAMILIES: readonly RfidFamily[] = ['3m810', 'feig-isc'];

export type RfidReaderConfig = ({ family: '3m810' } & ThreeM810Options) | ({ family: 'feig-isc' } & FeigIscOptions);

export function createRfidReader(config: RfidReaderConfig): RfidReader {
  const { family, ...options } = config;
  return family === '3m810' ? new ThreeM810Reader(options) : new FeigIscReader(options);
}

export function createRfidSimulator(
  family: RfidFamily,
  pad: RfidPad,
  options: ThreeM810SimulatorOptions & FeigIscSimulatorOptions = {},
): ReaderSimulator {
  return family === '3m810' ? new ThreeM810Simulator(pad, options) : new FeigIscSimulator(pad, options);
}
