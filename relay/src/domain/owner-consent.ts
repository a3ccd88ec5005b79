/**
 * Owner consent through the relay (docs/protocol.md §11, docs/relay.md "Owner consent"): the
 * relay carries an owner statement, signed on the owner's own device, to the lock as the payload
 * of an OWNER_SIGNED command, byte for byte. It never re-encodes a statement, never drops its
 * signature and never turns it into a plain command: the lock checks both signatures, so the
 * relay's own key is no longer enough. Enrolling the first owner device is a relay-signed
 * OWNER_KEY_ADD that the lock accepts only in install mode.
 */
import {
  ACT_OWNER_KEY_ADD, ACT_OWNER_SIGNED, ACT_OWNER_TIME, EV_ACK, type OwnerTimePayload, decodeOwnerStatement, decodePayload, decodePointValid, fromHex, isAcceptablePublicKey, keyIdOf, toHex
} from '@keyway/shared';
import type { RelayContext } from '../context';
import { relayError } from '../errors';
import type { ReceivedEvent } from '../locks/waiters';
import { dispatch, issueCommand, type CommandRow } from '../locks/outbox';
import { recordActivity } from './activity';
import { deviceForOwner } from './devices';
import { reasonName } from './names';
import { recordConfirmedStatement, recordEnrolledKey } from './owner-record';
import type { Principal } from './principals';

export interface OwnerRequestResult {
  outcome: 'done';
  deviceId: string;
  counter: number;
  ownerKeyId: number;
  /** The action the owner signed (OWNER_SIGNED carries it). */
  action: number;
}

/** Waits for the lock's one ACK of the command and turns a refusal into KW_ENTRY_DENIED with the lock's reason. */
async function untilAcked(ctx: RelayContext, cmd: CommandRow): Promise<void> {
  if (ctx.closing) throw relayError('KW_SHUTTING_DOWN');
  const w = ctx.waiters.wait(cmd.device_id, (ev: ReceivedEvent) => (ev.type === EV_ACK && ev.ref === cmd.counter ? ev.code : undefined), ctx.opts.entryTimeoutMs);
  try {
    await dispatch(ctx, cmd, true);
  } catch (err) {
    w.cancel();
    throw err;
  }
  const code = await w.promise;
  if (code === 'timeout') throw relayError('KW_ENTRY_TIMEOUT', { deviceId: cmd.device_id, counter: cmd.counter });
  if (code !== 0) throw relayError('KW_ENTRY_DENIED', { reason: reasonName(code), code, counter: cmd.counter });
}

function assertOnline(d: { id: string; online: number }): void {
  if (d.online !== 1) throw relayError('KW_LOCK_OFFLINE', { deviceId: d.id });
}

function ownerTimeNonce(payload: Uint8Array): Uint8Array {
  try {
    return (decodePayload(ACT_OWNER_TIME, payload) as OwnerTimePayload).nonce;
  } catch (err) {
    throw relayError('KW_OWNER_STATEMENT_INVALID', { reason: (err as { code?: string }).code ?? 'BAD_FORMAT' });
  }
}

/**
 * Sends an owner statement to its lock unchanged and waits for the lock's answer. The relay
 * checks only what it can without the owner's key: the bytes are a statement, for this lock.
 */
export async function sendOwnerStatement(ctx: RelayContext, p: Principal, deviceId: string, statement: Uint8Array): Promise<OwnerRequestResult> {
  const d = await deviceForOwner(ctx, ctx.store.q, p, deviceId);
  let st;
  try {
    st = decodeOwnerStatement(statement);
  } catch (err) {
    throw relayError('KW_OWNER_STATEMENT_INVALID', { reason: (err as { code?: string }).code ?? 'BAD_FORMAT' });
  }
  if (toHex(st.deviceId) !== d.id) throw relayError('KW_OWNER_STATEMENT_INVALID', { reason: 'WRONG_DEVICE' });
  assertOnline(d);
  // An owner-confirmed time names the lock's challenge; the relay binds its command to the same one, so a lock without time admits it.
  const nonce = st.action === ACT_OWNER_TIME ? ownerTimeNonce(st.payload) : undefined;
  const cmd = await ctx.store.tx((q) => issueCommand(ctx, q, {
    deviceId: d.id, action: ACT_OWNER_SIGNED, payload: null, payloadBytes: statement, purpose: 'owner_statement', ...(nonce ? { nonce } : {})
  }));
  ctx.log.info({ deviceId: d.id, counter: cmd.counter, ownerKeyId: st.ownerKeyId, ownerSeq: st.seq, action: st.action }, 'owner statement relayed');
  await untilAcked(ctx, cmd);
  await recordConfirmedStatement(ctx, d.id, st);
  await recordActivity(ctx, ctx.store.q, { siteId: d.site_id, deviceId: d.id, kind: 'owner.statement', details: { ownerKeyId: st.ownerKeyId, action: st.action, seq: st.seq } });
  return { outcome: 'done', deviceId: d.id, counter: cmd.counter, ownerKeyId: st.ownerKeyId, action: st.action };
}

/**
 * Enrols an owner device's public key with a relay-signed OWNER_KEY_ADD. The lock accepts it
 * only in install mode (someone inside held the button); a further device is enrolled with a
 * statement signed by an enrolled one instead (sendOwnerStatement).
 */
export async function enrolOwnerKey(ctx: RelayContext, p: Principal, deviceId: string, publicKeyHex: string): Promise<OwnerRequestResult> {
  const d = await deviceForOwner(ctx, ctx.store.q, p, deviceId);
  const key = fromHex(publicKeyHex);
  if (!isAcceptablePublicKey(key) || !decodePointValid(key)) throw relayError('KW_OWNER_STATEMENT_INVALID', { reason: 'BAD_KEY' });
  assertOnline(d);
  const ownerKeyId = keyIdOf(key);
  const cmd = await ctx.store.tx((q) => issueCommand(ctx, q, { deviceId: d.id, action: ACT_OWNER_KEY_ADD, payload: { ownerKeyId, ownerKey: key }, purpose: 'owner_key_add' }));
  await untilAcked(ctx, cmd);
  await recordEnrolledKey(ctx, d.id, ownerKeyId, key);
  await recordActivity(ctx, ctx.store.q, { siteId: d.site_id, deviceId: d.id, kind: 'owner.key_enrolled', details: { ownerKeyId } });
  return { outcome: 'done', deviceId: d.id, counter: cmd.counter, ownerKeyId, action: ACT_OWNER_KEY_ADD };
}
