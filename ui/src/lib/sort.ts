// Column sorting shared by the record tables (users, API tokens, audit log): one
// order type, one toggle rule and one comparator, so every table sorts alike. The
// instance list uses the order type and toggle rule but keeps its own comparator.

export interface SortOrder<K extends string> {
  key: K;
  descending: boolean;
}

/** A sortable column: the key its rows sort by and its header text. */
export interface SortColumn<K extends string> {
  key: K;
  label: string;
}

/** A sortable cell value; `null`/`undefined` (e.g. "never used") sorts last. */
export type SortValue = string | number | boolean | null | undefined;

/** Clicking the current column flips its direction; another column starts ascending. */
export function toggleSort<K extends string>(order: SortOrder<K>, key: K): SortOrder<K> {
  return { key, descending: order.key === key ? !order.descending : false };
}

export function ariaSort<K extends string>(order: SortOrder<K>, key: K): 'ascending' | 'descending' | 'none' {
  if (order.key !== key) return 'none';
  return order.descending ? 'descending' : 'ascending';
}

/**
 * An order as a URL parameter (`created_at`, `-created_at` for descending), null at
 * `fallback` (defaults stay out of the URL).
 */
export function orderParam<K extends string>(order: SortOrder<K>, fallback: SortOrder<K>): string | null {
  if (order.key === fallback.key && order.descending === fallback.descending) return null;
  return `${order.descending ? '-' : ''}${order.key}`;
}

/** The order a `sort` parameter names, if it is one of `keys`; else `fallback`. */
export function readOrderParam<K extends string>(value: string | null, keys: readonly K[], fallback: SortOrder<K>): SortOrder<K> {
  if (!value) return fallback;
  const descending = value.startsWith('-');
  const key = (descending ? value.slice(1) : value) as K;
  return keys.includes(key) ? { key, descending } : fallback;
}

/** A timestamp column's value: milliseconds (text would misorder fractional seconds). */
export function timeValue(iso: string | null | undefined): number | null {
  return iso ? Date.parse(iso) : null;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compare(x: SortValue, y: SortValue): number {
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (typeof x === 'boolean' && typeof y === 'boolean') return Number(x) - Number(y);
  return collator.compare(String(x), String(y));
}

/**
 * A sorted copy of `rows`. Missing values go last in both directions (an empty
 * "expires" column should not open the list); ties keep their original order.
 */
export function sortRows<T, K extends string>(
  rows: readonly T[],
  order: SortOrder<K>,
  value: (row: T, key: K) => SortValue,
): T[] {
  const direction = order.descending ? -1 : 1;
  return rows
    .map((row, index) => ({ row, index, value: value(row, order.key) }))
    .sort((a, b) => {
      const aMissing = a.value === null || a.value === undefined || a.value === '';
      const bMissing = b.value === null || b.value === undefined || b.value === '';
      if (aMissing || bMissing) return aMissing === bMissing ? a.index - b.index : aMissing ? 1 : -1;
      return compare(a.value, b.value) * direction || a.index - b.index;
    })
    .map((entry) => entry.row);
}
