// Bulk actions from the instances table. Each is planned first (which selected instances
// it applies to, and why the others are left out), confirmed in a dialog that says both,
// then sent: one request per instance, all at once; every refusal becomes its own toast
// (with a link to the instance), the rest one summary.
// A new bulk action is a `plan…` that returns a `BulkPlan` and one `settleEach` call.
import type { Instance } from '../api/types';
import { errorMessage } from '../format';
import { toasts } from '../jobs/toasts.svelte';
import { POWER_LABELS as LABELS, whyNotPower } from './actions';
import { assignOwner, powerInstance, type PowerAction } from './api';

/** What a bulk action will do, for its confirmation, and how to do it. */
export interface BulkPlan {
  /** The dialog's question ("Stop 2 instances?"). */
  title: string;
  /** Its button. */
  action: string;
  /** What follows, which instances, and which are skipped and why. */
  consequence: string;
  /** The instances it applies to; none means there is nothing to confirm. */
  targets: readonly Instance[];
  /** "web-1 is already running", one per instance left out. */
  skipped: readonly string[];
  /** Sends it and reports the outcome in toasts. */
  run: () => Promise<void>;
}

/** "web-1, web-2 and 3 more": names enough to recognise the set without a wall of text. */
export function someNames(instances: readonly Instance[], shown = 5): string {
  const names = instances.map((instance) => instance.name);
  const more = names.length - shown;
  return more > 0 ? `${names.slice(0, shown).join(', ')} and ${more} more` : names.join(', ');
}

function instances(count: number): string {
  return `${count} instance${count === 1 ? '' : 's'}`;
}

/**
 * Sends `send` for every target at once; each refusal becomes a toast titled
 * `refused(instance)`. Resolves with how many were accepted, once all have answered.
 */
async function settleEach(
  targets: readonly Instance[],
  send: (instance: Instance) => Promise<unknown>,
  refused: (instance: Instance) => string,
): Promise<number> {
  const results = await Promise.allSettled(targets.map(send));
  let accepted = 0;
  results.forEach((result, index) => {
    const instance = targets[index];
    if (result.status === 'fulfilled') accepted += 1;
    else if (instance) {
      toasts.push({
        tone: 'error',
        title: refused(instance),
        detail: errorMessage(result.reason),
        href: `/instances/${instance.id}`,
        linkText: 'View instance',
      });
    }
  });
  return accepted;
}

/** What each action does, said of several instances (the detail page says it of one). */
const CONSEQUENCES: Record<PowerAction, string> = {
  start: 'They boot and start using their share of CPU and memory.',
  stop: 'This cuts their power at once, like pulling the plug: whatever they have not saved is lost. Shut down stops them cleanly.',
  shutdown: 'Each is asked to shut down cleanly (ACPI or init); running programs end.',
  reboot: 'They restart: connections to them drop until they are back.',
};

/** `action` for every selected instance it applies to; the others are named with the reason. */
export function planPower(selected: readonly Instance[], action: PowerAction): BulkPlan {
  const targets: Instance[] = [];
  const skipped: string[] = [];
  for (const instance of selected) {
    const why = whyNotPower(instance, action);
    if (why) skipped.push(`${instance.name} ${why}`);
    else targets.push(instance);
  }
  const leftOut = skipped.length > 0 ? ` Skipped: ${skipped.join('; ')}.` : '';
  return {
    title: `${LABELS[action]} ${instances(targets.length)}?`,
    action: LABELS[action],
    consequence: `${someNames(targets)}. ${CONSEQUENCES[action]}${leftOut}`,
    targets,
    skipped,
    run: async () => {
      const accepted = await settleEach(
        targets,
        (instance) => powerInstance(instance.id, action),
        (instance) => `${LABELS[action]} ${instance.name} was refused`,
      );
      toasts.push({
        tone: accepted === targets.length ? 'info' : 'error',
        title: `${LABELS[action]} requested for ${accepted} of ${instances(selected.length)}`,
        detail: leftOut ? leftOut.trim() : undefined,
      });
    },
  };
}

/** Admins: gives every selected instance to `ownerId` (`''`: nobody, so only admins see them). */
export function planAssign(selected: readonly Instance[], ownerId: string, ownerName: string): BulkPlan {
  const to = ownerId ? `to ${ownerName}` : 'to nobody (unowned)';
  const who = ownerId
    ? `${ownerName} will see and manage ${someNames(selected)}; their present owners no longer will.`
    : `Only admins will see ${someNames(selected)}; their present owners no longer will.`;
  return {
    title: ownerId ? `Give ${instances(selected.length)} to ${ownerName}?` : `Make ${instances(selected.length)} unowned?`,
    action: 'Assign owner',
    consequence: who,
    targets: selected,
    skipped: [],
    run: async () => {
      const assigned = await settleEach(
        selected,
        (instance) => assignOwner(instance.id, ownerId || null),
        (instance) => `Assigning ${instance.name} was refused`,
      );
      toasts.push({
        tone: assigned === selected.length ? 'info' : 'error',
        title: `Assigned ${assigned} of ${instances(selected.length)} ${to}`,
      });
    },
  };
}
