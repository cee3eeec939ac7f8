// What each chart of a page shows: its series (by API name), their labels and the
// unit of the axis. To add a chart, add an entry; its series must exist in the API.
import { formatBytes } from '../format';

export type Unit = 'percent' | 'bytes' | 'rate' | 'number';

export interface ChartSpec {
  key: string;
  title: string;
  unit: Unit;
  series: { name: string; label: string }[];
}

/** A used-of-size pair of byte series (memory, disk, swap, root file system). */
function usedOfSize(key: string, title: string, used: string, size: string): ChartSpec {
  return {
    key,
    title,
    unit: 'bytes',
    series: [
      { name: used, label: 'Used' },
      { name: size, label: 'Size' },
    ],
  };
}

/** An in/out or read/write pair of rates. */
function rates(key: string, title: string, pair: [string, string][]): ChartSpec {
  return { key, title, unit: 'rate', series: pair.map(([name, label]) => ({ name, label })) };
}

const CPU: ChartSpec = { key: 'cpu', title: 'CPU', unit: 'percent', series: [{ name: 'cpu', label: 'CPU' }] };
const MEMORY = usedOfSize('memory', 'Memory', 'mem', 'maxmem');
const NETWORK = rates('network', 'Network', [
  ['netin', 'In'],
  ['netout', 'Out'],
]);

export const INSTANCE_CHARTS: ChartSpec[] = [
  CPU,
  MEMORY,
  usedOfSize('disk', 'Disk', 'disk', 'maxdisk'),
  NETWORK,
  rates('diskio', 'Disk I/O', [
    ['diskread', 'Read'],
    ['diskwrite', 'Write'],
  ]),
];

/** A Proxmox node's own figures (the Monitoring page's node view). */
export const NODE_CHARTS: ChartSpec[] = [
  CPU,
  { key: 'load', title: 'Load average (1 min)', unit: 'number', series: [{ name: 'loadavg', label: 'Load' }] },
  { key: 'iowait', title: 'I/O wait', unit: 'percent', series: [{ name: 'iowait', label: 'I/O wait' }] },
  MEMORY,
  usedOfSize('swap', 'Swap', 'swap', 'maxswap'),
  usedOfSize('rootfs', 'Root file system', 'rootfs', 'maxrootfs'),
  NETWORK,
];

/** A cluster: CPU averaged over its nodes, memory and network summed. */
export const CLUSTER_CHARTS: ChartSpec[] = [CPU, MEMORY, NETWORK];

export const UNIT_LABELS: Record<Unit, string> = { percent: '%', bytes: 'bytes', rate: 'bytes/s', number: 'count' };

/** A value as the axis and the legend show it; `null` (not measured) as a dash. */
export function formatValue(unit: Unit, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  switch (unit) {
    case 'percent':
      return value === 0 ? '0 %' : `${(value * 100).toFixed(value < 0.1 ? 1 : 0)} %`;
    case 'bytes':
      return formatBytes(value);
    case 'rate':
      return `${formatBytes(value)}/s`;
    case 'number':
      return value.toFixed(value < 10 ? 2 : 1);
  }
}

/** The newest measured value of a series. */
export function latest(values: (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i -= 1) {
    const value = values[i];
    if (value !== null && value !== undefined) return value;
  }
  return null;
}
