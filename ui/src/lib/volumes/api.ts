// Volume API calls (`/api/v1/volumes`, `/api/v1/volume-snapshots`), typed with the
// generated schema. Every change is a job (202 with the job): the page follows it
// through the job events.
import { del, get, post, request } from '../api/client';
import type { components, operations } from '../api/schema';

type Schemas = components['schemas'];

export type Volume = Schemas['VolumeDto'];
export type VolumeSnapshot = Schemas['VolumeSnapshotDto'];
export type CreateVolume = Schemas['CreateVolumeRequest'];
export type AttachVolume = Schemas['AttachVolumeRequest'];
type Job = Schemas['JobDto'];

const volume = (id: string) => `/api/v1/volumes/${encodeURIComponent(id)}`;
const snapshot = (id: string) => `/api/v1/volume-snapshots/${encodeURIComponent(id)}`;

/** `GET /api/v1/volumes` filters (attached instance, status, part of the name) and page. */
export type VolumeQuery = NonNullable<operations['list_volumes']['parameters']['query']>;
/** The statuses the list filters by (`?status=`). */
export type VolumeStatus = NonNullable<VolumeQuery['status']>;
/** The list's orders (`?sort=name`, `-size`, …). */
export type VolumeSortParam = NonNullable<VolumeQuery['sort']>;

/** One page of volumes (oldest first unless `sort`); `next_cursor` asks for the next. */
export const listVolumes = (query: VolumeQuery = {}) => get<Schemas['Paginated_VolumeDto']>('/api/v1/volumes', { ...query });
export const createVolume = (body: CreateVolume) => post<Job>('/api/v1/volumes', body);
export const deleteVolume = (id: string) => del<Job>(volume(id));
export const attachVolume = (id: string, body: AttachVolume) => post<Job>(`${volume(id)}/attach`, body);
export const detachVolume = (id: string) => post<Job>(`${volume(id)}/detach`, {});
export const growVolume = (id: string, sizeGib: number) => post<Job>(`${volume(id)}/grow`, { size_gib: sizeGib });

export const listSnapshots = (volumeId: string) =>
  get<Schemas['Paginated_VolumeSnapshotDto']>(`${volume(volumeId)}/snapshots`);
export const createSnapshot = (volumeId: string, name: string, description: string) =>
  post<Job>(`${volume(volumeId)}/snapshots`, { name, description });
export const deleteSnapshot = (id: string) => del<Job>(snapshot(id));
export const restoreSnapshot = (id: string) => post<Job>(`${snapshot(id)}/restore`, {});
export const cloneSnapshot = (id: string, name: string) => post<Job>(`${snapshot(id)}/clone`, { name });

export type VolumeClasses = Schemas['VolumeClassesDto'];
export type VolumeClass = Schemas['VolumeClassDto'];
const classes = '/api/v1/settings/volume-classes';
/** The volume classes an admin set up (everyone may read them: the create dialog offers them). */
export const getVolumeClasses = () => get<VolumeClasses>(classes);
/** Replaces every class (admin); a 422 names `classes[i].name` / `classes[i].storages[j]`. */
export const saveVolumeClasses = (body: VolumeClasses) =>
  request<VolumeClasses>(classes, { method: 'PUT', body }).then((r) => r.data);
