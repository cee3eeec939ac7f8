// What to say where an instance has no address to show: the server learns the addresses
// of running guests in the background, and says when a guest reported none.
import type { Instance } from '../api/types';

export type MissingAddress = 'learning' | 'none' | 'not-running';

/** Why `instance` shows no address (only meaningful when `addresses` is empty). */
export function missingAddress(instance: Instance): MissingAddress {
  if (instance.status !== 'running') return 'not-running';
  return instance.addresses_known ? 'none' : 'learning';
}

/** The longer explanation, for the instance's own page. */
export function missingAddressExplained(instance: Instance): string {
  switch (missingAddress(instance)) {
    case 'learning':
      return 'learning… (asked in the background)';
    case 'none':
      return instance.type === 'vm'
        ? 'none reported (a VM reports its addresses through the QEMU guest agent)'
        : 'none reported (it has no address yet)';
    case 'not-running':
      return 'not known while it is not running';
  }
}
