// Key pair API calls (`/api/v1/keypairs`), typed with the generated schema.
import { get, post, request } from '../api/client';
import type { components } from '../api/schema';

type Schemas = components['schemas'];

export type KeyPair = Schemas['KeyPairDto'];
export type GeneratedKeyPair = Schemas['GeneratedKeyPairDto'];
export type InstanceKeyPair = Schemas['InstanceKeyPairDto'];
export type KeyType = Schemas['KeyTypeDto'];

const path = (id: string) => `/api/v1/keypairs/${encodeURIComponent(id)}`;

export const listKeyPairs = () => get<Schemas['Paginated_KeyPairDto']>('/api/v1/keypairs');

/** The answer holds the private key: the only time it exists outside the browser's download. */
export const generateKeyPair = (name: string, type: KeyType) =>
  post<GeneratedKeyPair>('/api/v1/keypairs', { name, type });

export const importKeyPair = (name: string, publicKey: string) =>
  post<KeyPair>('/api/v1/keypairs/import', { name, public_key: publicKey });

export const deleteKeyPair = (id: string) =>
  request<void>(path(id), { method: 'DELETE' }).then(() => undefined);

export const listInstanceKeyPairs = (instanceId: string) =>
  get<Schemas['Paginated_InstanceKeyPairDto']>(`/api/v1/instances/${encodeURIComponent(instanceId)}/keypairs`);

/** Saves `text` as a file named `filename` through the browser's download. */
export function download(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-pem-file' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}
