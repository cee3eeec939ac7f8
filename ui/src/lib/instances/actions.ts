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

/** Why `action` does not apply to `instance` now ("is already running"), or null when it does. */
export function whyNotPower(instance: Instance, action: PowerAction): string | null {
  if (instance.template) return 'is a template';
  if (shownStatus(instance) === 'creating') return 'is still being created';
  if (instance.status === 'unknown') return 'cannot be reached (its node is offline)';
  if (instance.lock) return `is busy (Proxmox holds a ${instance.lock} lock)`;
  const running = instance.status === 'running';
  switch (action) {
    case 'start':
      return running ? 'is already running' : null;
    case 'stop':
      return running || instance.status === 'paused' ? null : 'is already stopped';
    case 'shutdown':
    case 'reboot':
      return running ? null : 'is not running';
  }
}

export function canPower(instance: Instance, action: PowerAction): boolean {
  return whyNotPower(instance, action) === null;
}

/** A stopped instance, not yet a template, can become one ("create image"). */
export function canMakeImage(instance: Instance): boolean {
  return !instance.template && instance.status === 'stopped' && !instance.lock;
}

export function canTerminate(instance: Instance): boolean {
  return !UNSETTLED.has(instance.status) && !instance.lock;
}


/** Proxmox's locks on a guest it is still creating (a VM clone is copied under `clone`). */
const CREATING_LOCKS = new Set(['create', 'clone']);

/** The status to show: `creating` while Proxmox builds the guest (it reports it `stopped` meanwhile). */
export function shownStatus(instance: Instance): string {
  return instance.lock && CREATING_LOCKS.has(instance.lock) ? 'creating' : instance.status;
}

/** What each power action does to a guest, for its confirmation (start needs none). */
export const POWER_CONSEQUENCES: Record<Exclude<PowerAction, 'start'>, string> = {
  stop: 'This cuts its power at once, like pulling the plug: whatever it has not saved is lost. Shut down stops it cleanly.',
  shutdown: 'It is asked to shut down cleanly (ACPI or init); running programs end.',
  reboot: 'It restarts: connections to it drop until it is back.',
};
