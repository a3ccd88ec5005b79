/**
 * The relay's record of owner consent on each lock (docs/relay.md "Owner consent"): the owner
 * device keys and the standing consents the lock confirmed holding (written only after the
 * lock's ACK of the command that carried them), and the grants staged under a consent. All the
 * SQL for these is here and nowhere else.
 */
import type { Consent, ScheduleEntry } from '@keyway/shared';
import type { OwnerConsentsTable, OwnerKeysTable } from './schema';
import type { Q } from './store';

export type OwnerKeyRow = OwnerKeysTable;
export type OwnerConsentRow = OwnerConsentsTable;

export function ownerKeysOf(q: Q, deviceId: string): Promise<OwnerKeyRow[]> {
  return q.selectFrom('owner_keys').selectAll().where('device_id', '=', deviceId).orderBy('enrolled_at').orderBy('key_id').execute();
}

/** Records a key the lock confirmed; enrolling a held key again keeps its first date (the lock treats it as a no-op too). */
export async function recordOwnerKey(q: Q, deviceId: string, keyId: number, publicKeyHex: string, now: number): Promise<void> {
  await q.insertInto('owner_keys').values({ device_id: deviceId, key_id: keyId, public_key: publicKeyHex, label: null, enrolled_at: now })
    .onConflict((oc) => oc.columns(['device_id', 'key_id']).doNothing()).execute();
}

export async function forgetOwnerKey(q: Q, deviceId: string, keyId: number): Promise<void> {
  await q.deleteFrom('owner_keys').where('device_id', '=', deviceId).where('key_id', '=', keyId).execute();
}

export function consentsOf(q: Q, deviceId: string): Promise<OwnerConsentRow[]> {
  return q.selectFrom('owner_consents').selectAll().where('device_id', '=', deviceId).orderBy('consent_id').execute();
}

/** Records a consent the lock confirmed; the same id replaces the bounds, as on the lock. */
export async function recordConsent(q: Q, deviceId: string, c: Consent, ownerKeyId: number, now: number): Promise<void> {
  const row: OwnerConsentRow = {
    device_id: deviceId, consent_id: c.consentId, kind: c.kind, partner: c.partner, flags: c.flags, max_per_week: c.maxPerWeek,
    not_after_s: c.notAfter, tz_offset: c.tzOffset, schedule: JSON.stringify(c.schedule), owner_key_id: ownerKeyId, confirmed_at: now
  };
  await q.insertInto('owner_consents').values(row).onConflict((oc) => oc.columns(['device_id', 'consent_id']).doUpdateSet({
    kind: row.kind, partner: row.partner, flags: row.flags, max_per_week: row.max_per_week, not_after_s: row.not_after_s,
    tz_offset: row.tz_offset, schedule: row.schedule, owner_key_id: row.owner_key_id, confirmed_at: row.confirmed_at
  })).execute();
}

export async function forgetConsent(q: Q, deviceId: string, consentId: number): Promise<void> {
  await q.deleteFrom('owner_consents').where('device_id', '=', deviceId).where('consent_id', '=', consentId).execute();
}

/** Physical recovery or a lock re-provisioned: it holds no owner key and no consent any more. */
export async function forgetOwnerRecord(q: Q, deviceId: string): Promise<void> {
  await q.deleteFrom('owner_keys').where('device_id', '=', deviceId).execute();
  await q.deleteFrom('owner_consents').where('device_id', '=', deviceId).execute();
}

/** A stored row as the protocol's consent (the bounds the lock enforces). */
export function consentOf(r: OwnerConsentRow): Consent {
  return {
    consentId: r.consent_id, kind: r.kind, partner: r.partner, flags: r.flags, maxPerWeek: r.max_per_week, notAfter: r.not_after_s,
    tzOffset: r.tz_offset, schedule: JSON.parse(r.schedule) as ScheduleEntry[]
  };
}

