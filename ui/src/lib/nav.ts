// The left navigation. Only pages that exist are listed (UI guide): add an entry
// here when its page lands in App.svelte's route table.
import type { Role } from './api/types';
import { mayWrite } from './users';

export interface NavItem {
  label: string;
  href: string;
  adminOnly?: boolean;
  /** Only for roles that may change things (not readonly): a write entry point. */
  writersOnly?: boolean;
}

export interface NavGroup {
  label: string;
  items: NavItem[];
}

export const NAV: NavGroup[] = [
  { label: 'Overview', items: [{ label: 'Dashboard', href: '/' }] },
  {
    label: 'Compute',
    items: [
      { label: 'Instances', href: '/instances' },
      { label: 'Launch', href: '/launch', writersOnly: true },
      { label: 'Images', href: '/images' },
      { label: 'Key pairs', href: '/keypairs' },
      { label: 'Volumes', href: '/volumes' },
    ],
  },
  {
    label: 'Storage',
    items: [
      { label: 'Buckets', href: '/buckets' },
      { label: 'Backups', href: '/backups' },
      { label: 'S3 access keys', href: '/s3-keys' },
    ],
  },
  {
    label: 'Observability',
    items: [
      { label: 'Monitoring', href: '/monitoring', adminOnly: true },
      { label: 'Health', href: '/monitoring/health' },
      { label: 'Alerts', href: '/alerts' },
      { label: 'Audit log', href: '/audit', adminOnly: true },
    ],
  },
  {
    label: 'Identity',
    items: [
      { label: 'Users', href: '/users', adminOnly: true },
      { label: 'API tokens', href: '/tokens' },
      { label: 'Secrets', href: '/secrets' },
      { label: 'Your account', href: '/account' },
    ],
  },
  {
    label: 'Settings',
    items: [
      { label: 'Clusters', href: '/clusters', adminOnly: true },
      { label: 'Global settings', href: '/settings', adminOnly: true },
    ],
  },
];

const ADMIN_PATHS = new Set(NAV.flatMap((group) => group.items.filter((item) => item.adminOnly).map((item) => item.href)));
const WRITER_PATHS = new Set(NAV.flatMap((group) => group.items.filter((item) => item.writersOnly).map((item) => item.href)));

/** Whether `role` may open `path` at all (the route table shows a "no access" page otherwise). */
/** Pages under these are an admin page's children (a cluster's or node's view). */
const ADMIN_PREFIXES = ['/monitoring/clusters/', '/monitoring/nodes/'];

export function mayOpen(path: string, role: Role | undefined): boolean {
  if (ADMIN_PATHS.has(path) || ADMIN_PREFIXES.some((prefix) => path.startsWith(prefix))) return role === 'admin';
  if (WRITER_PATHS.has(path)) return mayWrite(role);
  return true;
}

export function visibleNav(role: Role | undefined): NavGroup[] {
  return NAV.map((group) => ({
    ...group,
    items: group.items.filter((item) => mayOpen(item.href, role)),
  })).filter((group) => group.items.length > 0);
}
