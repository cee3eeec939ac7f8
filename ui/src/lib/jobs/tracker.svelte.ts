// The signed-in user's jobs in flight, for the top bar's indicator, kept current by
// `job.updated` events. A job seen running that ends raises a toast: success with a
// link to its instance, failure with why in one sentence (the job's details have the full text).
import { get } from '../api/client';
import { getInstance } from '../api/endpoints';
import type { Job, JobPage } from '../api/types';
import { liveEvents } from '../events.svelte';
import { instances } from '../instances/store.svelte';
import { session } from '../session.svelte';
import { failureSummary, isActive, jobInstanceHref, jobTitle, RESOURCE_NOUNS } from './describe';
import { toasts } from './toasts.svelte';

const RECENT = 5;

class JobTracker {
  /** Queued or running, newest first. */
  active = $state<Job[]>([]);
  /** The last few that ended while the console was open, newest first. */
  recent = $state<Job[]>([]);
  private unsubscribe: (() => void) | null = null;
  /** Names seen while jobs ran: a terminated instance leaves the inventory before its job ends. */
  private names = new Map<string, string>();
  /** Names asked of the API for instances the inventory does not list yet (a create's reservation). */
  private fetched = $state<Record<string, string>>({});
  private asked = new Set<string>();

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = liveEvents.subscribe((kind, data) => {
      if (kind === 'job.updated') this.apply(data as Job);
      else if (kind === 'reload') void this.load();
    });
    void this.load();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.active = [];
    this.recent = [];
  }

  /** A job's row away from its instance's page (dashboard, jobs panel): what it does to what, linked to the instance once known. */
  row(job: Job): { title: string; href: string | null } {
    return { title: jobTitle(job, this.target(job)), href: jobInstanceHref(job) };
  }

  /** The instance's name when the inventory knows it, else a short id; other resources by their kind. */
  target(job: Job): string {
    const id = job.resource_id;
    if (job.resource_kind && job.resource_kind !== 'instance') return RESOURCE_NOUNS[job.resource_kind] ?? 'a resource';
    if (!id) return 'a new instance';
    const name = instances.items.find((instance) => instance.id === id)?.name ?? this.fetched[id] ?? this.names.get(id);
    if (name) {
      this.names.set(id, name);
      return name;
    }
    if (!this.asked.has(id)) {
      this.asked.add(id);
      // Not during rendering: the answer lands in reactive state later.
      queueMicrotask(() => void this.fetchName(id));
    }
    return `instance ${id.slice(0, 8)}`;
  }

  private async fetchName(id: string): Promise<void> {
    try {
      this.fetched[id] = (await getInstance(id)).name;
    } catch {
      // Gone or not visible: the short id stays.
    }
  }

  private async load(): Promise<void> {
    const owner = session.user?.id;
    if (!owner) return;
    try {
      const pages = await Promise.all(
        (['running', 'queued'] as const).map((status) => get<JobPage>('/api/v1/jobs', { status, owner, limit: 100 })),
      );
      const loaded = pages.flatMap((page) => page.items);
      this.active = loaded.sort((a, b) => b.created_at.localeCompare(a.created_at));
    } catch {
      // The indicator fills from live events anyway.
    }
  }

  private apply(job: Job): void {
    if (job.actor.id !== session.user?.id) return;
    const known = this.active.some((j) => j.id === job.id);
    if (isActive(job)) {
      this.target(job);
      this.active = known ? this.active.map((j) => (j.id === job.id ? job : j)) : [job, ...this.active];
      return;
    }
    if (!known) return;
    this.active = this.active.filter((j) => j.id !== job.id);
    this.recent = [job, ...this.recent.filter((j) => j.id !== job.id)].slice(0, RECENT);
    this.announce(job);
  }

  private announce(job: Job): void {
    const href = job.kind === 'instance.terminate' ? null : jobInstanceHref(job);
    const link = href ? { href, linkText: 'View instance' } : {};
    if (job.status === 'succeeded') {
      toasts.push({ tone: 'success', title: jobTitle(job, this.target(job)), ...link });
    } else {
      toasts.push({ tone: 'error', title: jobTitle(job, this.target(job)), detail: job.error ? failureSummary(job.error) : job.status, ...link });
    }
  }
}

export const jobTracker = new JobTracker();
