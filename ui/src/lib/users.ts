// Shared bits of the users page.
import type { Role, User } from './api/types';

export const ROLES: readonly Role[] = ['admin', 'operator', 'readonly'];

export function matchesUser(user: User, text: string): boolean {
  const needle = text.trim().toLowerCase();
  return !needle || user.username.toLowerCase().includes(needle) || user.role.includes(needle);
}
