// The wizard's steps, which request fields each one owns (so the server's field
// errors show on the right step), and the pure helpers the steps share.
import type { LaunchNode, LaunchOptions, LaunchStorage, SizePreset } from './api';

export type StepId = 'type' | 'source' | 'size' | 'placement' | 'access' | 'review';

export interface Step {
  id: StepId;
  title: string;
}

export const STEPS: Step[] = [
  { id: 'type', title: 'Type' },
  { id: 'source', title: 'Image' },
  { id: 'size', title: 'Size' },
  { id: 'placement', title: 'Storage & network' },
  { id: 'access', title: 'Access & name' },
  { id: 'review', title: 'Review' },
];

const FIELD_STEPS: [prefix: string, step: StepId][] = [
  ['type', 'type'],
  ['template', 'source'],
  ['iso', 'source'],
  ['clone_from', 'source'],
  ['cores', 'size'],
  ['memory', 'size'],
  ['disk', 'size'],
  ['cluster', 'placement'],
  ['node', 'placement'],
  ['storage', 'placement'],
  ['network', 'placement'],
  ['volumes', 'placement'],
  ['ssh_public_keys', 'access'],
  ['key_pair_ids', 'access'],
  ['generate_root_password', 'access'],
  ['name', 'access'],
  ['start', 'access'],
];

/** The step that owns a request field (`network.bridge` → placement); unknown fields go to review. */
export function stepOfField(field: string): StepId {
  const match = FIELD_STEPS.find(([prefix]) => field === prefix || field.startsWith(`${prefix}.`) || field.startsWith(`${prefix}[`));
  return match?.[1] ?? 'review';
}

export function stepIndex(id: StepId): number {
  return STEPS.findIndex((step) => step.id === id);
}

/** The server's field errors that belong to `step`. */
export function errorsOfStep(fields: Record<string, string>, step: StepId): [string, string][] {
  return Object.entries(fields).filter(([field]) => stepOfField(field) === step);
}

export type Kind = 'lxc' | 'vm';
/** Where a VM comes from. */
export type VmSource = 'iso' | 'clone';

/** Case-insensitive match of every word of `query` in `text`. */
export function matches(text: string, query: string): boolean {
  const haystack = text.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => haystack.includes(word));
}

/** The preset with exactly these resources, or null (custom). */
export function presetOf(presets: SizePreset[], cores: number, memoryMib: number, diskGib: number): string | null {
  return (
    presets.find((p) => p.cores === cores && p.memory_mib === memoryMib && p.disk_gib === diskGib)?.name ?? null
  );
}

/** Nodes that can take a new instance at all: online, and their storages and bridges known. */
export function usableNodes(options: LaunchOptions): LaunchNode[] {
  return options.nodes.filter((node) => node.online && !node.problem);
}

/** Storages for this kind of root disk on `nodes`, one entry per storage id (the roomiest copy). */
export function diskStorages(nodes: LaunchNode[], kind: Kind): LaunchStorage[] {
  const best = new Map<string, LaunchStorage>();
  for (const node of nodes) {
    for (const storage of node.storages) {
      if (!(kind === 'lxc' ? storage.for_containers : storage.for_vms)) continue;
      const known = best.get(storage.storage);
      if (!known || known.avail_bytes < storage.avail_bytes) best.set(storage.storage, storage);
    }
  }
  return [...best.values()].sort((a, b) => a.storage.localeCompare(b.storage));
}

/** Bridges on any of `nodes`, sorted. */
export function bridgesOf(nodes: LaunchNode[]): string[] {
  return [...new Set(nodes.flatMap((node) => node.bridges))].sort();
}

/** An unset choice: the server picks (node, storage) or the user has not chosen yet. */
export const AUTO = '';

/** The request fields whose values differ (`network.bridge`, not `network`). */
export function changedFields(before: object, after: object): string[] {
  const flat = (value: object) =>
    Object.entries(value).flatMap(([key, v]): [string, string][] =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.entries(v).map(([inner, w]): [string, string] => [`${key}.${inner}`, JSON.stringify(w)])
        : [[key, JSON.stringify(v)]],
    );
  const a = new Map(flat(before));
  const b = new Map(flat(after));
  return [...new Set([...a.keys(), ...b.keys()])].filter((key) => a.get(key) !== b.get(key));
}

/** `ssh_public_keys[1]` → `ssh_public_keys`: the request field an error is about. */
export const rootField = (field: string) => field.replace(/\[\d+\]$/, '');

const GIB = 1024 ** 3;

/**
 * The smallest disk (GiB) the request may ask for: a clone starts as a copy of its
 * template's disk, and a disk can only grow. 1 for everything else.
 */
export function minDiskGib(options: LaunchOptions, kind: Kind, vmSource: VmSource, cloneFrom: number | null): number {
  if (kind !== 'vm' || vmSource !== 'clone') return 1;
  const template = options.vm_templates.find((t) => t.vmid === cloneFrom);
  return template ? Math.max(1, Math.ceil(template.disk_bytes / GIB)) : 1;
}

/** Memory in the one unit system of the console: MiB below 1 GiB, GiB from there. */
export const formatMib = (mib: number) => (mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`);
