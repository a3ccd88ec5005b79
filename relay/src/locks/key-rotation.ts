/**
 * Relay key rotation (docs/protocol.md §3.4). A new key becomes current; every lock gets a
 * KEY_ROTATE signed by the key it trusts today, adding the new key and retiring that one.
 * Until a lock acknowledges, its commands stay signed with its old key; a key file is
 * deleted once no lock may trust it (keysInUse).
 */
import { ACT_KEY_ROTATE, decodeCommand } from '@keyway/shared';
import type { RelayContext } from '../context';
import { closePending, pendingCommandsOf, pendingKeyIds, pendingRotationCount, rotationKeysMaybeApplied } from '../data/commands';
import { deviceKeys, devicesPerKey } from '../data/devices';
import { dispatchLater, issueCommand, supersede, type CommandRow } from './outbox';

export async function rotateKeys(ctx: RelayContext): Promise<{ previousKeyId: number; keyId: number; devices: number }> {
  const { previous, next } = ctx.keys.rotate();
  const issued: CommandRow[] = [];
  await ctx.store.tx(async (q) => {
    for (const d of await deviceKeys(q)) {
      if (d.signing_key_id === next.keyId) continue;
      for (const p of await pendingCommandsOf(q, d.id, 'key_rotate')) await closePending(q, d.id, p.counter, 'superseded');
      issued.push(issueRotation(ctx, d.id, d.signing_key_id));
    }
  });
  for (const c of issued) dispatchLater(ctx, c);
  ctx.log.warn({ previousKeyId: previous.keyId, keyId: next.keyId, devices: issued.length }, 'relay signing key rotated');
  return { previousKeyId: previous.keyId, keyId: next.keyId, devices: issued.length };
}

/** A KEY_ROTATE to the relay's current key, signed with (and retiring) the key the lock trusts today. */
export function issueRotation(ctx: RelayContext, deviceId: string, trustedKeyId: number): CommandRow {
  const next = ctx.keys.current();
  return issueCommand(ctx, {
    deviceId, action: ACT_KEY_ROTATE, purpose: 'key_rotate', newKeyId: next.keyId,
    payload: { newKeyId: next.keyId, newKey: next.publicKey, retireKeyId: trustedKeyId }
  });
}

/** The lock's ACK of a KEY_ROTATE: from now on its commands are signed with the new key. */
export function onKeyRotateAck(ctx: RelayContext, cmd: CommandRow, code: number): void {
  if (code !== 0 || cmd.new_key_id === null) {
    ctx.log.warn({ deviceId: cmd.device_id, counter: cmd.counter, code }, 'lock refused key rotation');
    return;
  }
  moveDeviceKey(ctx, cmd.device_id, cmd.key_id, cmd.new_key_id, cmd.counter);
}

/**
 * From now on the lock's commands are signed with `toKeyId`: pending commands signed with the
 * old key (after `afterCounter`) would fail UNKNOWN_KEY, so they are re-signed. Returns false
 * when the device was not on `fromKeyId` (another process moved it first).
 */
export function moveDeviceKey(ctx: RelayContext, deviceId: string, fromKeyId: number, toKeyId: number, afterCounter = 0): boolean {
  const moved = ctx.db.prepare('UPDATE devices SET signing_key_id = ? WHERE id = ? AND signing_key_id = ?').run(toKeyId, deviceId, fromKeyId).changes;
  if (moved === 0) return false;
  const stale = ctx.db.prepare("SELECT * FROM commands WHERE device_id = ? AND status = 'pending' AND key_id = ? AND counter > ? ORDER BY counter")
    .all(deviceId, fromKeyId, afterCounter) as CommandRow[];
  for (const s of stale) {
    supersede(ctx, s.device_id, s.counter);
    // A rotation is not copied: it would retire the old key, not the one the lock trusts now.
    // Reconciliation issues a fresh one from the new key if the lock still needs it.
    if (!s.reissuable || s.purpose === 'key_rotate') continue;
    const again = issueCommand(ctx, {
      deviceId: s.device_id, action: s.action, payload: null, payloadBytes: decodeCommand(new Uint8Array(s.bytes)).payload, purpose: s.purpose,
      grantId: s.grant_id, deliveryId: s.delivery_id, newKeyId: s.new_key_id, reissueOf: s.counter
    });
    dispatchLater(ctx, again);
  }
  ctx.log.info({ deviceId, keyId: toKeyId }, 'lock moved to the new relay key');
  setImmediate(() => {
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
