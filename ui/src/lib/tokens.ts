// How an API token's state is named in the console.
import type { ApiToken } from './api/types';
import { timeValue, type SortColumn, type SortValue } from './sort';

export type TokenState = 'active' | 'expired' | 'revoked';

export function tokenState(token: ApiToken, now = Date.now()): TokenState {
  if (token.revoked_at) return 'revoked';
  if (token.expires_at && new Date(token.expires_at).getTime() <= now) return 'expired';
  return 'active';
}

export function matchesToken(token: ApiToken, text: string): boolean {
  const needle = text.trim().toLowerCase();
  return !needle || token.name.toLowerCase().includes(needle) || token.prefix.toLowerCase().includes(needle);
}

export type TokenColumn = 'name' | 'prefix' | 'status' | 'created_at' | 'expires_at' | 'last_used_at';

export const TOKEN_COLUMNS: readonly SortColumn<TokenColumn>[] = [
  { key: 'name', label: 'Name' },
  { key: 'prefix', label: 'Prefix' },
  { key: 'status', label: 'Status' },
  { key: 'created_at', label: 'Created' },
  { key: 'expires_at', label: 'Expires' },
  { key: 'last_used_at', label: 'Last used' },
];

export function tokenSortValue(token: ApiToken, key: TokenColumn): SortValue {
  switch (key) {
    case 'status':
      return tokenState(token);
    case 'name':
    case 'prefix':
      return token[key];
    default:
      return timeValue(token[key]);
  }
}
