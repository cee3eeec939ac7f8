// Time series for charts (`GET /api/v1/metrics/…`), typed with the generated schema.
import { get } from '../api/client';
import type { components } from '../api/schema';

export type Metrics = components['schemas']['MetricsDto'];

/** The periods the API offers, shortest first. */
export const PERIODS = ['5m', '1h', '24h', '7d', '30d'] as const;
export type Period = (typeof PERIODS)[number];

export const PERIOD_LABELS: Record<Period, string> = {
  '5m': '5 min',
  '1h': '1 hour',
  '24h': '24 hours',
  '7d': '7 days',
  '30d': '30 days',
};

export function asPeriod(value: string | null | undefined): Period {
  return PERIODS.find((p) => p === value) ?? '1h';
}

export const getInstanceMetrics = (id: string, period: Period, series: string[], signal?: AbortSignal) =>
  get<Metrics>(`/api/v1/metrics/instances/${encodeURIComponent(id)}`, { period, series: series.join(',') }, signal);

/** A node is `<cluster id>:<node name>` in the metrics API. */
export const getNodeMetrics = (clusterId: string, node: string, period: Period, series: string[], signal?: AbortSignal) =>
  get<Metrics>(`/api/v1/metrics/nodes/${encodeURIComponent(`${clusterId}:${node}`)}`, { period, series: series.join(',') }, signal);

export const getClusterMetrics = (clusterId: string, period: Period, series: string[], signal?: AbortSignal) =>
  get<Metrics>(`/api/v1/metrics/clusters/${encodeURIComponent(clusterId)}`, { period, series: series.join(',') }, signal);
