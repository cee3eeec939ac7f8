// Shared bits of the users page.
import type { Role, User } from './api/types';
import { timeValue, type SortColumn, type SortValue } from './sort';

export const ROLES: readonly Role[] = ['admin', 'operator', 'readonly'];

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
