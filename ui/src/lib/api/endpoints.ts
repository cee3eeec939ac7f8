// One function per API call the console makes, typed with the generated schema.
import { get, post, request } from './client';
import type { AuditQuery } from '../audit';
import type {
  ApiTokenPage,
  AuditPage,
  ClusterPage,
  Cluster,
  ClusterRequest,
  ConnectionTest,
  CreatedApiToken,
  CurrentUser,
  Instance,
  InstanceList,
  InstanceSummary,
  JobPage,
  SessionResponse,
  Settings,
  Role,
  User,
  UserPage,
  UserWithPassword,
} from './types';

export const login = (username: string, password: string) =>
  request<SessionResponse>('/api/v1/auth/login', {
    method: 'POST',
    body: { username, password, use_cookies: true },
    noRefresh: true,
  }).then((r) => r.data);

export const logout = () => post<void>('/api/v1/auth/logout');

/** The signed-in user, or null when there is no (refreshable) session. */
export async function currentUser(): Promise<CurrentUser | null> {
  try {
    return (await request<CurrentUser>('/api/v1/auth/me')).data;
  } catch {
    return null;
  }
}

export interface InstancePage extends InstanceList {
  cacheStatus: string | null;
}

export async function listInstances(cursor?: string, signal?: AbortSignal): Promise<InstancePage> {
  const { data, headers } = await request<InstanceList>('/api/v1/instances', {
    query: { limit: 1000, cursor },
    signal,
  });
  return { ...data, cacheStatus: headers.get('X-Cache-Status') };
}

/** Counts by status and per-cluster totals of the instances the caller may see. */
export const instanceSummary = () => get<InstanceSummary>('/api/v1/instances/summary');

export const getInstance = (id: string) => get<Instance>(`/api/v1/instances/${encodeURIComponent(id)}`);

export const listJobs = (limit = 10) => get<JobPage>('/api/v1/jobs', { limit });

export const listClusters = () => get<ClusterPage>('/api/v1/clusters');

const clusterPath = (id: string) => `/api/v1/clusters/${encodeURIComponent(id)}`;

export const createCluster = (body: ClusterRequest) => post<Cluster>('/api/v1/clusters', body);

/** Leave the secret out of `body.auth` to keep the stored one. */
export const updateCluster = (id: string, body: ClusterRequest) =>
  request<Cluster>(clusterPath(id), { method: 'PUT', body }).then((r) => r.data);

/** `name` repeats the cluster's name, as the server requires. */
export const deleteCluster = (id: string, name: string) =>
  request<void>(clusterPath(id), { method: 'DELETE', body: { confirm: name } }).then(() => undefined);

/** Tests the saved settings: `ok` with version and nodes, or the precise error. */
export const testCluster = (id: string) => post<ConnectionTest>(`${clusterPath(id)}/test`);
/** Tries settings before they are saved (nothing is stored). */
export const testUnsavedCluster = (body: ClusterRequest) => post<ConnectionTest>('/api/v1/clusters/test', body);

export const getSettings = () => get<Settings>('/api/v1/settings');

export const saveSettings = (settings: Settings) =>
  request<Settings>('/api/v1/settings', { method: 'PUT', body: settings }).then((r) => r.data);

export const listUsers = () => get<UserPage>('/api/v1/users', { limit: 1000 });

export const listTokens = () => get<ApiTokenPage>('/api/v1/tokens');

export const createToken = (name: string, expiresInDays: number) =>
  post<CreatedApiToken>('/api/v1/tokens', { name, expires_in_days: expiresInDays });

export const revokeToken = (id: string) =>
  request<void>(`/api/v1/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' }).then(() => undefined);

const userPath = (id: string) => `/api/v1/users/${encodeURIComponent(id)}`;

/** `password` left empty: the server generates one and returns it once. */
export const createUser = (username: string, role: Role, password: string) =>
  post<UserWithPassword>('/api/v1/users', { username, role, password: password || undefined });

export const changeRole = (id: string, role: Role) =>
  request<User>(userPath(id), { method: 'PATCH', body: { role } }).then((r) => r.data);

export const setUserEnabled = (id: string, enabled: boolean) =>
  post<User>(`${userPath(id)}/${enabled ? 'enable' : 'disable'}`);

export const deleteUser = (id: string) => request<void>(userPath(id), { method: 'DELETE' }).then(() => undefined);

/** Ends every other session of the caller; this one is renewed (new cookies). */
export const changeOwnPassword = (currentPassword: string, newPassword: string) =>
  post<unknown>('/api/v1/me/password', { current_password: currentPassword, new_password: newPassword }).then(() => undefined);

/** A generated password, returned once. */
export const resetPassword = (id: string) => post<UserWithPassword>(`${userPath(id)}/reset-password`, {});

export const listAudit = (filters: AuditQuery, cursor?: string) =>
  get<AuditPage>('/api/v1/audit', { ...filters, cursor, limit: 50 });
