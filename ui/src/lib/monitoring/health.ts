// The health map's data (`GET /api/v1/monitoring/health`) and how the page shows it:
// counts per health, the problems-only filter, and a tile's size from what the guest
// is allocated.
import { get } from '../api/client';
import type { components } from '../api/schema';

type Schemas = components['schemas'];
export type HealthMap = Schemas['HealthMapDto'];
export type HealthCluster = Schemas['HealthClusterDto'];
export type HealthNode = Schemas['HealthNodeDto'];
export type HealthGuest = Schemas['HealthGuestDto'];
export type Health = Schemas['HealthDto'];

export const getHealthMap = () => get<HealthMap>('/api/v1/monitoring/health');

/** Worst first: the order of the legend and of the counts. */
export const HEALTHS: readonly Health[] = ['critical', 'warning', 'ok', 'stopped'];

export const HEALTH_LABELS: Record<Health, string> = {
  critical: 'Critical',
  warning: 'Warning',
  ok: 'Healthy',
  stopped: 'Stopped',
};

export function countByHealth(map: HealthMap): Record<Health, number> {
  const counts: Record<Health, number> = { critical: 0, warning: 0, ok: 0, stopped: 0 };
  for (const cluster of map.clusters) for (const node of cluster.nodes) for (const guest of node.guests) counts[guest.health] += 1;
  return counts;
}

export function isProblem(health: Health): boolean {
  return health === 'critical' || health === 'warning';
}

/** A tile's size class from its memory (what a guest is allocated, beside its vCPUs). */
export function tileSize(guest: HealthGuest): 's' | 'm' | 'l' {
  const gib = guest.memory_bytes / 2 ** 30;
  if (gib >= 8 || guest.cpus >= 8) return 'l';
  if (gib >= 2 || guest.cpus >= 2) return 'm';
  return 's';
}
