/**
 * Accounts: owners (people with a password), delivery backends (organisations with scoped
 * API keys), their couriers, and installers. Owners log in for a session token; the
 * others receive a token once at creation.
 */
import type { RelayContext } from '../context';
import { relayError } from '../errors';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from '../secrets';
import { issueToken, revokeToken, type Principal } from './principals';

export interface OwnerView {
  id: number;
  email: string;
  name: string;
  createdAt: string;
}

interface OwnerRow {
  id: number;
  email: string;
  name: string;
  password_hash: string;
  created_at: number;
}

function ownerView(r: OwnerRow): OwnerView {
  return { id: r.id, email: r.email, name: r.name, createdAt: new Date(r.created_at).toISOString() };
}

export async function createOwner(ctx: RelayContext, email: string, name: string, password: string): Promise<OwnerView> {
  const hash = await hashPassword(password);
  try {
    const row = ctx.db.prepare('INSERT INTO owners (email, name, password_hash, created_at) VALUES (?, ?, ?, ?) RETURNING *').get(email, name, hash, ctx.now()) as OwnerRow;
    ctx.log.info({ ownerId: row.id }, 'owner created');
    return ownerView(row);
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw relayError('KW_CONFLICT', { field: 'email' }, 'An owner with this e-mail address exists.');
    throw err;
  }
}

export function getOwner(ctx: RelayContext, id: number): OwnerView | null {
  const r = ctx.db.prepare('SELECT * FROM owners WHERE id = ?').get(id) as OwnerRow | undefined;
  return r ? ownerView(r) : null;
}

export async function login(ctx: RelayContext, email: string, password: string): Promise<{ token: string; expiresAt: string; owner: OwnerView }> {
  const row = ctx.db.prepare('SELECT * FROM owners WHERE email = ?').get(email) as OwnerRow | undefined;
  const ok = await verifyPassword(password, row ? row.password_hash : DUMMY_PASSWORD_HASH);
  if (!row || !ok) {
    ctx.log.info({ outcome: 'failed' }, 'owner login');
    throw relayError('KW_LOGIN_FAILED');
  }
  const t = issueToken(ctx, 'owner', row.id, [], 'session', ctx.opts.sessionTtlMs);
  ctx.log.info({ ownerId: row.id, outcome: 'ok' }, 'owner login');
  return { token: t.token, expiresAt: new Date(t.expiresAt!).toISOString(), owner: ownerView(row) };
}

export function logout(ctx: RelayContext, p: Principal): void {
  revokeToken(ctx, p.tokenId);
}

export interface BackendView {
  id: number;
  name: string;
  scopes: string[];
  createdAt: string;
}

export function createBackend(ctx: RelayContext, name: string, scopes: string[]): BackendView & { token: string } {
  const uniq = [...new Set(scopes)];
  const r = ctx.db.prepare('INSERT INTO backends (name, scopes, created_at) VALUES (?, ?, ?) RETURNING id, created_at').get(name, JSON.stringify(uniq), ctx.now()) as { id: number; created_at: number };
  const { token } = issueToken(ctx, 'backend', r.id, uniq, name);
  ctx.log.info({ backendId: r.id, scopes: uniq }, 'backend created');
  return { id: r.id, name, scopes: uniq, createdAt: new Date(r.created_at).toISOString(), token };
}

export function backendExists(ctx: RelayContext, id: number): boolean {
  return !!ctx.db.prepare('SELECT 1 FROM backends WHERE id = ?').get(id);
}

export interface CourierView {
  id: number;
  name: string;
  backendId: number;
  createdAt: string;
}

interface CourierRow {
  id: number;
  name: string;
  backend_id: number;
  created_at: number;
}

function courierView(r: CourierRow): CourierView {
  return { id: r.id, name: r.name, backendId: r.backend_id, createdAt: new Date(r.created_at).toISOString() };
}

export function createCourier(ctx: RelayContext, backendId: number, name: string): CourierView & { token: string } {
  const row = ctx.db.prepare('INSERT INTO couriers (backend_id, name, created_at) VALUES (?, ?, ?) RETURNING *').get(backendId, name, ctx.now()) as CourierRow;
  const { token } = issueToken(ctx, 'courier', row.id, [], name);
  ctx.log.info({ courierId: row.id, backendId }, 'courier created');
  return { ...courierView(row), token };
}

export function listCouriers(ctx: RelayContext, backendId: number): CourierView[] {
  return (ctx.db.prepare('SELECT * FROM couriers WHERE backend_id = ? ORDER BY id').all(backendId) as CourierRow[]).map(courierView);
}

export function getCourier(ctx: RelayContext, id: number): CourierView | null {
  const r = ctx.db.prepare('SELECT * FROM couriers WHERE id = ?').get(id) as CourierRow | undefined;
  return r ? courierView(r) : null;
}

export function createInstaller(ctx: RelayContext, label: string): { token: string; id: number } {
  const t = issueToken(ctx, 'installer', null, ['devices:register'], label);
  ctx.log.info({ tokenId: t.tokenId }, 'installer token created');
  return { token: t.token, id: t.tokenId };
}
