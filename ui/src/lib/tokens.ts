// How an API token's state is named in the console.
import type { ApiToken } from './api/types';

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
