// The instance list's filters and order as URL parameters, so a reload, a shared link
// and the browser's Back restore the list as it was. Defaults are left out of the URL.
//   ?q=web&status=running&status=stopped&type=lxc&tag=prod&sort=-memory_bytes&view=templates
// To add a filter: a field here, its parameter in both functions, and its use in filter.ts.
import { orderParam, readOrderParam } from '../sort';
import { INSTANCE_COLUMNS, type InstanceFilter, type SortKey, type SortOrder } from './filter';

export interface ListState extends InstanceFilter {
  order: SortOrder;
}

/** The order a `sort` parameter names (by name when none or an unknown one). */
export const readOrder = (param: string | null): SortOrder => readOrderParam(param, SORT_KEYS, DEFAULT_ORDER);

const SORT_KEYS: readonly SortKey[] = INSTANCE_COLUMNS.map((column) => column.key);
const DEFAULT_ORDER: SortOrder = { key: 'name', descending: false };

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

/** The URL parameters that say `change` (for `router.setQuery`). */
export function listStateParams(change: Partial<ListState>): Record<string, string | string[] | null> {
  const params: Record<string, string | string[] | null> = {};
  if (change.text !== undefined) params.q = change.text;
  if (change.statuses) params.status = [...change.statuses];
  if (change.types) params.type = [...change.types];
  if (change.tags) params.tag = [...change.tags];
  if (change.templates !== undefined) params.view = change.templates ? 'templates' : null;
  if (change.order) params.sort = orderParam(change.order, DEFAULT_ORDER);
  return params;
}
