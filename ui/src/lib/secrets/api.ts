// Secrets vault API calls (`/api/v1/secrets`, `/api/v1/instances/{id}/secrets`), typed
// with the generated schema. A value leaves the server only in `reveal` (an audited
// read): keep it in the component that asked, never in a store or the URL.
import { get, post, request } from '../api/client';
import type { components } from '../api/schema';

type Schemas = components['schemas'];

export type Secret = Schemas['SecretDto'];
export type SecretValue = Schemas['SecretValueDto'];
export type SecretVersion = Schemas['SecretVersionDto'];
export type SecretGrant = Schemas['SecretGrantDto'];
export type InstanceSecrets = Schemas['InstanceSecretsDto'];
export type Job = Schemas['JobDto'];

/** By id: names are per owner, ids reach shared secrets too. */
const path = (secret: Pick<Secret, 'id'>) => `/api/v1/secrets/${encodeURIComponent(secret.id)}`;

export const listSecrets = () => get<Schemas['Paginated_SecretDto']>('/api/v1/secrets', { limit: 1000 });

export const createSecret = (name: string, value: string, description: string) =>
  post<Secret>('/api/v1/secrets', { name, value, description });

/** The current value; every call is in the audit log as an access. */
export const revealSecret = (secret: Secret) => get<SecretValue>(path(secret));

export const updateSecret = (secret: Secret, changes: { value?: string; description?: string }) =>
  request<Secret>(path(secret), { method: 'PATCH', body: changes }).then((r) => r.data);

export const deleteSecret = (secret: Secret) =>
  request<void>(path(secret), { method: 'DELETE' }).then(() => undefined);

export const listVersions = (secret: Secret) =>
  get<Schemas['Paginated_SecretVersionDto']>(`${path(secret)}/versions`).then((page) => page.items);

export const rollbackSecret = (secret: Secret, version: number) =>
  post<Secret>(`${path(secret)}/rollback`, { version });

export const listGrants = (secret: Secret) =>
  get<Schemas['Paginated_SecretGrantDto']>(`${path(secret)}/grants`).then((page) => page.items);

export const grantSecret = (secret: Secret, user: string) => post<SecretGrant>(`${path(secret)}/grants`, { user });

export const revokeGrant = (secret: Secret, grant: SecretGrant) =>
  request<void>(`${path(secret)}/grants/${encodeURIComponent(grant.user_id)}`, { method: 'DELETE' }).then(
    () => undefined,
  );

const instancePath = (id: string) => `/api/v1/instances/${encodeURIComponent(id)}/secrets`;

export const instanceSecrets = (id: string) => get<InstanceSecrets>(instancePath(id));

/** Replaces the list; the answer is the job that writes them into the container. */
export const setInstanceSecrets = (id: string, secrets: string[]) =>
  request<Job>(instancePath(id), { method: 'PUT', body: { secrets } }).then((r) => r.data);

/** What the injection state says, in words. */
export function injectionWords(state: InstanceSecrets): string {
  switch (state.status) {
    case 'pending':
      return 'Being applied…';
    case 'applied':
      return 'Applied: a running container receives them at its next start.';
    case 'failed':
      return `Not applied: ${state.reason ?? 'the job failed'}`;
    default:
      return 'No secrets given yet.';
  }
}
