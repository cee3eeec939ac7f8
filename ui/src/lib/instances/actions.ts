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

/** The job that launches an instance: it still configures the guest (cloud-init, volumes)
 *  after Proxmox has made it, and starts it last. */
export const LAUNCH_JOB_KIND = 'instance.create';

/** The status to show: `creating` while Proxmox builds the guest (it reports it `stopped`
 *  meanwhile) and, where the caller knows the guest's jobs (`launching`: its launch job is
 *  still running), until the launch has started it — a user should not read `stopped` in
 *  the middle of a launch. */
export function shownStatus(instance: Instance, launching = false): string {
  if (instance.lock && CREATING_LOCKS.has(instance.lock)) return 'creating';
  return launching && instance.status === 'stopped' ? 'creating' : instance.status;
}

/** What each power action does to a guest, for its confirmation (start needs none). */
export const POWER_CONSEQUENCES: Record<Exclude<PowerAction, 'start'>, string> = {
  stop: 'This cuts its power at once, like pulling the plug: whatever it has not saved is lost. Shut down stops it cleanly.',
  shutdown: 'It is asked to shut down cleanly (ACPI or init); running programs end.',
  reboot: 'It restarts: connections to it drop until it is back.',
};
