// Image API calls (`/api/v1/images`), typed with the generated schema, and how the
// Images page shows, filters and sorts them. A new image operation: its call here.
import { get, request, upload, type UploadProgress } from '../api/client';
import type { components, operations } from '../api/schema';
import type { Job } from '../api/types';
import type { SortColumn, SortValue } from '../sort';

type Schemas = components['schemas'];

export type Image = Schemas['ImageDto'];
export type ImageKind = Schemas['ImageKindDto'];
export type ImageList = Schemas['ImageListDto'];
export type ImageStorage = Schemas['ImageStorageDto'];
export type Appliance = Schemas['ApplianceDto'];

export const listImages = () => get<ImageList>('/api/v1/images');

export const listCatalog = () => get<Schemas['ApplianceListDto']>('/api/v1/images/catalog');

/** Queues the download job; follow it with `launch/follow.ts`. */
export const downloadImage = (node: string, storage: string, template: string) =>
  request<Job>('/api/v1/images/download', { method: 'POST', body: { node, storage, template } }).then((r) => r.data);

/** Queues turning a stopped instance into a template; follow the job. */
export const createImageFromInstance = (instanceId: string) =>
  request<Job>('/api/v1/images', { method: 'POST', body: { instance_id: instanceId } }).then((r) => r.data);

/** Queues the image's deletion (`id` as the list gives it); follow the job. */
export const deleteImage = (id: string) =>
  request<Job>(`/api/v1/images/${encodeURIComponent(id)}`, { method: 'DELETE' }).then((r) => r.data);

/** The type chips' words, which the URL keeps (`?type=ISO`). */
export const KIND_LABELS: Record<ImageKind, string> = {
  lxc_template: 'Container template',
  iso: 'ISO',
  vm_template: 'VM template',
};
export const KIND_OPTIONS = Object.values(KIND_LABELS);

export type ImageColumn = 'kind' | 'name' | 'os' | 'size' | 'storage' | 'nodes';

export const IMAGE_COLUMNS: readonly SortColumn<ImageColumn>[] = [
  { key: 'kind', label: 'Type' },
  { key: 'name', label: 'Name' },
  { key: 'os', label: 'OS' },
  { key: 'size', label: 'Size' },
  { key: 'storage', label: 'Storage' },
  { key: 'nodes', label: 'Nodes' },
];

export function imageSortValue(image: Image, key: ImageColumn): SortValue {
  if (key === 'kind') return KIND_LABELS[image.kind];
  if (key === 'nodes') return image.nodes.join(', ');
  return image[key];
}

/** Search text against the name, OS, storage and nodes; `kinds` (labels) empty means all. */
export function matchesImage(image: Image, text: string, kinds: ReadonlySet<string>): boolean {
  if (kinds.size > 0 && !kinds.has(KIND_LABELS[image.kind])) return false;
  const needle = text.trim().toLowerCase();
  if (!needle) return true;
  return [image.name, image.os ?? '', image.storage ?? '', ...image.nodes].some((field) => field.toLowerCase().includes(needle));
}

/** A row's key: its volume, or its vmid for a VM template. */
export const imageKey = (image: Image) => image.volid ?? `vm-${image.vmid}`;

type UploadQuery = operations['upload_image']['parameters']['query'];
export type UploadContent = UploadQuery['content'];
export type ChecksumAlgorithm = NonNullable<UploadQuery['checksum_algorithm']>;
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['sha256', 'sha512', 'sha1', 'md5', 'sha224', 'sha384'];

/** What a file is, by its name, as Proxmox VE accepts it; `null`: neither. */
export function uploadContentOf(name: string): UploadContent | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.iso') || lower.endsWith('.img')) return 'iso';
  if (/\.tar(\.(gz|xz|zst|bz2))?$/.test(lower)) return 'lxc_template';
  return null;
}

export interface UploadTarget {
  node: string;
  storage: string;
  checksum?: { algorithm: ChecksumAlgorithm; digest: string };
}

/** Streams `file` to the storage; resolves with the job that waits for Proxmox to
 *  verify and store it. */
export async function uploadImage(file: File, target: UploadTarget, onprogress: UploadProgress, signal?: AbortSignal): Promise<Job> {
  const content = uploadContentOf(file.name);
  if (!content) throw new Error(`${file.name} is neither an ISO nor a container template.`);
  const query = {
    node: target.node,
    storage: target.storage,
    content,
    filename: file.name,
    checksum_algorithm: target.checksum?.algorithm,
    checksum: target.checksum?.digest,
  };
  // Asked first, with the session refreshed if need be: a refusal sent while the file
  // is still going out reaches the browser as a broken connection, without its reason.
  await request<void>('/api/v1/images/upload', { method: 'POST', query: { ...query, dry_run: 'true', size: file.size }, signal });
  return upload<Job>('/api/v1/images/upload', query, file, onprogress, signal);
}
