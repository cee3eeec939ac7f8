// The hosts view (`GET /api/v1/monitoring/hosts`, admins): every cluster's nodes with
// their own figures, for the Monitoring page and its cluster and node pages.
import { get } from '../api/client';
import type { components } from '../api/schema';

type Schemas = components['schemas'];
export type Hosts = Schemas['HostsDto'];
export type HostCluster = Schemas['HostClusterDto'];
export type HostNode = Schemas['HostNodeDto'];
export type HostStorage = Schemas['HostStorageDto'];

export const getHosts = () => get<Hosts>('/api/v1/monitoring/hosts');

export const clusterPath = (clusterId: string) => `/monitoring/clusters/${encodeURIComponent(clusterId)}`;
export const nodePath = (clusterId: string, node: string) =>
  `/monitoring/nodes/${encodeURIComponent(clusterId)}/${encodeURIComponent(node)}`;

/** Used share of memory (0 when the size is unknown). */
export function memoryShare(node: HostNode): number {
  return node.memory_bytes > 0 ? node.memory_used_bytes / node.memory_bytes : 0;
}

/** Reads the hosts now and every 30 s while the page is visible; returns the stop. */
export function pollHosts(onHosts: (hosts: Hosts) => void, onError: (cause: unknown) => void): () => void {
  const read = () => getHosts().then(onHosts, onError);
  void read();
  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') void read();
  }, 30_000);
  return () => clearInterval(timer);
}
