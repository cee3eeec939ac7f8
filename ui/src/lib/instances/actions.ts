// Which actions apply to an instance in its current state (the detail page and
// the table's bulk actions agree on this).
import type { Instance } from '../api/types';
import type { PowerAction } from './api';

/** Button and message words for each power action, in the order they are offered. */
export const POWER_LABELS: Record<PowerAction, string> = {
  start: 'Start',
  stop: 'Stop',
  shutdown: 'Shut down',
  reboot: 'Reboot',
};

/** States in which Proxmox is still busy with the guest or cannot be asked. */
const UNSETTLED = new Set(['creating', 'unknown']);

export function canPower(instance: Instance, action: PowerAction): boolean {
  if (instance.template || instance.lock || UNSETTLED.has(instance.status)) return false;
  const running = instance.status === 'running';
  switch (action) {
    case 'start':
      return !running;
    case 'stop':
      return running || instance.status === 'paused';
    case 'shutdown':
    case 'reboot':
      return running;
  }
}

export function canTerminate(instance: Instance): boolean {
  return !UNSETTLED.has(instance.status) && !instance.lock;
}

/** `net0: name=eth0,bridge=vmbr0,ip=10.0.0.5/24` → `10.0.0.5/24`; `dhcp` and missing addresses are skipped. */
export function addressesFromConfig(entries: readonly { key: string; value: string }[]): string[] {
  const found: string[] = [];
  for (const { key, value } of entries) {
    if (!/^(net|ipconfig)\d+$/.test(key)) continue;
    for (const part of value.split(',')) {
      const [name, address] = part.split('=');
      if ((name === 'ip' || name === 'ip6') && address && !['dhcp', 'auto', 'manual'].includes(address)) {
        found.push(address);
      }
    }
  }
  return found;
}
