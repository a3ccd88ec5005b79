/**
 * Locks as the relay knows them. A provisioned lock is registered (by an installer) to a
 * site; registration issues its MQTT password (stored hashed, rotated on every
 * re-registration, which needs the lock's install mode or the owner's approval), and tells it
 * which relay key to trust. The status columns mirror the
 * lock's last published status (§7).
 */
import { ST_INSTALL_MODE, commandTopic, eventTopic, isDeviceIdHex, stateTopic } from '@keyway/shared';
import type { RelayContext } from '../context';
import { relayError } from '../errors';
import { randomSecret, sha256Hex } from '../secrets';
import { recordActivity } from './activity';
import { batteryPercent } from './battery';
import { boltName, doorName, statusFlagNames } from './names';
import { notifySiteOwner } from './notifications';
import type { Principal } from './principals';
import { getSiteRow } from './sites';
import type { Selectable } from 'kysely';
import type { DevicesTable } from '../data/schema';

export type DeviceRow = Selectable<DevicesTable>;

export interface RegisterInput {
  deviceId: string;
  siteId: number;
  board: string;
  firmware: string;
  publicKey?: string;
  name?: string;
  profile?: 'door' | 'box';
  /** The lock's log restarted at sequence 1 (re-provisioned with a wiped log). */
  resetLog?: boolean;
}

export interface MqttUrls {
  tcp: string;
  tls: string | null;
  ws: string;
}

export function getDevice(ctx: RelayContext, id: string): DeviceRow | undefined {
  return ctx.db.prepare('SELECT * FROM devices WHERE id = ?').get(id) as DeviceRow | undefined;
}

