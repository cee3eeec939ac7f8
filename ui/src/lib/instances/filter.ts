// Pure filtering and sorting of the instance list: runs on every keystroke over
// up to 10,000 rows, so it avoids allocating per row beyond the result array. Status
// chips, counts and the status sort use the status the badges show (`shownStatus`).
import type { Instance } from '../api/types';
import type { SortOrder as ColumnOrder } from '../sort';
import { shownStatus } from './actions';

/** The instance table's sortable columns, in order; a list URL's `sort` names one of their keys. */
export const INSTANCE_COLUMNS = [
  { key: 'name', label: 'Name' },
  { key: 'type', label: 'Type' },
  { key: 'status', label: 'Status' },
  { key: 'node', label: 'Node' },
  { key: 'ip', label: 'IP address' },
  { key: 'cpus', label: 'CPU' },
  { key: 'memory_bytes', label: 'Memory' },
  { key: 'net', label: 'Network' },
  { key: 'owner', label: 'Owner' },
] as const;

export type SortKey = (typeof INSTANCE_COLUMNS)[number]['key'];
/**
 * The record tables' order type. The instance list keeps its own comparator
 * (`sortInstances`): it breaks ties by name and sorts a missing IP first, unlike `sortRows`.
 */
export type SortOrder = ColumnOrder<SortKey>;

export interface InstanceFilter {
  text: string;
  statuses: ReadonlySet<string>;
  types: ReadonlySet<string>;
  /** Any of these tags (none: all). */
  tags: ReadonlySet<string>;
  /** Templates are listed apart: they are images to launch from, not stopped guests. */
  templates: boolean;
}

/** Does `instance` match the search text (name, node, vmid, IP, tags)? `needle` is lower case. */
function matchesText(instance: Instance, needle: string): boolean {
  if (needle === '') return true;
  return (
    instance.name.toLowerCase().includes(needle) ||
    instance.node.toLowerCase().includes(needle) ||
    String(instance.vmid).startsWith(needle) ||
    instance.addresses.some((address) => address.startsWith(needle)) ||
    instance.tags.some((tag) => tag.toLowerCase().includes(needle))
  );
}

function sortValue(instance: Instance, key: SortKey, ownerName: (id: string | null | undefined) => string) {
  switch (key) {
    case 'owner':
      return ownerName(instance.owner_id);
    case 'status':
      return shownStatus(instance);
    case 'ip':
      return instance.addresses[0] ?? '';
    case 'cpus':
      // Busiest first when descending: the share of its vCPUs in use.
      return instance.cpu_usage;
    case 'memory_bytes':
      return instance.memory_used_bytes;
    case 'net':
      return (instance.net_in_bytes_per_sec ?? 0) + (instance.net_out_bytes_per_sec ?? 0);
    default:
      return instance[key];
  }
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/**
 * The instances in `order`. Sorting 10,000 rows costs tens of milliseconds, so it is
 * done when the rows or the order change, not on every keystroke of the search:
 * filtering a sorted list keeps it sorted.
 */
export function sortInstances(
  instances: readonly Instance[],
  order: SortOrder,
  ownerName: (id: string | null | undefined) => string = () => '',
): Instance[] {
  const result = [...instances];
  const direction = order.descending ? -1 : 1;
  result.sort((a, b) => {
    const x = sortValue(a, order.key, ownerName);
    const y = sortValue(b, order.key, ownerName);
    const primary =
      typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y));
    return primary !== 0 ? primary * direction : collator.compare(a.name, b.name);
  });
  return result;
}

/** What the list shows for a filter: its rows and what each chip would show. */
export interface InstanceView {
  /** The rows of the sorted input that match, in the same order. */
  rows: Instance[];
  /**
   * Per chip, the rows every *other* filter lets through, so a count says how many rows
   * pressing that chip would show (typing "web" makes the status counts the web ones').
   */
  statusCounts: Map<string, number>;
  tagCounts: Map<string, number>;
  /** Templates in the input: they are listed in a view of their own. */
  templates: number;
}

/**
 * One pass over up to 10,000 rows per keystroke: each condition is checked once per
 * row, and the rows, the chip counts and the template count all come out of it.
 */
export function viewInstances(sorted: readonly Instance[], filter: InstanceFilter): InstanceView {
  const needle = filter.text.trim().toLowerCase();
  const view: InstanceView = { rows: [], statusCounts: new Map(), tagCounts: new Map(), templates: 0 };
  for (const instance of sorted) {
    if (instance.template) view.templates += 1;
    if (instance.template !== filter.templates) continue;
    if (filter.types.size > 0 && !filter.types.has(instance.type)) continue;
    if (!matchesText(instance, needle)) continue;
    const status = shownStatus(instance);
    const statusOk = filter.statuses.size === 0 || filter.statuses.has(status);
    const tagsOk = filter.tags.size === 0 || instance.tags.some((tag) => filter.tags.has(tag));
    if (tagsOk) view.statusCounts.set(status, (view.statusCounts.get(status) ?? 0) + 1);
    if (statusOk) for (const tag of instance.tags) view.tagCounts.set(tag, (view.tagCounts.get(tag) ?? 0) + 1);
    if (statusOk && tagsOk) view.rows.push(instance);
  }
  return view;
}
