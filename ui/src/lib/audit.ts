// Audit log filters: the same query drives the table and the CSV export link.
import type { AuditEntry, Outcome } from './api/types';
import type { SortColumn, SortValue } from './sort';

export const OUTCOMES: readonly Outcome[] = ['success', 'failure', 'denied'];

export interface AuditFilters {
  username: string;
  action: string;
  resource: string;
  outcome: Outcome | '';
  /** `YYYY-MM-DDTHH:MM` from a datetime-local input, local time. */
  from: string;
  to: string;
}

export type AuditQuery = Partial<Record<'username' | 'action' | 'resource' | 'outcome' | 'from' | 'to', string>>;

export const emptyFilters = (): AuditFilters => ({ username: '', action: '', resource: '', outcome: '', from: '', to: '' });

const FILTER_KEYS = ['username', 'action', 'resource', 'outcome', 'from', 'to'] as const;

/** The filters a URL names (`?action=login&from=2026-01-01T00:00`); unknown outcomes are ignored. */
export function filtersFromQuery(query: URLSearchParams): AuditFilters {
  const filters = emptyFilters();
  for (const key of FILTER_KEYS) {
    const value = query.get(key) ?? '';
    if (key === 'outcome') filters.outcome = (OUTCOMES as readonly string[]).includes(value) ? (value as Outcome) : '';
    else filters[key] = value;
  }
  return filters;
}

/** `filters` as URL parameters (for `router.setQuery`); blanks remove theirs. */
export function filterParams(filters: AuditFilters): Record<string, string | null> {
  return Object.fromEntries(FILTER_KEYS.map((key) => [key, filters[key].trim() || null]));
}

/**
 * Where the pager is, kept in the URL so a reload or Back shows the same page: the
 * cursor of this page (none: the newest) and those of the pages before it, oldest
 * first (`FIRST` for the newest page; the API only pages forward).
 */
export interface AuditPagePosition {
  cursor: string | null;
  before: string[];
}

export const FIRST_PAGE = 'first';

export function pageFromQuery(query: URLSearchParams): AuditPagePosition {
  return { cursor: query.get('cursor'), before: query.getAll('before') };
}

/** URL parameters for the page after this one, whose cursor is `next`. */
export function olderPage(at: AuditPagePosition, next: string): Record<string, string | string[] | null> {
  return { cursor: next, before: [...at.before, at.cursor ?? FIRST_PAGE] };
}

/** URL parameters for the page before this one. */
export function newerPage(at: AuditPagePosition): Record<string, string | string[] | null> {
  const previous = at.before.at(-1);
  return { cursor: previous === FIRST_PAGE ? null : (previous ?? null), before: at.before.slice(0, -1) };
}

/** Why the time window finds nothing for certain (To not after From), or null. The
 * inputs' `YYYY-MM-DDTHH:MM` strings sort as the times they name. */
export function windowError(filters: AuditFilters): string | null {
  return filters.from && filters.to && filters.to <= filters.from ? 'To must be later than From.' : null;
}

const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);

/** The API's query: blanks left out, times as RFC 3339. */
export function auditQuery(filters: AuditFilters): AuditQuery {
  const query: AuditQuery = {
    username: filters.username.trim() || undefined,
    action: filters.action.trim() || undefined,
    resource: filters.resource.trim() || undefined,
    outcome: filters.outcome || undefined,
    from: toIso(filters.from),
    to: toIso(filters.to),
  };
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined));
}

export function csvExportUrl(filters: AuditFilters): string {
  const params = new URLSearchParams(auditQuery(filters) as Record<string, string>).toString();
  return params ? `/api/v1/audit.csv?${params}` : '/api/v1/audit.csv';
}

export type AuditColumn = 'seq' | 'at' | 'username' | 'action' | 'resource' | 'outcome' | 'source_ip';

export const AUDIT_COLUMNS: readonly SortColumn<AuditColumn>[] = [
  { key: 'seq', label: '#' },
  { key: 'at', label: 'Time' },
  { key: 'username', label: 'User' },
  { key: 'action', label: 'Action' },
  { key: 'resource', label: 'Resource' },
  { key: 'outcome', label: 'Outcome' },
  { key: 'source_ip', label: 'Source IP' },
];

/** `at` follows `seq` (the chain is appended in time order), so it sorts by the number. */
export function auditSortValue(entry: AuditEntry, key: AuditColumn): SortValue {
  return key === 'at' ? entry.seq : entry[key];
}
