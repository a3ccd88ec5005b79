/**
 * Owner-signed guest, service and parcel grants (docs/relay.md "Owner-signed grants",
 * docs/protocol.md §11.1): a lock in owner-consent mode stages such a grant only inside an owner
 * statement over its exact bytes. So the relay creates the grant without staging it, hands the
 * owner's device the exact GRANT_PUT payload to sign, and, once the device sent its statement,
 * keeps it verbatim and stages the grant with it as an OWNER_SIGNED command. The relay checks only
 * that the statement is about this grant on this lock; the owner's signature is the lock's to judge.
 */
import { ACT_GRANT_PUT, bytesEqual, decodeOwnerStatement, encodePayload, toHex } from '@keyway/shared';
import type { RelayContext } from '../context';
import { markAwaitingOwner, setOwnerStatement } from '../data/grants';
import type { Q } from '../data/store';
import { relayError } from '../errors';
import { recordActivity } from './activity';
import { getGrant, grantPayload, grantView, stageGrant, type GrantRow, type GrantView } from './grants';
import { inConsentMode } from './owner-record';

const MS_PER_S = 1000;

/** What the owner's device signs for a grant: an owner statement with this action and payload, valid until `notAfter`. */
export interface OwnerSignatureRequest {
  deviceId: string;
  action: number;
  /** The exact GRANT_PUT payload (hex), as the lock will stage it. */
  payload: string;
  /** The grant's end (Unix seconds): a statement is no use after it. */
  notAfter: number;
}

/** Whether a new grant for this lock must wait for the owner's signature (the lock reported owner-consent mode). */
export function grantNeedsOwner(device: { flags: number | null }): boolean {
  return inConsentMode(device.flags);
}

/** The grant bytes the owner signs, as the relay would stage them now. */
export function ownerSignatureRequest(ctx: RelayContext, row: GrantRow): OwnerSignatureRequest {
  const grant = grantPayload(ctx, row);
  return { deviceId: row.device_id, action: ACT_GRANT_PUT, payload: toHex(encodePayload(ACT_GRANT_PUT, grant)), notAfter: grant.notAfter };
}

/** After creating a grant that waits for the owner (inside the transaction `q`): says so on the grant, and returns what to sign. */
export async function awaitOwnerSignature(ctx: RelayContext, q: Q, row: GrantRow): Promise<OwnerSignatureRequest> {
  await markAwaitingOwner(q, row.id, ctx.now());
  ctx.log.info({ grantId: row.id, deviceId: row.device_id }, 'grant waits for the owner\'s signature');
  return ownerSignatureRequest(ctx, row);
}

/** GET /v1/grants/:id/owner-signature: the request again, for a grant still waiting for the owner. */
export function pendingSignatureRequest(ctx: RelayContext, row: GrantRow): OwnerSignatureRequest {
  if (row.status !== 'pending' || row.owner_statement !== null) throw relayError('KW_CONFLICT', { status: row.status }, 'Only a pending grant not yet signed waits for the owner\'s signature.');
  return ownerSignatureRequest(ctx, row);
}

function invalid(reason: string): never {
  throw relayError('KW_OWNER_STATEMENT_INVALID', { reason });
}

/**
 * POST /v1/grants/:id/owner-statement: the owner's statement over a pending grant of theirs. It must decode,
 * be for the grant's lock, carry GRANT_PUT, and its payload must be the grant's exact bytes; then
 * it is kept verbatim and the grant is staged with it. Anything else changes nothing.
 */
export async function signGrant(ctx: RelayContext, row: GrantRow, statement: Uint8Array): Promise<GrantView> {
  let st;
  try {
    st = decodeOwnerStatement(statement);
  } catch (err) {
    return invalid((err as { code?: string }).code ?? 'BAD_FORMAT');
  }
  if (toHex(st.deviceId) !== row.device_id) invalid('WRONG_DEVICE');
  if (st.action !== ACT_GRANT_PUT) invalid('NOT_THE_GRANT');
  if (row.status !== 'pending' || row.owner_statement !== null) throw relayError('KW_CONFLICT', { status: row.status }, 'Only a pending grant not yet signed can take the owner\'s signature.');
  if (!bytesEqual(st.payload, encodePayload(ACT_GRANT_PUT, grantPayload(ctx, row)))) invalid('NOT_THE_GRANT');
  if (st.notAfter * MS_PER_S < ctx.now()) invalid('OWNER_EXPIRED');
  const hex = toHex(statement);
  const signed = await ctx.store.tx(async (q) => {
    if (!(await setOwnerStatement(q, row.id, hex, ctx.now()))) throw relayError('KW_CONFLICT', undefined, 'The grant was signed or changed meanwhile.');
    await stageGrant(ctx, q, { ...row, owner_statement: hex, status_reason: null });
    await recordActivity(ctx, q, { siteId: row.site_id, deviceId: row.device_id, kind: 'grant.owner_signed', grantId: row.id, details: { ownerKeyId: st.ownerKeyId, seq: st.seq } });
    return (await getGrant(q, row.id))!;
  });
  ctx.log.info({ grantId: row.id, deviceId: row.device_id, ownerKeyId: st.ownerKeyId, ownerSeq: st.seq }, 'owner-signed grant staged');
  return grantView(signed);
}
