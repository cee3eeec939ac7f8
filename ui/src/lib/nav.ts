// The left navigation. Only pages that exist are listed (UI guide): add an entry
// here when its page lands in App.svelte's route table.
export interface NavItem {
  label: string;
  href: string;
  adminOnly?: boolean;
}

export interface NavGroup {
  label: string;
  items: NavItem[];
}

export const NAV: NavGroup[] = [
  { label: 'Overview', items: [{ label: 'Dashboard', href: '/' }] },
  { label: 'Compute', items: [{ label: 'Instances', href: '/instances' }] },
  { label: 'Observability', items: [{ label: 'Audit log', href: '/audit', adminOnly: true }] },
  {
    label: 'Identity',
    items: [
      { label: 'Users', href: '/users', adminOnly: true },
      { label: 'API tokens', href: '/tokens' },
    ],
  },
];

export function visibleNav(isAdmin: boolean): NavGroup[] {
  return NAV.map((group) => ({
    ...group,
    items: group.items.filter((item) => isAdmin || !item.adminOnly),
  })).filter((group) => group.items.length > 0);
}
