// The calls of an instance's detail page and its actions (start/stop/…/terminate,
// each answered `202 {job}`), typed with the generated schema.
import { get, post, request } from '../api/client';
import type { components } from '../api/schema';
import type { Instance, Job, JobPage } from '../api/types';

type Schemas = components['schemas'];
export type ConfigEntry = Schemas['ConfigEntryDto'];
export type InstanceConfig = Schemas['InstanceConfigDto'];
export type InstanceAuditPage = Schemas['Paginated_AuditEntryDto'];

export type PowerAction = 'start' | 'stop' | 'shutdown' | 'reboot';

const path = (id: string) => `/api/v1/instances/${encodeURIComponent(id)}`;

export const listInstanceJobs = (id: string, cursor?: string) => get<JobPage>(`${path(id)}/jobs`, { limit: 20, cursor });

export const listInstanceAudit = (id: string, cursor?: string) =>
  get<InstanceAuditPage>(`${path(id)}/audit`, { limit: 50, cursor });

/** Live from Proxmox: fails with 503 while its cluster is unreachable. */
export const getInstanceConfig = (id: string) => get<InstanceConfig>(`${path(id)}/config`);

export const powerInstance = (id: string, action: PowerAction) => post<Job>(`${path(id)}/${action}`, {});

/** `name` repeats the instance's name, as the server requires. */
export const terminateInstance = (id: string, name: string) =>
  request<Job>(path(id), { method: 'DELETE', body: { confirm: name } }).then((r) => r.data);

/** Admins: gives the instance to `ownerId` (null: nobody). */
export const assignOwner = (id: string, ownerId: string | null) =>
  request<Instance>(`${path(id)}/owner`, { method: 'PUT', body: { owner_id: ownerId } }).then((r) => r.data);

export type InstanceSnapshot = Schemas['SnapshotDto'];
const snapshotPath = (id: string, name: string) => `${path(id)}/snapshots/${encodeURIComponent(name)}`;

/** Live from Proxmox, oldest first. */
export const listInstanceSnapshots = (id: string) => get<Schemas['SnapshotListDto']>(`${path(id)}/snapshots`);
export const takeInstanceSnapshot = (id: string, body: Schemas['CreateSnapshotRequest']) => post<Job>(`${path(id)}/snapshots`, body);
export const rollbackInstanceSnapshot = (id: string, name: string, start: boolean) =>
  post<Job>(`${snapshotPath(id, name)}/rollback`, { start });
export const deleteInstanceSnapshot = (id: string, name: string) =>
  request<Job>(snapshotPath(id, name), { method: 'DELETE' }).then((r) => r.data);

export type UpdateInstanceRequest = Schemas['UpdateInstanceRequest'];
/** Rename and/or retag: applied at once by Proxmox, answered with the instance. */
export const updateInstance = (id: string, body: UpdateInstanceRequest) =>
  request<Instance>(path(id), { method: 'PATCH', body }).then((r) => r.data);

export type ResizeInstanceRequest = Schemas['ResizeInstanceRequest'];
/** Cores, memory and/or a larger root disk, as a job. */
export const resizeInstance = (id: string, body: ResizeInstanceRequest) => post<Job>(`${path(id)}/resize`, body);

/** The running instances using the most CPU at the last sample (the dashboard's top 5). */
export const busiestInstances = (limit: number) =>
  get<Schemas['InstanceListDto']>('/api/v1/instances', { status: 'running', sort: '-cpu', limit });
