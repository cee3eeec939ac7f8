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

