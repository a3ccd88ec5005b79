/** Owners, delivery backends and their couriers; domain/accounts.ts has the rules. */
import { sql, type Selectable } from 'kysely';
import type { CouriersTable, OwnersTable } from './schema';
import type { Q } from './store';

export type OwnerRow = Selectable<OwnersTable>;
export type CourierRow = Selectable<CouriersTable>;

/** Fails with a unique violation (isUniqueViolation) when the e-mail exists in any letter case. */
export function insertOwner(q: Q, o: { email: string; name: string; passwordHash: string; at: number }): Promise<OwnerRow> {
  return q.insertInto('owners').values({ email: o.email, name: o.name, password_hash: o.passwordHash, created_at: o.at }).returningAll().executeTakeFirstOrThrow();
}

export function findOwner(q: Q, id: number): Promise<OwnerRow | undefined> {
  return q.selectFrom('owners').selectAll().where('id', '=', id).executeTakeFirst();
}

/** E-mail addresses compare without letter case (ASCII), as the unique index does on both stores. */
export function findOwnerByEmail(q: Q, email: string): Promise<OwnerRow | undefined> {
  return q.selectFrom('owners').selectAll().where(sql<string>`lower(email)`, '=', email.toLowerCase()).executeTakeFirst();
}

export function insertBackend(q: Q, b: { name: string; scopes: string[]; at: number }): Promise<{ id: number; created_at: number }> {
  return q.insertInto('backends').values({ name: b.name, scopes: JSON.stringify(b.scopes), created_at: b.at }).returning(['id', 'created_at']).executeTakeFirstOrThrow();
}

export async function ownerExists(q: Q, id: number): Promise<boolean> {
  return (await q.selectFrom('owners').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

export async function backendExists(q: Q, id: number): Promise<boolean> {
  return (await q.selectFrom('backends').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

export function insertCourier(q: Q, c: { backendId: number; name: string; at: number }): Promise<CourierRow> {
  return q.insertInto('couriers').values({ backend_id: c.backendId, name: c.name, created_at: c.at }).returningAll().executeTakeFirstOrThrow();
}

export function couriersOf(q: Q, backendId: number): Promise<CourierRow[]> {
  return q.selectFrom('couriers').selectAll().where('backend_id', '=', backendId).orderBy('id').execute();
}

export function findCourier(q: Q, id: number): Promise<CourierRow | undefined> {
  return q.selectFrom('couriers').selectAll().where('id', '=', id).executeTakeFirst();
}
