/**
 * What the relay knows of owner consent on a lock (docs/relay.md "Owner consent"): it writes an
 * owner key or a standing consent only once the lock acknowledged the command that carried it,
 * forgets everything when the lock reports the physical recovery, and shows the owner the lock's
 * mode, its owner devices (enrolled from any browser) and its consents.
 */
import {
  ACT_CONSENT_PUT, ACT_CONSENT_REMOVE, ACT_OWNER_KEY_ADD, ACT_OWNER_KEY_REMOVE, ACT_OWNER_SIGNED, ACT_OWNER_TIME, decodeCommand, decodeOwnerStatement, decodePayload, toHex, type Consent, type ConsentRemovePayload,
  type OwnerKeyAddPayload, type OwnerKeyRemovePayload, type SignedOwnerStatement, ST_OWNER_CONSENT
} from '@keyway/shared';
import type { RelayContext } from '../context';
import { consentOf, consentsOf, forgetConsent, forgetOwnerKey, forgetOwnerRecord, ownerKeysOf, recordConsent, recordOwnerKey } from '../data/owner-consent';
import { ownerTimeConfirmed, ownerTimeNeeded } from '../locks/owner-time';
import { deviceForOwner } from './devices';
import type { Principal } from './principals';

/** A lock's status flags say whether it is in owner-consent mode (docs/protocol.md §7). */
export function inConsentMode(flags: number | null): boolean {
  return ((flags ?? 0) & ST_OWNER_CONSENT) !== 0;
}

/** Records the effect of an owner statement the lock acknowledged with RC_OK. */
export async function recordConfirmedStatement(ctx: RelayContext, deviceId: string, st: SignedOwnerStatement): Promise<void> {
  const q = ctx.store.q;
  const now = ctx.now();
  switch (st.action) {
    case ACT_OWNER_KEY_ADD: {
      const p = decodePayload(st.action, st.payload) as OwnerKeyAddPayload;
      await recordOwnerKey(q, deviceId, p.ownerKeyId, toHex(p.ownerKey), now);
      break;
    }
    case ACT_OWNER_KEY_REMOVE:
      await forgetOwnerKey(q, deviceId, (decodePayload(st.action, st.payload) as OwnerKeyRemovePayload).ownerKeyId);
      break;
    case ACT_CONSENT_PUT:
      await recordConsent(q, deviceId, decodePayload(st.action, st.payload) as Consent, st.ownerKeyId, now);
      break;
    case ACT_CONSENT_REMOVE:
      await forgetConsent(q, deviceId, (decodePayload(st.action, st.payload) as ConsentRemovePayload).consentId);
      break;
    case ACT_OWNER_TIME:
      await ownerTimeConfirmed(q, deviceId);
      break;
    default:
  }
}

/** Records a key the lock acknowledged enrolling with a relay-signed OWNER_KEY_ADD (install mode). */
export async function recordEnrolledKey(ctx: RelayContext, deviceId: string, keyId: number, publicKey: Uint8Array): Promise<void> {
  await recordOwnerKey(ctx.store.q, deviceId, keyId, toHex(publicKey), ctx.now());
}

/**
 * The lock acknowledged an owner command with OK: record its effect from the exact bytes the
 * relay signed, even when the request that sent it had already given up waiting. Idempotent,
 * so the request's own recording and this one may both run.
 */
export function recordOwnerAck(ctx: RelayContext, cmd: { device_id: string; bytes: Uint8Array | Buffer }): void {
  const c = decodeCommand(new Uint8Array(cmd.bytes));
  let work: Promise<void> | null = null;
  if (c.action === ACT_OWNER_SIGNED) work = recordConfirmedStatement(ctx, cmd.device_id, decodeOwnerStatement(c.payload));
  else if (c.action === ACT_OWNER_KEY_ADD) {
    const p = decodePayload(ACT_OWNER_KEY_ADD, c.payload) as OwnerKeyAddPayload;
    work = recordEnrolledKey(ctx, cmd.device_id, p.ownerKeyId, p.ownerKey);
  }
  work?.catch((err: unknown) => ctx.log.warn({ err, deviceId: cmd.device_id }, 'owner record not written'));
}

/** The lock reported the physical recovery: it holds no owner key and no consent any more. */
export function forgetOwnerConsent(ctx: RelayContext, deviceId: string): void {
  forgetOwnerRecord(ctx.store.q, deviceId).catch((err: unknown) => ctx.log.warn({ err, deviceId }, 'owner record not cleared'));
}

/** GET /v1/devices/:id/owner-consent: the mode the lock last reported, its owner devices and consents. */
export async function ownerConsentView(ctx: RelayContext, p: Principal, deviceId: string) {
  const d = await deviceForOwner(ctx, ctx.store.q, p, deviceId);
  const [keys, consents] = await Promise.all([ownerKeysOf(ctx.store.q, d.id), consentsOf(ctx.store.q, d.id)]);
  return {
    deviceId: d.id,
    consentMode: inConsentMode(d.flags),
    // After a reboot in owner-consent mode: the owner page confirms the clock over this challenge (docs/protocol.md §11.8).
    ownerTimeNeeded: inConsentMode(d.flags) && ownerTimeNeeded(d),
    nonce: d.nonce,
    ownerKeys: keys.map((k) => ({ keyId: k.key_id, publicKey: k.public_key, enrolledAt: new Date(k.enrolled_at).toISOString() })),
    consents: consents.map((r) => ({ ...consentOf(r), ownerKeyId: r.owner_key_id, confirmedAt: new Date(r.confirmed_at).toISOString() }))
  };
}
