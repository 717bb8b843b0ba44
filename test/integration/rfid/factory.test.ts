/** Config → driver: the daemon builds readers by family name and sees only the RfidReader interface. */
import { afterEach, describe, expect, it } from 'vitest';
import { createRfidReader, createRfidSimulator, RFID_FAMILIES } from '../../../drivers/rfid/factory.ts';
import type { RfidReader } from '../../../drivers/rfid/index.ts';
import { RfidPad, libraryTag } from '../../../drivers/rfid/pad.simulator.ts';
import { simulatorBinding } from '../../../drivers/rfid/simulator-binding.ts';

const readers: RfidReader[] = [];
afterEach(async () => {
  await Promise.all(readers.splice(0).map((r) => r.close()));
});

describe.each(RFID_FAMILIES)('createRfidReader(%s)', (family) => {
  it('builds a driver that works through the interface alone', async () => {
    const pad = new RfidPad();
    const binding = simulatorBinding(createRfidSimulator(family, pad, { timeScale: 0 }));
    const reader: RfidReader = createRfidReader({ family, id: `desk-${family}`, path: `/dev/factory-${family}`, binding });
    readers.push(reader);
    expect(reader.kind).toBe('rfid');
    expect(reader.status()).toMatchObject({ id: `desk-${family}`, state: 'offline', reason: 'not opened' });
    // Two callers opening at once share one attempt: one probe on the wire.
    await Promise.all([reader.open(), reader.open()]);
    expect(binding.writes).toHaveLength(1);
    const uid = pad.placeTag(libraryTag({ barcode: 'F-100', ownerIsil: 'SI-51000' }));
    expect(await reader.inventory()).toEqual([expect.objectContaining({ uid })]);
    expect((await reader.readItem(uid)).item?.primaryItemId).toBe('F-100');
    expect(await reader.setSecurity(uid, false)).toMatchObject({ state: 'unsecured', changed: true });
  });
});
