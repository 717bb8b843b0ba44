/**
 * The bytes `writeItemTag` puts at block 0 for an item: ISO 28560-3 (fixed basic block) or
 * ISO 28560-2 (precursor/length elements), unpadded. Shared by the drivers and by the desk, which
 * needs to know which blocks hold the item data (to lock exactly those, config
 * pairing.programming.lockBlocks: data).
 */
import { encodeIso28560_2, encodeIso28560_3 } from '../../protocols/iso28560/index.ts';
import { RFID_ERROR, rfidError, type ItemTagInput } from './index.ts';

export function encodeItemImage(item: ItemTagInput, defaultModel: 'iso28560-3' | 'iso28560-2' = 'iso28560-3'): Uint8Array {
  const model = item.model ?? defaultModel;
  if (model === 'iso28560-3') {
    const r = encodeIso28560_3({
      typeOfUsage: item.typeOfUsage ?? 1,
      primaryItemId: item.primaryItemId,
      partsInSet: item.setInfo?.partsInSet ?? 1,
      partNumber: item.setInfo?.partNumber ?? 1,
      ...(item.ownerLibrary !== undefined ? { isil: item.ownerLibrary } : {}),
    });
    if (!r.ok) throw rfidError(RFID_ERROR.badRequest, `cannot encode ISO 28560-3: ${r.error.message}`);
    return r.bytes;
  }
  const r = encodeIso28560_2({
    primaryItemId: item.primaryItemId,
    typeOfUsage: item.typeOfUsage ?? 0x10,
    ...(item.ownerLibrary !== undefined ? { ownerInstitution: item.ownerLibrary } : {}),
    ...(item.setInfo !== undefined ? { setInfo: item.setInfo } : {}),
  });
  if (!r.ok) throw rfidError(RFID_ERROR.badRequest, `cannot encode ISO 28560-2: ${r.error.message}`);
  return r.bytes;
}
