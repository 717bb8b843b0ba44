/** Shared pieces for the device manager tests: a manager per test (stopped after it), waits. */
import { afterEach } from 'vitest';
import type { Receipt } from '../../../drivers/receipt/receipt.ts';
import { devicesConfigSchema, type DeviceConfigInput } from '../../../daemon/devices/config.ts';
import { DeviceManager, type DeviceManagerOptions, type ManagedDeviceStatus } from '../../../daemon/devices/manager.ts';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** A started manager for `devices` (config input, validated like the daemon does); stopped after the test. */
export async function startManager(
  devices: DeviceConfigInput[],
  options: Omit<DeviceManagerOptions, 'devices'> = {},
): Promise<{ manager: DeviceManager; events: ManagedDeviceStatus[] }> {
  const manager = new DeviceManager({ ...options, devices: devicesConfigSchema.parse(devices) });
  const events: ManagedDeviceStatus[] = [];
  manager.on('device.state', (s) => events.push(s));
  onCleanup(() => manager.stop());
  await manager.start();
  return { manager, events };
}

/** Polls until `predicate` holds; the error names what was awaited. */
export async function eventually(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 5000, stepMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export function stateOf(manager: DeviceManager, id: string): string | undefined {
  return manager.status(id)?.state;
}

export function receipt(titles: string[]): Receipt {
  return {
    language: 'en',
    printedAt: '2026-03-12T14:05:00Z',
    timeZone: 'Europe/Ljubljana',
    header: { libraryName: 'Demo Library', department: 'Central' },
    patron: { cardNumber: '0100001', name: 'Novak Ana' },
    sections: [{ kind: 'loans', items: titles.map((title, k) => ({ title, barcode: `3010000000${k + 1}`, dueDate: '2026-04-02' })) }],
  };
}
