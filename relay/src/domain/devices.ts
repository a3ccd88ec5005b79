/**
 * Locks as the relay knows them. A provisioned lock is registered (by an installer) to a
 * site; registration issues its MQTT password (stored hashed, rotated on every
 * re-registration, which needs the lock's install mode or the owner's approval), and tells it
 * which relay key to trust. The status columns mirror the
 * lock's last published status (§7).
 */
import { ST_INSTALL_MODE, commandTopic, eventTopic, isDeviceIdHex, stateTopic } from '@keyway/shared';
import type { RelayContext } from '../context';
import { supersedePendingRotations } from '../data/commands';
import { approveReregistrationUntil, findDevice, findOwnedDevice, insertDevice, listDeviceRows, lockDevice, reregisterDevice, siteDevicesOfProfile, takeCounterOfOwnedDevice, type DeviceRow } from '../data/devices';
import type { Q } from '../data/store';
import { relayError } from '../errors';
import { randomSecret, sha256Hex } from '../secrets';
import { recordActivity } from './activity';
import { batteryPercent } from './battery';
import { boltName, doorName, statusFlagNames } from './names';
import { notifySiteOwner } from './notifications';
import type { Principal } from './principals';
import { getSiteRow } from './sites';

export type { DeviceRow } from '../data/devices';

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

/** The lock's row. */
export function getDevice(q: Q, id: string): Promise<DeviceRow | undefined> {
  return findDevice(q, id);
}