export async function registerDevice(ctx: RelayContext, p: Principal, input: RegisterInput, urls: MqttUrls) {
  if (!isDeviceIdHex(input.deviceId)) throw relayError('KW_VALIDATION', { field: 'deviceId' }, 'deviceId must be 16 lowercase hex characters');
  if (!getSiteRow(ctx, input.siteId)) throw relayError('KW_NOT_FOUND', { field: 'siteId' });
  const password = randomSecret('');
  const current = ctx.keys.current();
  const now = ctx.now();
  const existing = getDevice(ctx, input.deviceId);
  if (existing && existing.site_id !== input.siteId && p.kind !== 'admin') throw relayError('KW_DEVICE_CLAIMED');
  const proof = existing ? reregistrationProof(ctx, existing, now) : null;
  if (existing && !proof) {
    recordActivity(ctx, { siteId: existing.site_id, deviceId: existing.id, kind: 'device.reregister_refused', actorKind: p.kind, actorId: p.subjectId });
    notifySiteOwner(ctx, existing.site_id, 'device.reregister_refused', { deviceId: existing.id, online: existing.online === 1 });
    ctx.log.warn({ deviceId: existing.id, by: p.kind, online: existing.online === 1 }, 're-registration refused: no proof from the lock or the owner');
    throw relayError('KW_REREGISTER_NEEDS_PROOF', { deviceId: existing.id });
  }
  // The statements are still synchronous; the store's transaction holds them together.
  await ctx.store.tx(async () => {
    if (!existing) {
      ctx.db.prepare(`INSERT INTO devices (id, site_id, name, profile, board, firmware, public_key, mqtt_password_hash, registered_at, signing_key_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(input.deviceId, input.siteId, input.name ?? null, input.profile ?? 'door', input.board, input.firmware,
        input.publicKey ?? null, sha256Hex(password), now, current.keyId);
      return;
    }
    // The previous password stays valid until the lock first connects with the new one: a
    // re-provisioning cut short (cable pulled) leaves the lock on its previous configuration,
    // which must still be able to connect (broker.ts drops the old hash on first use of the new).
    ctx.db.prepare(`UPDATE devices SET site_id = ?, name = COALESCE(?, name), profile = COALESCE(?, profile), board = ?, firmware = ?,
        public_key = COALESCE(?, public_key), mqtt_prev_password_hash = COALESCE(mqtt_prev_password_hash, mqtt_password_hash),
        mqtt_password_hash = ?, registered_at = ?, signing_key_id = ? WHERE id = ?`)
      .run(input.siteId, input.name ?? null, input.profile ?? null, input.board, input.firmware, input.publicKey ?? null, sha256Hex(password), now, current.keyId, input.deviceId);
    // A re-provisioned lock trusts exactly the key returned below: older rotations are moot.
    ctx.db.prepare("UPDATE commands SET status = 'superseded' WHERE device_id = ? AND purpose = 'key_rotate' AND status = 'pending'").run(input.deviceId);
    ctx.db.prepare('UPDATE devices SET reregister_approved_until = NULL WHERE id = ?').run(input.deviceId);
    recordActivity(ctx, { siteId: input.siteId, deviceId: input.deviceId, kind: 'device.reregistered', reason: proof, actorKind: p.kind, actorId: p.subjectId });
    if (input.resetLog) {
      ctx.db.prepare("UPDATE devices SET log_epoch = log_epoch + 1, log_seq = 0, log_head = NULL, log_state = 'ok' WHERE id = ?").run(input.deviceId);
    }
  });
  ctx.log.info({ deviceId: input.deviceId, siteId: input.siteId, reRegistered: !!existing, by: p.kind }, 'device registered');
  return {
    deviceId: input.deviceId,
    siteId: input.siteId,
    mqtt: {
      username: input.deviceId,
      password,
      clientId: input.deviceId,
      urls,
      topics: { command: commandTopic(input.deviceId), event: eventTopic(input.deviceId), state: stateTopic(input.deviceId) }
    },
    trustedKeys: [{ keyId: current.keyId, publicKey: Buffer.from(current.publicKey).toString('hex') }],
    relayTime: new Date(now).toISOString(),
    relayTimeS: Math.floor(now / 1000)
  };
}

/** How fresh an install-mode status must be to prove the installer stands at the lock. */
export const INSTALL_PROOF_MAX_AGE_MS = 5 * 60_000;
/** How long an owner's approval of a re-registration lasts (used once). */
export const REREGISTER_APPROVAL_MS = 15 * 60_000;

/**
 * A registered lock gets new credentials only with proof that whoever asks is entitled: the lock
 * itself reported install mode (someone held its inside button) within the last minutes, or
 * the owner approved. An installer token alone never replaces a lock's identity.
 */
function reregistrationProof(ctx: RelayContext, d: DeviceRow, now: number): 'install_mode' | 'owner_approval' | null {
  const fresh = d.status_at !== null && d.status_at >= now - INSTALL_PROOF_MAX_AGE_MS;
  if (fresh && ((d.flags ?? 0) & ST_INSTALL_MODE) !== 0) return 'install_mode';
  if (d.reregister_approved_until !== null && d.reregister_approved_until > now) return 'owner_approval';
  return null;
}

/** The owner allows the next re-registration of their lock (e.g. a new Wi-Fi network, the lock offline). */
export function approveReregistration(ctx: RelayContext, p: Principal, id: string): { deviceId: string; approvedUntil: string } {
  const d = deviceForOwner(ctx, p, id);
  const until = ctx.now() + REREGISTER_APPROVAL_MS;
  ctx.db.prepare('UPDATE devices SET reregister_approved_until = ? WHERE id = ?').run(until, d.id);
  recordActivity(ctx, { siteId: d.site_id, deviceId: d.id, kind: 'device.reregister_approved', actorKind: p.kind, actorId: p.subjectId });
  return { deviceId: d.id, approvedUntil: new Date(until).toISOString() };
}

export function deviceForOwner(ctx: RelayContext, p: Principal, id: string): DeviceRow {
  const d = isDeviceIdHex(id) ? getDevice(ctx, id) : undefined;
  if (!d) throw relayError('KW_NOT_FOUND');
  if (p.kind === 'admin') return d;
  const site = getSiteRow(ctx, d.site_id);
  if (p.kind !== 'owner' || !site || site.owner_id !== p.subjectId) throw relayError('KW_NOT_FOUND');
  return d;
}

export function listDevices(ctx: RelayContext, p: Principal, siteId?: number): DeviceRow[] {
  if (p.kind === 'admin') {
    return (siteId ? ctx.db.prepare('SELECT * FROM devices WHERE site_id = ? ORDER BY id').all(siteId) : ctx.db.prepare('SELECT * FROM devices ORDER BY id').all()) as DeviceRow[];
  }
  return ctx.db.prepare(`SELECT d.* FROM devices d JOIN sites s ON s.id = d.site_id WHERE s.owner_id = ? ${siteId ? 'AND d.site_id = ?' : ''} ORDER BY d.id`)
    .all(...(siteId ? [p.subjectId, siteId] : [p.subjectId])) as DeviceRow[];
}

/** The lock of a site for a purpose: the given one (must be on the site) or the only one of that profile. */
export function siteLock(ctx: RelayContext, siteId: number, profile: 'door' | 'box', deviceId?: string): DeviceRow {
  if (deviceId) {
    const d = getDevice(ctx, deviceId);
    if (!d || d.site_id !== siteId) throw relayError('KW_NOT_FOUND', { field: 'deviceId' });
    return d;
  }
  const rows = ctx.db.prepare('SELECT * FROM devices WHERE site_id = ? AND profile = ? ORDER BY registered_at').all(siteId, profile) as DeviceRow[];
  if (rows.length === 0) throw relayError('KW_NO_LOCK', { profile });
  if (rows.length > 1) throw relayError('KW_VALIDATION', { field: 'deviceId' }, 'The site has several locks of this kind; name one with deviceId.');
  return rows[0];
}

export function deviceView(d: DeviceRow) {
  return {
    id: d.id,
    siteId: d.site_id,
    name: d.name,
    profile: d.profile,
    board: d.board,
    firmware: d.firmware,
    online: d.online === 1,
    lastSeen: d.last_seen ? new Date(d.last_seen).toISOString() : null,
    offlineReason: d.offline_reason,
    status: d.status_at === null ? null : {
      at: new Date(d.status_at).toISOString(),
      bolt: boltName(d.bolt),
      door: doorName(d.door),
      flags: statusFlagNames(d.flags),
      lockTime: d.lock_time_s ? new Date(d.lock_time_s * 1000).toISOString() : null,
      clockOffsetS: d.clock_offset_s,
      clockFlagged: d.clock_flagged === 1,
      batteryMv: d.battery,
      batteryPercent: batteryPercent(d.battery),
      grantsStored: d.grants_stored,
      firmware: d.status_firmware
    },
    log: { epoch: d.log_epoch, seq: d.log_seq, head: d.log_head, state: d.log_state },
    sync: {
      state: d.sync_state,
      since: d.sync_since ? new Date(d.sync_since).toISOString() : null,
      keyIds: d.inv_keys ? (JSON.parse(d.inv_keys) as number[]) : null,
      grantIds: d.inv_grants ? (JSON.parse(d.inv_grants) as Array<[number, string]>).map((g) => g[0]) : null
    },
    signingKeyId: d.signing_key_id,
    /** The lock's own receipt key the relay pinned (docs/protocol.md §6.2), hex; null until known. */
    lockKey: d.public_key,
    registeredAt: new Date(d.registered_at).toISOString()
  };
}

export type DeviceView = ReturnType<typeof deviceView>;
