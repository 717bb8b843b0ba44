/**
 * ISO 28560-1 type of usage. The main qualifier is one hex digit; ISO 28560-2 stores it as the high
 * nibble of a byte whose low nibble is a sub-qualifier, ISO 28560-3 stores only the main qualifier
 * in the low nibble of byte 0 (reference devices.md §1.3, THWildau `getTypeOfUsageToString`).
 */

import type { TagUsage } from './types.ts';

const BY_MAIN_QUALIFIER: readonly TagUsage[] = [
  'acquisition', // 0
  'circulating', // 1
  'not-for-circulation', // 2 (Danish "Præsens"/reference copy)
  'local', // 3
  'local', // 4
  'future-use', // 5
  'no-information', // 6
  'discarded', // 7
  'patron-card', // 8
  'library-equipment', // 9
];

/** Maps a main qualifier (0–15) to the common usage name. */
export function usageFromMainQualifier(mainQualifier: number): TagUsage {
  if (!Number.isInteger(mainQualifier) || mainQualifier < 0 || mainQualifier > 15) return 'unknown';
  return BY_MAIN_QUALIFIER[mainQualifier] ?? 'future-use';
}

/** The main qualifier to write for a usage name (first match; 'local' → 3). */
export function mainQualifierFromUsage(usage: TagUsage): number | undefined {
  const i = BY_MAIN_QUALIFIER.indexOf(usage);
  return i >= 0 ? i : undefined;
}

/** ISO 28560-1 sub-qualifiers with names (only the ones assigned by the standard). */
export const USAGE_SUB_QUALIFIERS: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  0x0: { 0: 'unspecified', 1: 'for automated process', 2: 'for manual process' },
  0x1: {
    0: 'unspecified',
    1: 'for automatic sorting',
    2: 'not for automatic sorting',
    3: 'not for issue while offline',
    4: 'not for return while offline',
    5: 'not for issue or return while offline',
  },
  0x7: { 0: 'unspecified', 1: 'for sale', 2: 'sold', 3: 'for disposal' },
  0x8: { 0: 'unspecified', 1: 'adult borrower', 2: 'young adult borrower', 3: 'child borrower' },
  0x9: { 0: 'unspecified', 1: 'personal computer', 2: 'video projector', 3: 'overhead projector', 4: 'whiteboard' },
};
