// How the bucket browser names things: the folders of a prefix (breadcrumbs) and an
// entry's name inside its folder.

export interface Crumb {
  label: string;
  prefix: string;
}

/** `a/b/` → root, `a/`, `a/b/`. */
export function breadcrumbs(prefix: string): Crumb[] {
  const crumbs: Crumb[] = [];
  let at = '';
  for (const part of prefix.split('/').filter(Boolean)) {
    at += `${part}/`;
    crumbs.push({ label: part, prefix: at });
  }
  return crumbs;
}

/** The part of `key` after `prefix` (a folder keeps its trailing `/`). */
export function shortName(key: string, prefix: string): string {
  return key.startsWith(prefix) ? key.slice(prefix.length) : key;
}

/** Presigned URL lifetimes offered, in seconds (S3 allows up to 7 days). */
export const EXPIRIES: readonly { label: string; seconds: number }[] = [
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 86_400 },
  { label: '7 days', seconds: 604_800 },
];
