// How the console lists volumes: columns, search and sort values, and what each state allows.
import type { SortColumn, SortOrder } from '../sort';
import type { Volume, VolumeSortParam, VolumeStatus } from './api';

export type VolumeColumn = 'name' | 'size_gib' | 'status' | 'attached' | 'node' | 'created_at';

/** The table's columns; those with a server order sort the whole list, not only the loaded rows. */
export const VOLUME_COLUMNS: readonly SortColumn<VolumeColumn>[] = [
  { key: 'name', label: 'Name' },
  { key: 'size_gib', label: 'Size' },
  { key: 'status', label: 'Status' },
  { key: 'attached', label: 'Attached to' },
  { key: 'node', label: 'Node / storage' },
  { key: 'created_at', label: 'Created' },
];

/** The server's `sort` value per sortable column (`attached` has none: the server
 *  knows attached instances by id, not by the name shown). */
const SERVER_SORT: Partial<Record<VolumeColumn, VolumeSortParam>> = {
  name: 'name',
  size_gib: 'size',
  status: 'status',
  node: 'node',
  created_at: 'created',
};

export function sortable(key: VolumeColumn): boolean {
  return key in SERVER_SORT;
}

/** The `sort` parameter of `GET /api/v1/volumes` for an order of the table. */
export function serverSort(order: SortOrder<VolumeColumn>): VolumeSortParam {
  const key = SERVER_SORT[order.key] ?? 'name';
  return (order.descending ? `-${key}` : key) as VolumeSortParam;
}

/** The status chips of the Volumes page, in the order they are shown. */
export const STATUS_OPTIONS: readonly VolumeStatus[] = ['available', 'in-use', 'creating', 'deleting', 'error'];

/** The status a `?status=` parameter names, if it is one. */
export function statusParam(value: string | null): VolumeStatus | undefined {
  return STATUS_OPTIONS.find((status) => status === value);
}

/** Where the attached instance sees it: `/data` in a container, `scsi1` on a VM. */
export function attachedAs(volume: Volume): string {
  const attachment = volume.attachment;
  if (!attachment) return '';
  return attachment.mount_path ? `at ${attachment.mount_path}` : `as ${attachment.device}`;
}

/** Volumes in these states are busy with a job: their actions wait. */
export const BUSY_STATES = new Set(['creating', 'deleting']);
