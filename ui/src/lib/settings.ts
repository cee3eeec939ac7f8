// The settings page's tabs and fields. Each field is named by the dotted path the
// server uses in its 422 `fields`, so its error lands next to it.
// Only settings that something uses are shown (UI guide: no options of features that do
// not exist yet): the appliance network's tab returns with the network appliance, the
// metrics retention field with metrics. The server keeps and validates both already.
import type { Settings } from './api/types';

/** `volumes` (volume classes) is its own document with its own form (`/api/v1/settings/volume-classes`). */
export type SettingsTab = 'resources' | 'volumes' | 'system';

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
    id: 'resources',
    label: 'Resources',
    fields: [
      { path: 'resources.cores', label: 'Default vCPUs', kind: 'number', unit: 'cores', hint: 'What the launch wizard starts from' },
      { path: 'resources.memory_mib', label: 'Default memory', kind: 'number', unit: 'MiB' },
      { path: 'resources.disk_gib', label: 'Default disk', kind: 'number', unit: 'GiB' },
    ],
  },
  {
    id: 'system',
    label: 'System',
    fields: [
      {
        path: 'system.log_level',
        label: 'Log level',
        kind: 'select',
        options: ['error', 'warn', 'info', 'debug', 'trace'],
        hint: 'Applies at once; PROXICLOUD_LOG, when set, overrides it',
      },
      { path: 'system.poll_interval_secs', label: 'Inventory poll interval', kind: 'number', unit: 'seconds', hint: 'How often each cluster is read' },
    ],
  },
  { id: 'volumes', label: 'Volume classes', fields: [] },
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
  const counts: Record<SettingsTab, number> = { resources: 0, volumes: 0, system: 0 };
  for (const path of Object.keys(fields)) {
    const tab = path.split('.')[0] ?? '';
    if (isTab(tab)) counts[tab] += 1;
  }
  return counts;
}