export async function registerDevice(ctx: RelayContext, p: Principal, input: RegisterInput, urls: MqttUrls) {
  if (!isDeviceIdHex(input.deviceId)) throw relayError('KW_VALIDATION', { field: 'deviceId' }, 'deviceId must be 16 lowercase hex characters');
  const password = randomSecret('');
  const current = ctx.keys.current();
  const now = ctx.now();
  const existing = await ctx.store.tx(async (q) => {
    if (!(await getSiteRow(q, input.siteId))) throw relayError('KW_NOT_FOUND', { field: 'siteId' });
    const found = await getDevice(q, input.deviceId);
    if (found && found.site_id !== input.siteId && p.kind !== 'admin') throw relayError('KW_DEVICE_CLAIMED');
    const proof = found ? reregistrationProof(found, now) : null;
    if (found && !proof) return { row: found, refused: true };
    const fields = {
      id: input.deviceId, siteId: input.siteId, name: input.name ?? null, board: input.board, firmware: input.firmware,
      publicKey: input.publicKey ?? null, passwordHash: sha256Hex(password), at: now, signingKeyId: current.keyId
    };
    if (!found) {
      await insertDevice(q, { ...fields, profile: input.profile ?? 'door' });
      return null;
    }
    // The previous password stays valid until the lock first connects with the new one: a
    // re-provisioning cut short (cable pulled) leaves the lock on its previous configuration,
    // which must still be able to connect (broker.ts drops the old hash on first use of the new).
    await reregisterDevice(q, { ...fields, profile: input.profile ?? null, resetLog: !!input.resetLog });
    // A re-provisioned lock trusts exactly the key returned below: older rotations are moot.
    await supersedePendingRotations(q, input.deviceId);
    await recordActivity(ctx, q, { siteId: input.siteId, deviceId: input.deviceId, kind: 'device.reregistered', reason: proof, actorKind: p.kind, actorId: p.subjectId });
    return { row: found, refused: false };
  });
  if (existing?.refused) {
    const d = existing.row;
    await ctx.store.tx(async (q) => {
      await recordActivity(ctx, q, { siteId: d.site_id, deviceId: d.id, kind: 'device.reregister_refused', actorKind: p.kind, actorId: p.subjectId });
      await notifySiteOwner(ctx, q, d.site_id, 'device.reregister_refused', { deviceId: d.id, online: d.online === 1 });
    });
    ctx.log.warn({ deviceId: d.id, by: p.kind, online: d.online === 1 }, 're-registration refused: no proof from the lock or the owner');
    throw relayError('KW_REREGISTER_NEEDS_PROOF', { deviceId: d.id });
  }
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
function reregistrationProof(d: DeviceRow, now: number): 'install_mode' | 'owner_approval' | null {
  const fresh = d.status_at !== null && d.status_at >= now - INSTALL_PROOF_MAX_AGE_MS;
  if (fresh && ((d.flags ?? 0) & ST_INSTALL_MODE) !== 0) return 'install_mode';
  if (d.reregister_approved_until !== null && d.reregister_approved_until > now) return 'owner_approval';
  return null;
}

/** The owner allows the next re-registration of their lock (e.g. a new Wi-Fi network, the lock offline). */
export async function approveReregistration(ctx: RelayContext, p: Principal, id: string): Promise<{ deviceId: string; approvedUntil: string }> {
  return ctx.store.tx(async (q) => {
    const d = await deviceForOwner(ctx, q, p, id);
    const until = ctx.now() + REREGISTER_APPROVAL_MS;
    await approveReregistrationUntil(q, d.id, until);
    await recordActivity(ctx, q, { siteId: d.site_id, deviceId: d.id, kind: 'device.reregister_approved', actorKind: p.kind, actorId: p.subjectId });
    return { deviceId: d.id, approvedUntil: new Date(until).toISOString() };
  });
}

/** The lock if the caller may see it (the owner of its site, or admin); 404 otherwise. */
/** Whose locks p may act on: every one (null, an admin), an owner's (the owner's id), or none (undefined). */
function ownerScope(p: Principal): number | null | undefined {
  return p.kind === 'admin' ? null : p.kind === 'owner' && p.subjectId !== null ? p.subjectId : undefined;
}

export async function deviceForOwner(ctx: RelayContext, q: Q, p: Principal, id: string): Promise<DeviceRow> {
  if (!isDeviceIdHex(id)) throw relayError('KW_NOT_FOUND');
  const ownerId = ownerScope(p);
  // Another owner's lock is as unknown as a lock that does not exist.
  const d = ownerId === undefined ? undefined : ownerId === null ? await findDevice(q, id) : await findOwnedDevice(q, id, ownerId);
  if (!d) throw relayError('KW_NOT_FOUND');
  return d;
}

/**
 * As deviceForOwner, in the same statement that takes the lock's next command counter (and the
 * key its commands are signed with): an owner's command reads its lock once. The transaction q
 * must issue the command with that counter, or roll back.
 */
export async function deviceForOwnerCommand(ctx: RelayContext, q: Q, p: Principal, id: string): Promise<{ device: DeviceRow; counter: { counter: number; keyId: number } }> {
  if (!isDeviceIdHex(id)) throw relayError('KW_NOT_FOUND');
  const ownerId = ownerScope(p);
  // Another owner's lock is as unknown as a lock that does not exist.
  const d = ownerId === undefined ? undefined : await takeCounterOfOwnedDevice(q, id, ownerId);
  if (!d) throw relayError('KW_NOT_FOUND');
  return { device: d, counter: { counter: d.next_counter, keyId: d.signing_key_id } };
}

export function listDevices(ctx: RelayContext, p: Principal, siteId?: number): Promise<DeviceRow[]> {
  return listDeviceRows(ctx.store.q, { siteId: siteId || undefined, ownerId: p.kind === 'admin' ? undefined : (p.subjectId ?? -1) });
}

function pickSiteLock(d: DeviceRow | undefined, rows: DeviceRow[] | null, siteId: number, profile: string): DeviceRow {
  if (rows === null) {
    if (!d || d.site_id !== siteId) throw relayError('KW_NOT_FOUND', { field: 'deviceId' });
    return d;
  }
  if (rows.length === 0) throw relayError('KW_NO_LOCK', { profile });
  if (rows.length > 1) throw relayError('KW_VALIDATION', { field: 'deviceId' }, 'The site has several locks of this kind; name one with deviceId.');
  return rows[0];
}

/** The lock of a site for a purpose: the given one (must be on the site) or the only one of that profile. */
export async function siteLock(q: Q, siteId: number, profile: 'door' | 'box', deviceId?: string): Promise<DeviceRow> {
  return pickSiteLock(deviceId ? await findDevice(q, deviceId) : undefined, deviceId ? null : await siteDevicesOfProfile(q, siteId, profile), siteId, profile);
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

/**
 * Takes the locks' device rows before any delivery or parcel row is moved, in one order (by
 * id) so that two such changes cannot deadlock each other. The lock's own transactions (event
 * intake, sync) hold the device row and then move a delivery; a change that moved the delivery
 * first and then issued a GRANT_REVOKE or GRANT_PUT (which takes the device row for its
 * counter) deadlocked against them on PostgreSQL.
 */
export async function lockDevicesFirst(q: Q, deviceIds: string[]): Promise<void> {
  for (const id of [...new Set(deviceIds)].sort()) await lockDevice(q, id);
}
