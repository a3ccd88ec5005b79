/**
 * Relay key rotation (docs/protocol.md §3.4). A new key becomes current; every lock gets a
 * KEY_ROTATE signed by the key it trusts today, adding the new key and retiring that one.
 * Until a lock acknowledges, its commands stay signed with its old key; a key file is
 * deleted once no lock may trust it (keysInUse).
 */
import { ACT_KEY_ROTATE, decodeCommand } from '@keyway/shared';
import type { RelayContext } from '../context';
import { closePending, pendingCommandsOf, pendingKeyIds, pendingRotationCount, pendingSignedWith, rotationKeysMaybeApplied } from '../data/commands';
import { deviceKeys, devicesPerKey, moveSigningKey } from '../data/devices';
import { afterCommit, type Q } from '../data/store';
import { issueCommand, publishAfterCommit, type CommandRow } from './outbox';

export async function rotateKeys(ctx: RelayContext): Promise<{ previousKeyId: number; keyId: number; devices: number }> {
  const { previous, next } = await ctx.keys.rotateNow(ctx.now());
  const issued = await ctx.store.tx(async (q) => {
    let n = 0;
    for (const d of await deviceKeys(q)) {
      if (d.signing_key_id === next.keyId) continue;
      for (const p of await pendingCommandsOf(q, d.id, 'key_rotate')) await closePending(q, d.id, p.counter, 'superseded');
      publishAfterCommit(ctx, q, await issueRotation(ctx, q, d.id, d.signing_key_id));
      n++;
    }
    return n;
  });
  ctx.log.warn({ previousKeyId: previous.keyId, keyId: next.keyId, devices: issued }, 'relay signing key rotated');
  return { previousKeyId: previous.keyId, keyId: next.keyId, devices: issued };
}

/** A KEY_ROTATE to the relay's current key, signed with (and retiring) the key the lock trusts today. */
export function issueRotation(ctx: RelayContext, q: Q, deviceId: string, trustedKeyId: number): Promise<CommandRow> {
  const next = ctx.keys.current();
  return issueCommand(ctx, q, {
    deviceId, action: ACT_KEY_ROTATE, purpose: 'key_rotate', newKeyId: next.keyId,
    payload: { newKeyId: next.keyId, newKey: next.publicKey, retireKeyId: trustedKeyId }
  });
}

/** The lock's ACK of a KEY_ROTATE (in the event's transaction q): from now on its commands are signed with the new key. */
export async function onKeyRotateAck(ctx: RelayContext, q: Q, cmd: Pick<CommandRow, 'device_id' | 'counter' | 'key_id' | 'new_key_id'>, code: number): Promise<void> {
  if (code !== 0 || cmd.new_key_id === null) {
    ctx.log.warn({ deviceId: cmd.device_id, counter: cmd.counter, code }, 'lock refused key rotation');
    return;
  }
  await moveDeviceKey(ctx, q, cmd.device_id, cmd.key_id, cmd.new_key_id, cmd.counter);
}

/**
 * From now on the lock's commands are signed with `toKeyId`: pending commands signed with the
 * old key (after `afterCounter`) would fail UNKNOWN_KEY, so they are re-signed. Returns false
 * when the device was not on `fromKeyId` (another process moved it first).
 */
export async function moveDeviceKey(ctx: RelayContext, q: Q, deviceId: string, fromKeyId: number, toKeyId: number, afterCounter = 0): Promise<boolean> {
  if (!(await moveSigningKey(q, deviceId, fromKeyId, toKeyId))) return false;
  for (const s of (await pendingSignedWith(q, deviceId, fromKeyId, afterCounter)) as CommandRow[]) {
    await closePending(q, s.device_id, s.counter, 'superseded');
    // A rotation is not copied: it would retire the old key, not the one the lock trusts now.
    // Reconciliation issues a fresh one from the new key if the lock still needs it.
    if (!s.reissuable || s.purpose === 'key_rotate') continue;
    const again = await issueCommand(ctx, q, {
      deviceId: s.device_id, action: s.action, payload: null, payloadBytes: decodeCommand(new Uint8Array(s.bytes)).payload, purpose: s.purpose,
      grantId: s.grant_id, deliveryId: s.delivery_id, newKeyId: s.new_key_id, reissueOf: s.counter
    });
    publishAfterCommit(ctx, q, again);
  }
  ctx.log.info({ deviceId, keyId: toKeyId }, 'lock moved to the new relay key');
  // Once the move has committed, the old key may be unused: keysInUse reads committed rows.
  afterCommit(q, () => {
    if (ctx.closing) return;
    retireUnusedKeys(ctx).catch((err: unknown) => {
      if (!ctx.closing) ctx.log.warn({ err }, 'retiring unused relay keys failed');
    });
  });
  return true;
}

/**
 * Keys some lock may trust: the key each lock's commands are signed with, keys pending commands
 * are signed with, the keys each lock last reported trusting, and the new key of every
 * KEY_ROTATE the lock may have applied without the relay knowing: one still valid (it can
 * arrive late), or one sent since the lock's last inventory. A rotation superseded by a newer
 * one may still have run on the lock (its ACK lost); deleting its key would leave that lock
 * trusting only a key nobody holds, locked out of every command for good.
 */
export async function keysInUse(ctx: RelayContext): Promise<Set<number>> {
  const keep = new Set<number>();
  // One snapshot: a rotation committing between two of these reads cannot drop a key from all.
  return ctx.store.tx(async (q) => {
    for (const d of await deviceKeys(q)) {
      keep.add(d.signing_key_id);
      if (d.inv_keys) for (const k of JSON.parse(d.inv_keys) as number[]) keep.add(k);
    }
    for (const k of await pendingKeyIds(q)) keep.add(k);
    for (const k of await rotationKeysMaybeApplied(q, ctx.nowS())) keep.add(k);
    return keep;
  });
}

/** Deletes key files no lock may still trust (keysInUse). */
export async function retireUnusedKeys(ctx: RelayContext): Promise<number[]> {
  const gone = ctx.keys.retireExcept(await keysInUse(ctx));
  if (gone.length > 0) ctx.log.warn({ keyIds: gone }, 'retired relay keys deleted');
  return gone;
}

export async function keyStatus(ctx: RelayContext) {
  const counts = await devicesPerKey(ctx.store.q);
  const pending = await pendingRotationCount(ctx.store.q);
  const byKey = new Map(counts.map((c) => [c.keyId, c.devices]));
  return { keys: ctx.keys.list().map((k) => ({ ...k, devices: byKey.get(k.keyId) ?? 0 })), pendingRotations: pending };
}
