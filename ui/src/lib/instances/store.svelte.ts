// The instance inventory the console shows: every page of `GET /api/v1/instances`,
// then kept current by `instance.*` events, applied in place (no reload) and
// batched per animation frame so a burst of changes re-renders once.
import { ApiError } from '../api/client';
import * as api from '../api/endpoints';
import type { Instance } from '../api/types';
import { liveEvents } from '../events.svelte';
import { applyEvent } from './live';

/** How often the list is read again for fresh utilization figures. */
const USAGE_REFRESH_MS = 30_000;

type Patch = Partial<Instance> & { id: string; removed_at?: string | null };

/** `cluster.status`: a cluster went offline or came back. */
export interface ClusterStatusEvent {
  cluster_id: string;
  name: string;
  status: string;
  offline_since?: string | null;
}

class InstanceStore {
  /** Raw (not deeply reactive): 10,000 proxied rows would be slow; rows are replaced, not mutated. */
  items = $state.raw<Instance[]>([]);
  loaded = $state(false);
  loading = $state(false);
  error = $state<string | null>(null);
  /** `X-Cache-Status` of the last read: `HIT` or `STALE`. */
  cacheStatus = $state<string | null>(null);
  staleSince = $state<string | null>(null);

  private byId = new Map<string, Instance>();
  private pending: { kind: string; patch: Patch }[] = [];
  private frame = 0;
  private unsubscribe: (() => void) | null = null;

  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      const all: Instance[] = [];
      let cursor: string | undefined;
      let stale: string | null = null;
      do {
        const page = await api.listInstances(cursor);
        all.push(...page.items);
        this.cacheStatus = page.cacheStatus;
        stale ??= page.stale_since ?? null;
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      this.staleSince = stale;
      this.byId = new Map(all.map((instance) => [instance.id, instance]));
      this.items = all;
      this.loaded = true;
    } catch (error) {
      this.error = error instanceof ApiError ? error.message : 'Cannot reach the server.';
    } finally {
      this.loading = false;
    }
  }

  /** Load once and follow live events; later calls are no-ops. */
  follow(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = liveEvents.subscribe((kind, data) => this.onEvent(kind, data));
    if (!this.loaded && !this.loading) void this.load();
    // Utilization (CPU, memory, rates) changes with every mirror poll and sends no
    // event: read the list again now and then while the console is visible.
    setInterval(() => {
      if (document.visibilityState === 'visible' && this.loaded && !this.loading) void this.load();
    }, USAGE_REFRESH_MS);
  }

  private onEvent(kind: string, data: unknown): void {
    if (kind === 'reload') {
      void this.load();
      return;
    }
    if (kind === 'cluster.status') {
      this.markCluster(data as ClusterStatusEvent);
      return;
    }
    if (!kind.startsWith('instance.') || typeof data !== 'object' || data === null || !('id' in data)) return;
    this.pending.push({ kind, patch: data as Patch });
    this.frame ||= requestAnimationFrame(() => this.flush());
  }

  /** A cluster went offline or came back: its rows are stale since then, or fresh again. */
  private markCluster(change: ClusterStatusEvent): void {
    for (const [id, instance] of this.byId) {
      const next = applyEvent(instance, 'cluster.status', change);
      if (next) this.byId.set(id, next);
    }
    this.items = [...this.byId.values()];
    const stale = this.items.map((i) => i.stale_since).filter((s): s is string => !!s);
    this.staleSince = stale.length ? stale.reduce((a, b) => (a < b ? a : b)) : null;
    this.cacheStatus = this.staleSince ? 'STALE' : 'HIT';
  }

  private flush(): void {
    this.frame = 0;
    const batch = this.pending;
    this.pending = [];
    const toFetch: string[] = [];
    for (const { kind, patch } of batch) {
      const existing = this.byId.get(patch.id);
      if (kind === 'instance.disappeared' || patch.removed_at) {
        this.byId.delete(patch.id);
      } else if (existing) {
        const { removed_at: _removed, ...fields } = patch;
        void _removed;
        this.byId.set(patch.id, { ...existing, ...fields });
      } else {
        // Events carry only the changed summary; a new row needs the full record.
        toFetch.push(patch.id);
      }
    }
    this.items = [...this.byId.values()];
    for (const id of toFetch) void this.fetchOne(id);
  }

  private async fetchOne(id: string): Promise<void> {
    try {
      const instance = await api.getInstance(id);
      this.byId.set(id, instance);
      this.items = [...this.byId.values()];
    } catch {
      // Not visible to us (or gone again): nothing to show.
    }
  }
}

export const instances = new InstanceStore();
