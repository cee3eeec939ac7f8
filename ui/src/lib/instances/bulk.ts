// Bulk actions from the instances table: one request per instance, all at once; every
// refusal becomes its own toast (with a link to the instance), the rest one summary.
// A new bulk action is one `settleEach` call plus its summary toast.
import type { Instance } from '../api/types';
import { errorMessage } from '../format';
import { toasts } from '../jobs/toasts.svelte';
import { POWER_LABELS as LABELS, whyNotPower } from './actions';
import { assignOwner, powerInstance, type PowerAction } from './api';

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

/**
 * Sends `action` to every selected instance it applies to; resolves once all have
 * answered. The summary names each instance left out and why ("web-1 is already running").
 */
export async function bulkPower(selected: readonly Instance[], action: PowerAction): Promise<void> {
  const targets: Instance[] = [];
  const skipped: string[] = [];
  for (const instance of selected) {
    const why = whyNotPower(instance, action);
    if (why) skipped.push(`${instance.name} ${why}`);
    else targets.push(instance);
  }
  const accepted = await settleEach(
    targets,
    (instance) => powerInstance(instance.id, action),
    (instance) => `${LABELS[action]} ${instance.name} was refused`,
  );
  toasts.push({
    tone: accepted === targets.length ? 'info' : 'error',
    title: `${LABELS[action]} requested for ${accepted} of ${selected.length} instances`,
    detail: skipped.length > 0 ? `Skipped: ${skipped.join('; ')}.` : undefined,
  });
}

/** Admins: gives every selected instance to `ownerId` (`''`: nobody); one summary toast, one per refusal. */
export async function bulkAssignOwner(selected: readonly Instance[], ownerId: string, ownerName: string): Promise<void> {
  const assigned = await settleEach(
    selected,
    (instance) => assignOwner(instance.id, ownerId || null),
    (instance) => `Assigning ${instance.name} was refused`,
  );
  const to = ownerId ? `to ${ownerName}` : 'to nobody (unowned)';
  toasts.push({ tone: assigned === selected.length ? 'info' : 'error', title: `Assigned ${assigned} of ${selected.length} instances ${to}` });
}
