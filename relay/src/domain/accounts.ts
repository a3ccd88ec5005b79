/**
 * Accounts: owners (people with a password), delivery backends (organisations with scoped
 * API keys), their couriers, and installers. Owners log in for a session token; the
 * others receive a token once at creation.
 */
import type { RelayContext } from '../context';
import { relayError } from '../errors';
import { backendExists as backendRowExists, couriersOf, findCourier, findOwner, findOwnerByEmail, insertBackend, insertCourier, insertOwner, type CourierRow, type OwnerRow } from '../data/accounts';
import { isUniqueViolation } from '../data/errors';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from '../secrets';
import { insertToken } from '../data/tokens';
import { issueToken, newTokenRow, revokeToken, type Principal } from './principals';

export interface OwnerView {
  id: number;
  email: string;
  name: string;
  createdAt: string;
}

function ownerView(r: OwnerRow): OwnerView {
  return { id: r.id, email: r.email, name: r.name, createdAt: new Date(r.created_at).toISOString() };
}

export async function createOwner(ctx: RelayContext, email: string, name: string, password: string): Promise<OwnerView> {
  const hash = await hashPassword(password);
  try {
    const row = await insertOwner(ctx.store.q, { email, name, passwordHash: hash, at: ctx.now() });
    ctx.log.info({ ownerId: row.id }, 'owner created');
    return ownerView(row);
  } catch (err) {
    if (isUniqueViolation(err)) throw relayError('KW_CONFLICT', { field: 'email' }, 'An owner with this e-mail address exists.');
    throw err;
  }
}

export async function getOwner(ctx: RelayContext, id: number): Promise<OwnerView | null> {
  const r = await findOwner(ctx.store.q, id);
  return r ? ownerView(r) : null;
}

export async function login(ctx: RelayContext, email: string, password: string): Promise<{ token: string; expiresAt: string; owner: OwnerView }> {
  const row = await findOwnerByEmail(ctx.store.q, email);
  const ok = await verifyPassword(password, row ? row.password_hash : DUMMY_PASSWORD_HASH);
  if (!row || !ok) {
    ctx.log.info({ outcome: 'failed' }, 'owner login');
    throw relayError('KW_LOGIN_FAILED');
  }
  const t = await issueToken(ctx, 'owner', row.id, [], 'session', ctx.opts.sessionTtlMs);
  ctx.log.info({ ownerId: row.id, outcome: 'ok' }, 'owner login');
  return { token: t.token, expiresAt: new Date(t.expiresAt!).toISOString(), owner: ownerView(row) };
}

export async function logout(ctx: RelayContext, p: Principal): Promise<void> {
  await revokeToken(ctx, p.tokenId);
}

export interface BackendView {
  id: number;
  name: string;
  scopes: string[];
  createdAt: string;
}

export async function createBackend(ctx: RelayContext, name: string, scopes: string[]): Promise<BackendView & { token: string }> {
  const uniq = [...new Set(scopes)];
  const { r, token } = await ctx.store.tx(async (q) => {
    const r = await insertBackend(q, { name, scopes: uniq, at: ctx.now() });
    const t = newTokenRow(ctx, 'backend', r.id, uniq, name);
    await insertToken(q, t.row);
    return { r, token: t.token };
  });
  ctx.log.info({ backendId: r.id, scopes: uniq }, 'backend created');
  return { id: r.id, name, scopes: uniq, createdAt: new Date(r.created_at).toISOString(), token };
}

export function backendExists(ctx: RelayContext, id: number): Promise<boolean> {
  return backendRowExists(ctx.store.q, id);
}

export interface CourierView {
  id: number;
  name: string;
  backendId: number;
  createdAt: string;
}

function courierView(r: CourierRow): CourierView {
  return { id: r.id, name: r.name, backendId: r.backend_id, createdAt: new Date(r.created_at).toISOString() };
}

export async function createCourier(ctx: RelayContext, backendId: number, name: string): Promise<CourierView & { token: string }> {
  const { row, token } = await ctx.store.tx(async (q) => {
    const row = await insertCourier(q, { backendId, name, at: ctx.now() });
    const t = newTokenRow(ctx, 'courier', row.id, [], name);
    await insertToken(q, t.row);
    return { row, token: t.token };
  });
  ctx.log.info({ courierId: row.id, backendId }, 'courier created');
  return { ...courierView(row), token };
}

export async function listCouriers(ctx: RelayContext, backendId: number): Promise<CourierView[]> {
  return (await couriersOf(ctx.store.q, backendId)).map(courierView);
}

export async function getCourier(ctx: RelayContext, id: number): Promise<CourierView | null> {
  const r = await findCourier(ctx.store.q, id);
  return r ? courierView(r) : null;
}

export async function createInstaller(ctx: RelayContext, label: string): Promise<{ token: string; id: number }> {
  const t = await issueToken(ctx, 'installer', null, ['devices:register'], label);
  ctx.log.info({ tokenId: t.tokenId }, 'installer token created');
  return { token: t.token, id: t.tokenId };
}
