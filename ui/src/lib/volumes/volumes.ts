// How the console lists volumes: columns, search and sort values, and what each state allows.
import { timeValue, type SortColumn, type SortValue } from '../sort';
import type { Volume, VolumeStatus } from './api';

export type VolumeColumn = 'name' | 'size_gib' | 'status' | 'attached' | 'node' | 'created_at';

export const VOLUME_COLUMNS: readonly SortColumn<VolumeColumn>[] = [
  { key: 'name', label: 'Name' },
  { key: 'size_gib', label: 'Size' },
  { key: 'status', label: 'Status' },
  { key: 'attached', label: 'Attached to' },
  { key: 'node', label: 'Node / storage' },
  { key: 'created_at', label: 'Created' },
];

/** `instanceName` names the instance a volume is attached to (its id until known). */
export function volumeSortValue(volume: Volume, key: VolumeColumn, instanceName: (id: string) => string): SortValue {
  switch (key) {
    case 'attached':
      return volume.attachment ? instanceName(volume.attachment.instance_id) : '';
    case 'node':
      return `${volume.node}/${volume.storage}`;
    case 'created_at':
      return timeValue(volume.created_at);
    default:
      return volume[key];
  }
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
