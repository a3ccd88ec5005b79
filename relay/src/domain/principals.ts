/**
 * Bearer tokens and who they stand for. A token is `kw_<kind>_<43 chars>`, 256 random
 * bits; only its SHA-256 is stored (see secrets.ts). Kinds: admin (everything), owner
 * (own sites), courier (assigned deliveries), backend (its scopes), installer
 * (devices:register) and guest (one grant).
 */
import type { RelayContext } from '../context';
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

interface TokenRow {
  id: number;
  kind: PrincipalKind;
  subject_id: number | null;
  scopes: string;
  expires_at: number | null;
  revoked_at: number | null;
}

export function issueToken(ctx: RelayContext, kind: PrincipalKind, subjectId: number | null, scopes: string[], label: string | null, ttlMs?: number): { token: string; tokenId: number; expiresAt: number | null } {
  const token = randomSecret('kw_' + kind + '_');
  const expiresAt = ttlMs ? ctx.now() + ttlMs : null;
  const r = ctx.db.prepare('INSERT INTO tokens (hash, kind, subject_id, scopes, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(sha256Hex(token), kind, subjectId, JSON.stringify(scopes), label, ctx.now(), expiresAt);
  return { token, tokenId: Number(r.lastInsertRowid), expiresAt };
}

export function authenticateToken(ctx: RelayContext, token: string): Principal | null {
  if (typeof token !== 'string' || !token.startsWith('kw_') || token.length > 200) return null;
  const row = ctx.db.prepare('SELECT id, kind, subject_id, scopes, expires_at, revoked_at FROM tokens WHERE hash = ?').get(sha256Hex(token)) as TokenRow | undefined;
  if (!row || row.revoked_at !== null) return null;
  if (row.expires_at !== null && row.expires_at <= ctx.now()) return null;
  return { tokenId: row.id, kind: row.kind, subjectId: row.subject_id, scopes: JSON.parse(row.scopes) as string[] };
}

export function revokeToken(ctx: RelayContext, tokenId: number): void {
  ctx.db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(ctx.now(), tokenId);
}

export function revokeTokensOf(ctx: RelayContext, kind: PrincipalKind, subjectId: number): number {
  return ctx.db.prepare('UPDATE tokens SET revoked_at = ? WHERE kind = ? AND subject_id = ? AND revoked_at IS NULL').run(ctx.now(), kind, subjectId).changes;
}

export function hasScope(p: Principal, scope: Scope): boolean {
  return p.kind === 'admin' || p.scopes.includes('*') || p.scopes.includes(scope);
}

/** A stable key for idempotency records and logs: never the token itself. */
export function principalKey(p: Principal): string {
  return p.kind + ':' + (p.subjectId ?? 't' + p.tokenId);
}
