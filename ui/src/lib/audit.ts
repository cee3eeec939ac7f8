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
