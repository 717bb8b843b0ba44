/** Which screen a machine snapshot shows (pure; used by the app and its tests). */
import type { SnapshotFrom } from 'xstate';
import type { KioskMachine } from './kiosk.machine.ts';

export type Screen = 'boot' | 'outOfOrder' | 'attract' | 'identify' | 'pin' | 'menu' | 'borrow' | 'return' | 'renew' | 'account' | 'pickup' | 'receipt' | 'goodbye';

export function screenOf(s: SnapshotFrom<KioskMachine>): Screen {
  if (s.matches('boot')) return 'boot';
  if (s.matches('outOfOrder')) return 'outOfOrder';
  if (s.matches('attract')) return 'attract';
  if (s.matches({ session: { flow: { identify: 'pin' } } }) || s.matches({ session: { flow: { identify: 'checkingPin' } } })) return 'pin';
  if (s.matches({ session: { flow: 'identify' } })) return 'identify';
  if (s.matches({ session: { flow: 'menu' } })) return 'menu';
  if (s.matches({ session: { flow: 'borrow' } })) return 'borrow';
  if (s.matches({ session: { flow: 'return' } })) return 'return';
  if (s.matches({ session: { flow: 'renew' } })) return 'renew';
  if (s.matches({ session: { flow: 'account' } })) return 'account';
  if (s.matches({ session: { flow: 'pickup' } })) return 'pickup';
  if (s.matches({ session: { flow: 'receipt' } })) return 'receipt';
  return 'goodbye';
}
