// The launch wizard's API calls, typed with the generated schema.
import { get, request } from '../api/client';
import type { components } from '../api/schema';
import type { Job } from '../api/types';

type Schemas = components['schemas'];

export type LaunchOptions = Schemas['LaunchOptionsDto'];
export type LaunchNode = Schemas['LaunchNodeDto'];
export type LaunchStorage = Schemas['LaunchStorageDto'];
export type LaunchVolume = Schemas['LaunchVolumeDto'];
export type LaunchVmTemplate = Schemas['LaunchVmTemplateDto'];
export type SizePreset = Schemas['SizePresetDto'];
export type CreateInstanceRequest = Schemas['CreateInstanceRequest'];
/** The create job, with the generated root password when one was asked for (this answer only). */
export type LaunchedInstance = Schemas['LaunchedInstanceDto'];

export const getLaunchOptions = (clusterId?: string) =>
  get<LaunchOptions>('/api/v1/launch-options', { cluster_id: clusterId });

/** Resolves when the server would accept the request; throws its 422 (with `fields`) otherwise. */
export const validateLaunch = (body: CreateInstanceRequest) =>
  request<void>('/api/v1/instances/validate', { method: 'POST', body }).then(() => undefined);

/** Queues the create job. The same `idempotencyKey` returns the first job instead of a second instance. */
export const launchInstance = (body: CreateInstanceRequest, idempotencyKey: string) =>
  request<LaunchedInstance>('/api/v1/instances', { method: 'POST', body, headers: { 'Idempotency-Key': idempotencyKey } }).then(
    (r) => r.data,
  );

export const getJob = (id: string) => get<Job>(`/api/v1/jobs/${encodeURIComponent(id)}`);
