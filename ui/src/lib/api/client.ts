// The typed fetch wrapper every page uses.
//
// Browser sessions live in httpOnly cookies; this module only echoes the readable
// `pc_csrf` cookie in `X-CSRF-Token` on writes (double-submit). When the access
// cookie has expired (401) it refreshes the session once and retries the request,
// so a page left open keeps working without a reload.
import type { ErrorBody } from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: Record<string, string>;
  /** Seconds to wait, from `Retry-After` (429). */
  readonly retryAfter: number | null;

  constructor(status: number, body: ErrorBody | null, retryAfter: number | null) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code ?? 'http_error';
    this.fields = body?.fields ?? {};
    this.retryAfter = retryAfter;
  }
}

type Listener = () => void;
const sessionLostListeners = new Set<Listener>();

/** Called when the session is gone for good (refresh refused): show the login page. */
export function onSessionLost(listener: Listener): () => void {
  sessionLostListeners.add(listener);
  return () => sessionLostListeners.delete(listener);
}

export function csrfToken(): string | null {
  const match = /(?:^|;\s*)pc_csrf=([^;]+)/.exec(document.cookie);
  return match?.[1] ? decodeURIComponent(match[1]) : null;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
  /** Do not try to refresh the session on 401 (login, refresh itself). */
  noRefresh?: boolean;
  /** Extra request headers, e.g. `Idempotency-Key`. */
  headers?: Record<string, string>;
}

export interface ApiResponse<T> {
  data: T;
  headers: Headers;
}

function buildUrl(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const csrf = csrfToken();
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  return fetch(buildUrl(path, options.query), {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: 'same-origin',
    signal: options.signal,
  });
}

// One refresh at a time: concurrent 401s share it instead of racing (a refresh
// token presented twice ends the whole session).
let refreshing: Promise<boolean> | null = null;

export function refreshSession(): Promise<boolean> {
  refreshing ??= send('/api/v1/auth/refresh', { method: 'POST' })
    .then((response) => response.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

async function toError(response: Response): Promise<ApiError> {
  const body = await response
    .json()
    .then((json: { error?: ErrorBody }) => json.error ?? null)
    .catch(() => null);
  const retry = Number(response.headers.get('Retry-After'));
  return new ApiError(response.status, body, Number.isFinite(retry) && retry > 0 ? retry : null);
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  let response = await send(path, options);
  if (response.status === 401 && !options.noRefresh) {
    if (await refreshSession()) {
      response = await send(path, options);
    }
    if (response.status === 401) {
      sessionLostListeners.forEach((listener) => listener());
    }
  }
  if (!response.ok) throw await toError(response);
  const data = response.status === 204 ? undefined : await response.json();
  return { data: data as T, headers: response.headers };
}

export async function get<T>(path: string, query?: RequestOptions['query'], signal?: AbortSignal): Promise<T> {
  return (await request<T>(path, { query, signal })).data;
}

export async function post<T>(path: string, body?: unknown): Promise<T> {
  return (await request<T>(path, { method: 'POST', body })).data;
}

/** A DELETE: the answer's body (a job for deletions that run as one), or undefined on 204. */
export async function del<T>(path: string): Promise<T> {
  return (await request<T>(path, { method: 'DELETE' })).data;
}

/** Bytes sent so far of an upload, and of how many. */
export type UploadProgress = (sent: number, total: number) => void;

/** How `upload` sends the file: the method and the body's type. */
export interface UploadOptions {
  method?: 'POST' | 'PUT';
  contentType?: string;
}

function sendFile(
  url: string,
  file: Blob,
  onprogress: UploadProgress,
  signal: AbortSignal | undefined,
  options: UploadOptions,
): Promise<Response> {
  // `fetch` cannot report upload progress; XMLHttpRequest can.
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(options.method ?? 'POST', url);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', options.contentType || 'application/octet-stream');
    const csrf = csrfToken();
    if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.upload.onprogress = (event) => onprogress(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.onload = () => {
      const headers = new Headers();
      for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
        const at = line.indexOf(':');
        if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
      }
      resolve(new Response(xhr.status === 204 ? null : xhr.responseText, { status: xhr.status, headers }));
    };
    xhr.onerror = () => reject(new Error('The connection broke off during the upload.'));
    xhr.onabort = () => reject(new DOMException('The upload was cancelled.', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/** POSTs (or PUTs) `file` as the raw request body, reporting progress; refreshes an
 *  expired session once like `request` (a Blob can be sent again). */
export async function upload<T>(
  path: string,
  query: RequestOptions['query'],
  file: Blob,
  onprogress: UploadProgress,
  signal?: AbortSignal,
  options: UploadOptions = {},
): Promise<T> {
  const url = buildUrl(path, query);
  let response = await sendFile(url, file, onprogress, signal, options);
  if (response.status === 401 && (await refreshSession())) {
    response = await sendFile(url, file, onprogress, signal, options);
  }
  if (response.status === 401) sessionLostListeners.forEach((listener) => listener());
  if (!response.ok) throw await toError(response);
  return (await response.json()) as T;
}
