/**
 * Booking under owner consent (docs/relay.md "Owner consent"): a lock in owner-consent mode
 * refuses a relay-signed GRANT_PUT, so a courier grant for it is staged as CONSENTED_GRANT_PUT
 * under one of the standing consents the lock confirmed, the one whose kind, partner, camera
 * flag and weekly windows cover the grant. The relay checks the bounds before booking so the
 * backend gets a clear answer; the lock checks them again, and alone keeps the week's count.
 */
import { CRED_NONE, GRANT_COURIER, RC_OK, grantWithinConsent, type Grant } from '@keyway/shared';
import type { RelayContext } from '../context';
import { consentOf, consentsOf } from '../data/owner-consent';
import { relayError } from '../errors';
import { notifySiteOwner } from './notifications';
import { inConsentMode } from './owner-record';

/** The consent a grant is staged under and the partner it names. */
export interface ConsentCover {
  consentId: number;
  partner: number;
}

/** The bounds of a one-entry courier grant that grantWithinConsent reads. */
export type CourierBounds = Pick<Grant, 'flags' | 'notBefore' | 'notAfter'>;

const MS_PER_S = 1000;

/** A courier grant's window in lock seconds, as the grant payload rounds it (domain/grants.ts). */
export function courierBounds(flags: number, startMs: number, endMs: number): CourierBounds {
  return { flags, notBefore: Math.floor(startMs / MS_PER_S), notAfter: Math.ceil(endMs / MS_PER_S) };
}

/**
 * The consent covering a courier grant of partner `partner` on the lock, or null when the lock
 * is not in owner-consent mode (a plain GRANT_PUT then). Throws KW_CONSENT_REQUIRED, and tells
 * the site owner, when the lock is in that mode and no confirmed consent covers the grant.
 */
export async function coverForCourierGrant(
  ctx: RelayContext, device: { id: string; site_id: number; flags: number | null }, partner: number, b: CourierBounds
): Promise<ConsentCover | null> {
  if (!inConsentMode(device.flags)) return null;
  const grant: Grant = {
    grantId: 1, kind: GRANT_COURIER, flags: b.flags, notBefore: b.notBefore, notAfter: b.notAfter, maxUses: 1, relockAfter: 0, tzOffset: 0, schedule: [],
    credential: { type: CRED_NONE, commitment: new Uint8Array(0), length: 0 }, actorRef: 0
  };
  for (const row of await consentsOf(ctx.store.q, device.id)) {
    if (grantWithinConsent(consentOf(row), partner, grant) === RC_OK) return { consentId: row.consent_id, partner };
  }
  const window = { start: new Date(b.notBefore * MS_PER_S).toISOString(), end: new Date(b.notAfter * MS_PER_S).toISOString() };
  await notifySiteOwner(ctx, ctx.store.q, device.site_id, 'consent.required', { deviceId: device.id, partner, window });
  ctx.log.info({ deviceId: device.id, partner, window }, 'booking refused: no standing consent covers it');
  throw relayError('KW_CONSENT_REQUIRED', { deviceId: device.id, partner, window });
}
