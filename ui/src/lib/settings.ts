// The settings page's tabs and fields. Each field is named by the dotted path the
// server uses in its 422 `fields`, so its error lands next to it.
import type { Settings } from './api/types';

export type SettingsTab = 'network' | 'resources' | 'system';

export interface SettingsField {
  path: string;
  label: string;
  kind: 'text' | 'number' | 'select';
  hint?: string;
  unit?: string;
  options?: readonly string[];
}

export const TABS: readonly { id: SettingsTab; label: string; fields: readonly SettingsField[] }[] = [
  {
    id: 'network',
    label: 'Network',
    fields: [
      { path: 'network.appliance_subnet', label: 'Appliance subnet', kind: 'text', hint: 'IPv4 network in CIDR notation, e.g. 10.77.0.0/24' },
      { path: 'network.dhcp_range.start', label: 'DHCP range start', kind: 'text', hint: 'First address handed out, inside the subnet' },
      { path: 'network.dhcp_range.end', label: 'DHCP range end', kind: 'text', hint: 'Last address handed out, inside the subnet' },
      { path: 'network.dns_domain', label: 'DNS domain', kind: 'text', hint: 'Instances are reachable as <name>.<domain>' },
    ],
  },
  {
    id: 'resources',
    label: 'Resources',
    fields: [
      { path: 'resources.cores', label: 'Default vCPUs', kind: 'number', unit: 'cores' },
      { path: 'resources.memory_mib', label: 'Default memory', kind: 'number', unit: 'MiB' },
      { path: 'resources.disk_gib', label: 'Default disk', kind: 'number', unit: 'GiB' },
    ],
  },
  {
    id: 'system',
    label: 'System',
    fields: [
      { path: 'system.log_level', label: 'Log level', kind: 'select', options: ['error', 'warn', 'info', 'debug', 'trace'] },
      { path: 'system.poll_interval_secs', label: 'Inventory poll interval', kind: 'number', unit: 'seconds', hint: 'How often each cluster is read' },
      { path: 'system.metrics_retention_days', label: 'Metrics retention', kind: 'number', unit: 'days' },
    ],
  },
];

export function isTab(value: string | null): value is SettingsTab {
  return TABS.some((tab) => tab.id === value);
}

type Tree = Record<string, unknown>;

export function readPath(settings: Settings, path: string): string | number {
  const value = path.split('.').reduce<unknown>((node, key) => (node as Tree)[key], settings);
  return value as string | number;
}

export function writePath(settings: Settings, path: string, value: string | number): void {
  const keys = path.split('.');
  const last = keys.pop() as string;
  const parent = keys.reduce<Tree>((node, key) => node[key] as Tree, settings as unknown as Tree);
  parent[last] = value;
}

/** Number fields left empty or fractional: caught here, the server could not parse them. */
export function localProblems(settings: Settings): Record<string, string> {
  return Object.fromEntries(
    TABS.flatMap((tab) => tab.fields)
      .filter((field) => field.kind === 'number' && !Number.isInteger(readPath(settings, field.path)))
      .map((field) => [field.path, 'must be a whole number']),
  );
}

/** How many of `fields`' errors belong to each tab (to flag tabs with problems). */
export function problemsPerTab(fields: Record<string, string>): Record<SettingsTab, number> {
  const counts: Record<SettingsTab, number> = { network: 0, resources: 0, system: 0 };
  for (const path of Object.keys(fields)) {
    const tab = path.split('.')[0] ?? '';
    if (isTab(tab)) counts[tab] += 1;
  }
  return counts;
}
