/**
 * Bearer tokens and who they stand for. A token is `kw_<kind>_<43 chars>`, 256 random
 * bits; only its SHA-256 is stored (see secrets.ts). Kinds: admin (everything), owner
 * (own sites), courier (assigned deliveries), backend (its scopes), installer
 * (devices:register) and guest (one grant).
 */
import type { RelayContext } from '../context';
import type { Q } from '../data/store';
import { findTokenByHash, insertToken, revokeTokenById, revokeTokensOfSubject, type NewToken } from '../data/tokens';
import { randomSecret, sha256Hex } from '../secrets';

export type PrincipalKind = 'admin' | 'owner' | 'courier' | 'backend' | 'installer' | 'guest';

export const BACKEND_SCOPES = ['deliveries:write', 'deliveries:read', 'entry:request', 'parcels:write', 'webhooks:write', 'couriers:write'] as const;
export type Scope = (typeof BACKEND_SCOPES)[number] | 'devices:register' | '*';

export interface Principal {
  tokenId: number;
  kind: PrincipalKind;
  subjectId: number | null;
  scopes: string[];
}

export interface IssuedToken {
  token: string;
  tokenId: number;
  expiresAt: number | null;
}

/** A fresh token and the row that stores its hash, for issuing inside a caller's transaction. */
export function newTokenRow(ctx: RelayContext, kind: PrincipalKind, subjectId: number | null, scopes: string[], label: string | null, ttlMs?: number): { token: string; row: NewToken } {
  const token = randomSecret('kw_' + kind + '_');
  const row = { hash: sha256Hex(token), kind, subjectId, scopes, label, at: ctx.now(), expiresAt: ttlMs ? ctx.now() + ttlMs : null };
  return { token, row };
}

export async function issueToken(ctx: RelayContext, kind: PrincipalKind, subjectId: number | null, scopes: string[], label: string | null, ttlMs?: number): Promise<IssuedToken> {
  const { token, row } = newTokenRow(ctx, kind, subjectId, scopes, label, ttlMs);
  return { token, tokenId: await insertToken(ctx.store.q, row), expiresAt: row.expiresAt };
}

export async function authenticateToken(ctx: RelayContext, token: string): Promise<Principal | null> {
  if (typeof token !== 'string' || !token.startsWith('kw_') || token.length > 200) return null;
  const row = await findTokenByHash(ctx.store.q, sha256Hex(token));
  if (!row || row.revoked_at !== null) return null;
  if (row.expires_at !== null && row.expires_at <= ctx.now()) return null;
  return { tokenId: row.id, kind: row.kind, subjectId: row.subject_id, scopes: JSON.parse(row.scopes) as string[] };
}

export async function revokeToken(ctx: RelayContext, tokenId: number): Promise<void> {
  await revokeTokenById(ctx.store.q, tokenId, ctx.now());
}

/** Revokes every live token of the subject in q; returns how many. */
export function revokeTokensOf(ctx: RelayContext, q: Q, kind: PrincipalKind, subjectId: number): Promise<number> {
  return revokeTokensOfSubject(q, kind, subjectId, ctx.now());
}

export function hasScope(p: Principal, scope: Scope): boolean {
  return p.kind === 'admin' || p.scopes.includes('*') || p.scopes.includes(scope);
}

/** A stable key for idempotency records and logs: never the token itself. */
export function principalKey(p: Principal): string {
  return p.kind + ':' + (p.subjectId ?? 't' + p.tokenId);
}
