// The clusters page's model: the edit form's draft, the request it becomes, and how
// freshness and connection-test failures are worded.
import type { Cluster, ClusterRequest } from './api/types';
import { formatAgo } from './format';

export type AuthType = 'token' | 'password';

/** What the add/edit form holds. `secret` is only ever typed, never prefilled. */
export interface ClusterDraft {
  name: string;
  /** One node address per line. */
  addresses: string;
  authType: AuthType;
  tokenId: string;
  username: string;
  secret: string;
  tlsFingerprint: string;
  caPem: string;
  verifyTls: boolean;
}

export function draftOf(cluster: Cluster | null): ClusterDraft {
  return {
    name: cluster?.name ?? '',
    addresses: cluster?.addresses.join('\n') ?? '',
    authType: cluster?.auth.type ?? 'token',
    tokenId: cluster?.auth.type === 'token' ? cluster.auth.token_id : '',
    username: cluster?.auth.type === 'password' ? cluster.auth.username : '',
    secret: '',
    tlsFingerprint: cluster?.tls_fingerprint ?? '',
    caPem: cluster?.ca_pem ?? '',
    verifyTls: cluster?.verify_tls ?? true,
  };
}

/** The API request; an empty secret is left out, which keeps the stored one. */
export function requestOf(draft: ClusterDraft): ClusterRequest {
  const secret = draft.secret === '' ? undefined : draft.secret;
  return {
    name: draft.name.trim(),
    addresses: draft.addresses
      .split(/[\s,]+/)
      .map((address) => address.trim())
      .filter(Boolean),
    auth:
      draft.authType === 'token'
        ? { type: 'token', token_id: draft.tokenId.trim(), secret }
        : { type: 'password', username: draft.username.trim(), password: secret },
    tls_fingerprint: draft.tlsFingerprint.trim() || null,
    ca_pem: draft.caPem.trim() || null,
    verify_tls: draft.verifyTls,
  };
}

/** The server's field path for the secret of each auth type. */
export const secretField = (type: AuthType) => (type === 'token' ? 'auth.secret' : 'auth.password');

export function authSummary(cluster: Cluster): string {
  return cluster.auth.type === 'token' ? `token ${cluster.auth.token_id}` : `password ${cluster.auth.username}`;
}

/** `online`, `offline since …` or `not polled yet`, with the badge's status word. */
export function freshness(cluster: Cluster, now = Date.now()): { status: string; detail: string } {
  if (cluster.status === 'online') return { status: 'online', detail: `seen ${formatAgo(cluster.last_seen_at, now)}` };
  if (cluster.status === 'offline') {
    const since = cluster.offline_since ? new Date(cluster.offline_since).toLocaleString() : 'unknown';
    return { status: 'offline', detail: `since ${since}` };
  }
  return { status: 'unknown', detail: 'not polled yet' };
}

const FAILURE_TITLES: Record<string, string> = {
  unauthorized: 'Authentication failed: wrong token or password',
  forbidden: 'Signed in, but a privilege is missing',
  tls: 'Certificate rejected: wrong fingerprint or untrusted certificate',
  unreachable: 'Unreachable: no node address answered',
  timeout: 'Timed out waiting for the cluster',
  configuration: 'The saved settings cannot be used',
};

export function failureTitle(category: string): string {
  return FAILURE_TITLES[category] ?? 'Connection failed';
}

/** Applies a live `cluster.status` event to a list of clusters. */
export function applyClusterStatus(clusters: Cluster[], data: unknown): Cluster[] {
  const change = data as Partial<Cluster> & { cluster_id: string };
  return clusters.map((c) => (c.id === change.cluster_id ? { ...c, ...change, id: c.id } : c));
}
