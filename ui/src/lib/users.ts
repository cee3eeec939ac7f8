// Shared bits of the users page.
import type { Role, User } from './api/types';
import { timeValue, type SortColumn, type SortValue } from './sort';

export const ROLES: readonly Role[] = ['admin', 'operator', 'readonly'];

/** May act (launch, power, terminate): every role but readonly, which may only look. */
export const mayWrite = (role: Role | undefined): boolean => role !== undefined && role !== 'readonly';

/** The server's shortest password (its 422 says so too; checked here to say it early). */
export const MIN_PASSWORD = 10;

/** What each role may do, said to the person who has it. */
export const ROLE_RIGHTS: Record<Role, string> = {
  admin: 'You manage everything: every instance, the users, the clusters and the settings.',
  operator: 'You launch instances and manage yours: those you launched and those an admin assigned to you.',
  readonly: 'You see the instances an admin assigned to you, with their jobs and audit trail, but cannot change them.',
};

/** What changing a user's role to `role` gives them, for the confirmation. */
export const ROLE_CHANGE: Record<Role, string> = {
  admin: 'They will manage everything: every instance, the users, the clusters and the settings.',
  operator: 'They will launch instances and manage their own; admin pages close to them.',
  readonly: 'They will only look at the instances assigned to them; every change is refused.',
};

export function matchesUser(user: User, text: string): boolean {
  const needle = text.trim().toLowerCase();
  return !needle || user.username.toLowerCase().includes(needle) || user.role.includes(needle);
}

export type UserColumn = 'username' | 'role' | 'status' | 'created_at';

export const USER_COLUMNS: readonly SortColumn<UserColumn>[] = [
  { key: 'username', label: 'Username' },
  { key: 'role', label: 'Role' },
  { key: 'status', label: 'Status' },
  { key: 'created_at', label: 'Created' },
];

export function userSortValue(user: User, key: UserColumn): SortValue {
  if (key === 'status') return user.disabled ? 'disabled' : 'enabled';
  if (key === 'created_at') return timeValue(user.created_at);
  return user[key];
}
