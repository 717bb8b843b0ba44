/**
 * The reader front-ends answer the real frames: the reference request/answer pairs of devices.md
 * §2.1 (3M) and §2.2 (FEIG), fed to the simulators byte by byte.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../../protocols/crc/index.ts';
import { encodeThreeMFrame } from '../../../protocols/3m810/index.ts';
import { RfidPad } from '../../../drivers/rfid/pad.simulator.ts';
import { ThreeM810Simulator } from '../../../drivers/rfid/3m810.simulator.ts';
import { FeigIscSimulator } from '../../../drivers/rfid/feig-isc.simulator.ts';
import type { ReaderSimulator } from '../../../drivers/rfid/reader.simulator.ts';

const UID = 'E004010012345678';

/** Sends `request` (hex) and resolves with the answer (hex), or '' if none came within 50 ms. */
function ask(sim: ReaderSimulator, request: string, split = false): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      link.close();
      resolve('');
    }, 50);
    const link = sim.connect({
      data(bytes) {
        clearTimeout(timer);
        link.close();
        resolve(bytesToHex(bytes));
      },
      unplugged() {},
    });
    const bytes = hexToBytes(request);
    if (split) for (const b of bytes) link.write(Uint8Array.of(b));
    else link.write(bytes);
  });
}

describe('3M 810 simulator', () => {
  const pad = new RfidPad();
  pad.placeTag({ uid: UID, afi: 0xda });
  const sim = new ThreeM810Simulator(pad, { timeScale: 0 });

  it.each([
    ['inventory, one tag', 'D6 00 05 FE 00 05 FA 40', 'D6 00 0F FE 00 00 05 01 E0 04 01 00 12 34 56 78 13 EC'],
    ['get AFI → DA', 'D6 00 0B 0A E0 04 01 00 12 34 56 78 7F 9F', 'D6 00 0D 0A 00 E0 04 01 00 12 34 56 78 DA 91 34'],
    ['write AFI D7', 'D6 00 0C 09 E0 04 01 00 12 34 56 78 D7 2D 9F', 'D6 00 0C 09 00 E0 04 01 00 12 34 56 78 ED B2'],
    ['version', 'D6 00 03 11 64 20', 'D6 00 08 11 00 0A 03 02 06 35 17'],
    ['D5 hardware probe', 'D5 00 05 04 00 11 8C 66', 'D5 00 09 04 00 11 0A 05 00 02 72 50'],
  ])('%s', async (_name, request, answer) => {
    expect(await ask(sim, request)).toBe(answer);
  });

  it('answers a request that arrives a byte at a time, after line noise', async () => {
    expect(await ask(sim, '00 FF D6 00 03 11 64 20', true)).toBe('D6 00 08 11 00 0A 03 02 06 35 17');
  });

  it('unknown command → error 02 (reference answer); bad BCC → silence', async () => {
    expect(await ask(sim, bytesToHex(encodeThreeMFrame(Uint8Array.of(0x99))))).toBe('D6 00 04 99 02 25 CE');
    expect(await ask(sim, 'D6 00 03 11 64 21')).toBe('');
    expect(pad.getTag(UID)?.afi).toBe(0xd7); // the write AFI above took
  });
});

describe('FEIG ISC simulator', () => {
  const pad = new RfidPad();
  const sim = new FeigIscSimulator(pad, { timeScale: 0 });

  it('inventory with no tag → status 01', async () => {
    expect(await ask(sim, '07 FF B0 01 00 1C 56')).toBe('06 00 B0 01 5C 63');
  });

  it('inventory with one tag → one ISO 15693 data set (reference answer)', async () => {
    pad.placeTag({ uid: UID });
    expect(await ask(sim, '07 FF B0 01 00 1C 56')).toBe('11 00 B0 00 01 03 00 E0 04 01 00 12 34 56 78 D8 35');
  });

  it('write AFI 07 and system info answer; a bad CRC gets no answer', async () => {
    expect(await ask(sim, '10 FF B0 27 01 E0 04 01 00 12 34 56 78 07 D8 DE')).toMatch(/^06 00 B0 00 /);
    const info = hexToBytes(await ask(sim, '0F FF B0 2B 01 E0 04 01 00 12 34 56 78 11 A3'));
    // LEN ADR CMD STATUS DSFID UID8 AFI MEM(2) IC CRC
    expect(bytesToHex(info.subarray(4, 14))).toBe('00 E0 04 01 00 12 34 56 78 07');
    expect(await ask(sim, '0F FF B0 2B 01 E0 04 01 00 12 34 56 78 11 A4')).toBe('');
  });
});
