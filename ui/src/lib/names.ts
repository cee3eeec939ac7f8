// The name rules the server enforces, checked as the user types so the problem shows at
// once (the server's 422 says the same). One place per rule, for every form using it.

/** Snapshots (of instances and of volumes): PVE's `pve-configid`, 2 to 40 characters. */
export function snapshotNameProblem(name: string): string | null {
  return name && !/^[A-Za-z][A-Za-z0-9_-]{1,39}$/.test(name) ? '2 to 40 characters: a letter, then letters, digits, “-” or “_”.' : null;
}

/** Volumes: 1 to 63 letters, digits, `-`, `_` or `.`. */
export function volumeNameProblem(name: string): string | null {
  return name && !/^[A-Za-z0-9._-]{1,63}$/.test(name) ? '1 to 63 letters, digits, “-”, “_” or “.”.' : null;
}
