// The instance list's filters and order as URL parameters, so a reload, a shared link
// and the browser's Back restore the list as it was. Defaults are left out of the URL.
//   ?q=web&status=running&status=stopped&type=lxc&tag=prod&sort=-memory_bytes&view=templates
// To add a filter: a field here, its parameter in both functions, and its use in filter.ts.
import type { InstanceFilter, SortKey, SortOrder } from './filter';

export interface ListState extends InstanceFilter {
  order: SortOrder;
}

const SORT_KEYS: readonly SortKey[] = ['name', 'type', 'status', 'node', 'ip', 'cpus', 'memory_bytes', 'owner'];
const DEFAULT_ORDER: SortOrder = { key: 'name', descending: false };

function readOrder(value: string | null): SortOrder {
  if (!value) return DEFAULT_ORDER;
  const descending = value.startsWith('-');
  const key = (descending ? value.slice(1) : value) as SortKey;
  return SORT_KEYS.includes(key) ? { key, descending } : DEFAULT_ORDER;
}

export function readListState(query: URLSearchParams): ListState {
  return {
    text: query.get('q') ?? '',
    statuses: new Set(query.getAll('status')),
    types: new Set(query.getAll('type')),
    tags: new Set(query.getAll('tag')),
    templates: query.get('view') === 'templates',
    order: readOrder(query.get('sort')),
  };
}

/** `?…` for `state` (or '' when everything is at its default). */
export function listStateSearch(state: ListState): string {
  const query = new URLSearchParams();
  if (state.text) query.set('q', state.text);
  for (const status of state.statuses) query.append('status', status);
  for (const type of state.types) query.append('type', type);
  for (const tag of state.tags) query.append('tag', tag);
  if (state.templates) query.set('view', 'templates');
  const { key, descending } = state.order;
  if (key !== DEFAULT_ORDER.key || descending !== DEFAULT_ORDER.descending) {
    query.set('sort', `${descending ? '-' : ''}${key}`);
  }
  const search = query.toString();
  return search ? `?${search}` : '';
}
