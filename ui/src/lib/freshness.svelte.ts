// Which Proxmox clusters are unreachable right now, for the shell's offline banner
// and the top bar: `cluster.status` events (with the cluster's name), the clusters
// admins can list, and — for everyone else — the instance summary's clusters (each
// named, with its own `stale_since`) and the instances shown stale (`stale_since`).
import { get } from './api/client';
import { instanceSummary } from './api/endpoints';
import type { ClusterPage } from './api/types';
import { liveEvents } from './events.svelte';
import type { ClusterStatusEvent } from './instances/store.svelte';
import { instances } from './instances/store.svelte';
import { session } from './session.svelte';

export interface StaleCluster {
  /** Empty when only the outage is known, not which cluster (a non-admin's first load). */
  id: string;
  /** Unknown to non-admins until the cluster's next status change names it. */
  name: string | null;
  since: string;
}

class ClusterFreshness {
  /** From events and the admin's cluster list: id → offline cluster. */
  private offline = $state<Record<string, StaleCluster>>({});
  /** Names learnt along the way, so a stale instance's cluster can be named. */
  private names = $state<Record<string, string>>({});
  /** The earliest outage among the caller's clusters, from the instance summary. */
  private summarySince = $state<string | null>(null);
  private unsubscribe: (() => void) | null = null;

  /** Every unreachable cluster, earliest outage first. */
  readonly stale = $derived.by(() => {
    const found: Record<string, StaleCluster> = { ...this.offline };
    for (const instance of instances.items) {
      if (instance.stale_since && !found[instance.cluster_id]) {
        const id = instance.cluster_id;
        found[id] = { id, name: this.names[id] ?? null, since: instance.stale_since };
      }
    }
    const known = Object.values(found);
    if (known.length === 0 && this.summarySince) known.push({ id: '', name: null, since: this.summarySince });
    return known.sort((a, b) => a.since.localeCompare(b.since));
  });

  /** How many clusters the console knows of (admins: all; others: those of their instances). */
  get knownClusters(): number {
    return Object.keys(this.names).length;
  }

  /** The cluster's name once known (admins: always), else a short id. */
  clusterName(id: string): string {
    return this.names[id] ?? `cluster ${id.slice(0, 8)}`;
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = liveEvents.subscribe((kind, data) => {
      if (kind !== 'cluster.status') return;
      this.apply(data as ClusterStatusEvent);
      void this.load();
    });
    void this.load();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.offline = {};
    this.summarySince = null;
  }

  /** Admins read every cluster's health; others only learn whether their instances are stale. */
  private async load(): Promise<void> {
    try {
      if (session.isAdmin) await this.loadClusters();
      else await this.loadSummary();
    } catch {
      // Events and stale instances still raise the banner.
    }
  }

  /** Others: the summary names each cluster of their instances and says which is stale. */
  private async loadSummary(): Promise<void> {
    const summary = await instanceSummary();
    const offline: Record<string, StaleCluster> = {};
    for (const cluster of summary.clusters) {
      this.names[cluster.cluster_id] = cluster.cluster_name;
      if (cluster.stale_since) {
        offline[cluster.cluster_id] = { id: cluster.cluster_id, name: cluster.cluster_name, since: cluster.stale_since };
      }
    }
    this.offline = offline;
    this.summarySince = summary.stale_since ?? null;
  }

  private async loadClusters(): Promise<void> {
    const page = await get<ClusterPage>('/api/v1/clusters');
    const offline: Record<string, StaleCluster> = {};
    for (const cluster of page.items) {
      this.names[cluster.id] = cluster.name;
      if (cluster.status === 'offline') {
        const since = cluster.offline_since ?? cluster.last_seen_at ?? new Date().toISOString();
        offline[cluster.id] = { id: cluster.id, name: cluster.name, since };
      }
    }
    this.offline = offline;
  }

  private apply(change: ClusterStatusEvent): void {
    this.names[change.cluster_id] = change.name;
    if (change.status === 'offline') {
      const since = change.offline_since ?? new Date().toISOString();
      this.offline[change.cluster_id] = { id: change.cluster_id, name: change.name, since };
    } else {
      delete this.offline[change.cluster_id];
    }
  }
}

export const freshness = new ClusterFreshness();
