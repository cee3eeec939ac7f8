// Applying the event stream to one instance (the detail page follows just its own,
// without loading the whole inventory).
import type { Instance } from '../api/types';
import type { ClusterStatusEvent } from './store.svelte';

/** What an event means for `instance`: its new state, `null` once it is gone, or
 *  `undefined` when the event is about something else. */
export function applyEvent(instance: Instance, kind: string, data: unknown): Instance | null | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  if (kind === 'cluster.status') {
    const change = data as ClusterStatusEvent;
    if (change.cluster_id !== instance.cluster_id) return undefined;
    const staleSince = change.status === 'offline' ? (change.offline_since ?? new Date().toISOString()) : null;
    return { ...instance, stale_since: staleSince };
  }
  if (!kind.startsWith('instance.') || (data as { id?: string }).id !== instance.id) return undefined;
  const { removed_at: removedAt, ...fields } = data as Partial<Instance> & { removed_at?: string | null };
  if (kind === 'instance.disappeared' || removedAt) return null;
  return { ...instance, ...fields };
}
