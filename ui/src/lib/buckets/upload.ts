// Uploading files into a bucket from the browser: what was dropped (files and whole
// folders, walked through the File System entries API) becomes a list of keys, and
// each file goes up with its own progress — in one PUT when small, else as a
// multipart upload whose parts are retried after a network blip, so a big file
// resumes at the failed part instead of starting over.
import { ApiError, upload } from '../api/client';
import { abortUpload, completeUpload, createUpload, objectPath, type Part } from './api';

/** Files above this go up in parts of `PART_SIZE` (the server's minimum part is 5 MiB). */
export const MULTIPART_THRESHOLD = 16 * 1024 * 1024;
export const PART_SIZE = 8 * 1024 * 1024;
/** Attempts per part before the upload gives up (waiting 1 s, 2 s, 4 s … between). */
const PART_ATTEMPTS = 5;

export interface DroppedFile {
  /** Path inside what was dropped: `folder/sub/file.txt`, or the file's name. */
  path: string;
  file: File;
}

// The entries API as Chromium and Firefox expose it on dropped items.
interface Entry {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  fullPath: string;
}
interface FileEntry extends Entry {
  file(success: (file: File) => void, failure: (error: unknown) => void): void;
}
interface DirectoryEntry extends Entry {
  createReader(): { readEntries(success: (entries: Entry[]) => void, failure: (error: unknown) => void): void };
}

async function walk(entry: Entry, out: DroppedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileEntry).file(resolve, reject));
    out.push({ path: entry.fullPath.replace(/^\/+/, ''), file });
    return;
  }
  const reader = (entry as DirectoryEntry).createReader();
  // readEntries answers in batches (100 in Chromium) until it answers an empty one.
  for (;;) {
    const batch = await new Promise<Entry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return;
    for (const child of batch) await walk(child, out);
  }
}

/** Every file of a drop, folders walked; the entries must be taken before any await. */
export async function droppedFiles(data: DataTransfer): Promise<DroppedFile[]> {
  const entries: Entry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(data.items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry() as Entry | null;
    if (entry) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) loose.push(file);
    }
  }
  const out: DroppedFile[] = loose.map((file) => ({ path: file.webkitRelativePath || file.name, file }));
  for (const entry of entries) await walk(entry, out);
  return out;
}

export type Progress = (sent: number, total: number) => void;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A failure worth another attempt: the connection broke, or the server had a moment. */
function retryable(error: unknown): boolean {
  if (error instanceof ApiError) return error.status >= 500 || error.status === 429;
  return !(error instanceof DOMException && error.name === 'AbortError');
}

/** Uploads `file` as `key`, reporting bytes sent; resolves when the object exists. */
export async function uploadFile(bucket: string, key: string, file: File, onprogress: Progress, signal?: AbortSignal): Promise<void> {
  const contentType = file.type || 'application/octet-stream';
  if (file.size <= MULTIPART_THRESHOLD) {
    await upload(objectPath(bucket, key), undefined, file, (sent) => onprogress(sent, file.size), signal, {
      method: 'PUT',
      contentType,
    });
    onprogress(file.size, file.size);
    return;
  }
  const created = await createUpload(bucket, key, contentType);
  const parts: Part[] = [];
  let done = 0;
  try {
    for (let number = 1, offset = 0; offset < file.size; number += 1, offset += PART_SIZE) {
      const chunk = file.slice(offset, Math.min(offset + PART_SIZE, file.size));
      const path = `/api/v1/buckets/${encodeURIComponent(bucket)}/uploads/${created.upload_id}/parts/${number}`;
      for (let attempt = 1; ; attempt += 1) {
        try {
          const part = await upload<Part>(path, undefined, chunk, (sent) => onprogress(done + sent, file.size), signal, {
            method: 'PUT',
          });
          parts.push(part);
          break;
        } catch (error) {
          if (attempt >= PART_ATTEMPTS || !retryable(error)) throw error;
          await pause(1000 * 2 ** (attempt - 1));
        }
      }
      done += chunk.size;
      onprogress(done, file.size);
    }
    await completeUpload(bucket, created.upload_id, parts);
  } catch (error) {
    // Nothing half-made stays behind (the server also drops abandoned uploads).
    await abortUpload(bucket, created.upload_id).catch(() => undefined);
    throw error;
  }
}
