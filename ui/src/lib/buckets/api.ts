// Bucket, object and S3 access key calls (`/api/v1/buckets`, `/api/v1/s3/access-keys`),
// typed with the generated schema. An object's key travels as one path segment
// (`encodeURIComponent` turns `a/b` into `a%2Fb`).
import { del, get, post, request } from '../api/client';
import type { components } from '../api/schema';

type Schemas = components['schemas'];

export type Bucket = Schemas['BucketDto'];
export type ObjectList = Schemas['ObjectListDto'];
export type ObjectItem = Schemas['ObjectDto'];
export type ObjectMetadata = Schemas['ObjectMetadataDto'];
export type Presigned = Schemas['PresignedUrlDto'];
export type MultipartUpload = Schemas['UploadDto'];
export type Part = Schemas['PartDto'];
export type AccessKey = Schemas['AccessKeyDto'];
export type CreatedAccessKey = Schemas['CreatedAccessKeyDto'];

export const bucketPath = (name: string) => `/api/v1/buckets/${encodeURIComponent(name)}`;
export const objectPath = (bucket: string, key: string) => `${bucketPath(bucket)}/objects/${encodeURIComponent(key)}`;

export const listBuckets = () => get<Schemas['Paginated_BucketDto']>('/api/v1/buckets', { limit: 1000 });
export const getBucket = (name: string) => get<Bucket>(bucketPath(name));
export const createBucket = (name: string) => post<Bucket>('/api/v1/buckets', { name });
export const deleteBucket = (name: string) => del<void>(bucketPath(name));

/** One page of the folder `prefix` (folders first, then objects). */
export const listObjects = (bucket: string, prefix: string, cursor?: string) =>
  get<ObjectList>(`${bucketPath(bucket)}/objects`, { prefix, delimiter: '/', cursor });

export const objectMetadata = (bucket: string, key: string) => get<ObjectMetadata>(`${objectPath(bucket, key)}/metadata`);

export const deleteObjects = (bucket: string, keys: string[]) =>
  post<Schemas['DeleteObjectsResponse']>(`${bucketPath(bucket)}/delete-objects`, { keys });

export const presign = (bucket: string, key: string, expiresInSecs: number) =>
  post<Presigned>(`${objectPath(bucket, key)}/presign`, { expires_in_secs: expiresInSecs });

export const createUpload = (bucket: string, key: string, contentType: string) =>
  post<MultipartUpload>(`${bucketPath(bucket)}/uploads`, { key, content_type: contentType || undefined });

export const completeUpload = (bucket: string, uploadId: string, parts: Part[]) =>
  post<ObjectItem>(`${bucketPath(bucket)}/uploads/${uploadId}/complete`, { parts });

export const abortUpload = (bucket: string, uploadId: string) =>
  del<void>(`${bucketPath(bucket)}/uploads/${uploadId}`);

export const listAccessKeys = () => get<Schemas['Paginated_AccessKeyDto']>('/api/v1/s3/access-keys');
/** The answer holds the secret: the only time it is shown. */
export const createAccessKey = () => post<CreatedAccessKey>('/api/v1/s3/access-keys');
export const setAccessKeyDisabled = (id: string, disabled: boolean) =>
  request<AccessKey>(`/api/v1/s3/access-keys/${id}`, { method: 'PATCH', body: { disabled } }).then((r) => r.data);
export const deleteAccessKey = (id: string) => del<void>(`/api/v1/s3/access-keys/${id}`);
