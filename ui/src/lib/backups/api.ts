// Backup API calls (`/api/v1/backups`), typed with the generated schema. Taking,
// deleting and restoring are jobs (202 with the job): the page follows them through
// the job events; protecting is answered at once with the backup.
import { del, get, post } from '../api/client';
import type { components, operations } from '../api/schema';

type Schemas = components['schemas'];

export type Backup = Schemas['BackupDto'];
export type CreateBackup = Schemas['CreateBackupRequest'];
export type RestoreBackup = Schemas['RestoreBackupRequest'];
type Job = Schemas['JobDto'];

/** `GET /api/v1/backups` filters (instance, status) and page. */
export type BackupQuery = NonNullable<operations['list_backups']['parameters']['query']>;
export type BackupStatus = NonNullable<BackupQuery['status']>;

const backup = (id: string) => `/api/v1/backups/${encodeURIComponent(id)}`;

/** One page of backups, newest first; `next_cursor` asks for the next. */
export const listBackups = (query: BackupQuery = {}) => get<Schemas['Paginated_BackupDto']>('/api/v1/backups', { ...query });
export const createBackup = (body: CreateBackup) => post<Job>('/api/v1/backups', body);
export const deleteBackup = (id: string) => del<Job>(backup(id));
export const protectBackup = (id: string, protect: boolean) => post<Backup>(`${backup(id)}/${protect ? 'protect' : 'unprotect'}`, {});
export type BackupStorage = Schemas['BackupStorageDto'];
/** The storages of the instance's node that hold backups (what "Back up now" offers). */
export const listBackupStorages = (instanceId: string) =>
  get<Schemas['Paginated_BackupStorageDto']>(`/api/v1/instances/${encodeURIComponent(instanceId)}/backup-storages`);
export const restoreBackup = (id: string, body: RestoreBackup) => post<Job>(`${backup(id)}/restore`, body);

export const STATUS_OPTIONS: readonly BackupStatus[] = ['available', 'creating', 'deleting', 'error'];

export function statusParam(value: string | null): BackupStatus | undefined {
  return STATUS_OPTIONS.find((option) => option === value);
}

/** "1 min 20 s" for a duration in seconds. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${seconds} s`;
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
