/**
 * Registered locks (devices): MQTT credentials, presence bookkeeping, and the per-lock row
 * lock the lock intake serialises on.
 */
import { sql, type Selectable, type Updateable } from 'kysely';
import type { DevicesTable } from './schema';
import { firstRow, prepared, preparedWrite, rowOf, valuesOf } from './prepared';
import { greatest, onPostgres, type Q } from './store';

export type DeviceRow = Selectable<DevicesTable>;

const findDeviceQuery = prepared((q: Q, id: string) => q.selectFrom('devices').selectAll().where('id', '=', id));

export function findDevice(q: Q, id: string): Promise<DeviceRow | undefined> {
  return firstRow(findDeviceQuery(q, id));
}

const ownedDeviceQuery = prepared((q: Q, id: string, ownerId: number) => q.selectFrom('devices').selectAll().where('id', '=', id)
  .where((eb) => eb.exists(eb.selectFrom('sites').select('sites.id').whereRef('sites.id', '=', 'devices.site_id').where('sites.owner_id', '=', ownerId))));

/** The device row if the lock is on one of the owner's sites (one statement: the owner check is part of the read). */
export function findOwnedDevice(q: Q, id: string, ownerId: number): Promise<DeviceRow | undefined> {
  return firstRow(ownedDeviceQuery(q, id, ownerId));
}

const counterTakenQuery = prepared((q: Q, id: string) => q.updateTable('devices').set((eb) => ({ next_counter: eb('next_counter', '+', 1) }))
  .where('id', '=', id).returningAll());

const ownedCounterTakenQuery = prepared((q: Q, id: string, ownerId: number) => q.updateTable('devices').set((eb) => ({ next_counter: eb('next_counter', '+', 1) }))
  .where('id', '=', id)
  .where((eb) => eb.exists(eb.selectFrom('sites').select('sites.id').whereRef('sites.id', '=', 'devices.site_id').where('sites.owner_id', '=', ownerId)))
  .returningAll());

/**
 * Takes the lock's next command counter (as allocateCounter, data/commands.ts) and gives its row
 * as it is after that, in one statement: on one of the owner's sites only, or any lock (ownerId
 * null, an admin). Undefined, and nothing taken, when there is no such lock. A caller that then
 * refuses the command rolls its transaction back, and the counter with it.
 */
export function takeCounterOfOwnedDevice(q: Q, id: string, ownerId: number | null): Promise<DeviceRow | undefined> {
  return firstRow(ownerId === null ? counterTakenQuery(q, id) : ownedCounterTakenQuery(q, id, ownerId));
}

const lockDeviceQuery = prepared((q: Q, id: string) => q.selectFrom('devices').selectAll().where('id', '=', id).$if(onPostgres(q), (s) => s.forUpdate()));

/**
 * The device row, locked for the rest of the transaction q: relay processes working on one
 * lock (storing its events, reconciling it) take turns. PostgreSQL locks the row
 * (FOR UPDATE); SQLite's transactions already hold the database's single write lock.
 */
export function lockDevice(q: Q, id: string): Promise<DeviceRow | undefined> {
  return firstRow(lockDeviceQuery(q, id));
}

/**
 * The row of the delivery's lock, locked for the rest of q (PostgreSQL: FOR UPDATE; nothing on
 * SQLite, whose transactions already hold its single write lock). What moves a delivery out of
 * the courier's reach (a cancel, a block, a partner withdrawn) takes its lock's row first: taken
 * before the entry's read, that read sees such a move if it committed, and one that has not waits.
 */
export async function lockDeviceOfDelivery(q: Q, deliveryId: number): Promise<void> {
  if (onPostgres(q)) await lockDeliveryDeviceQuery(q, deliveryId);
}

const lockDeliveryDeviceQuery = prepared((q: Q, deliveryId: number) =>
  q.selectFrom('devices').select('devices.id')
    .where('devices.id', '=', (eb) => eb.selectFrom('deliveries').select('deliveries.device_id').where('deliveries.id', '=', deliveryId))
    .forUpdate());

export type LogState = 'ok' | 'gap' | 'break' | 'rewind';

export async function setLogState(q: Q, id: string, state: LogState): Promise<void> {
  await q.updateTable('devices').set({ log_state: state }).where('id', '=', id).execute();
}

/** A new head of the lock's log was stored. */
export async function advanceLogHead(q: Q, id: string, seq: number, head: string, at: number): Promise<void> {
  await advanceLogHeadQuery(q, id, seq, head, at);
}

const advanceLogHeadQuery = preparedWrite((q: Q, id: string, seq: number, head: string, at: number) =>
  q.updateTable('devices').set({ log_seq: seq, log_head: head, last_seen: at }).where('id', '=', id));

/** A new head of the lock's log was stored, and the bolt and door its STATE events reported. */
export async function advanceLogHeadAndState(q: Q, id: string, seq: number, head: string, at: number, bolt: number, door: number): Promise<void> {
  await advanceLogHeadAndStateQuery(q, id, seq, head, at, bolt, door);
}

const advanceLogHeadAndStateQuery = preparedWrite((q: Q, id: string, seq: number, head: string, at: number, bolt: number, door: number) =>
  q.updateTable('devices').set({ log_seq: seq, log_head: head, last_seen: at, bolt, door }).where('id', '=', id));

export interface MqttCredentials {
  mqtt_password_hash: string;
  mqtt_prev_password_hash: string | null;
}

export function mqttCredentials(q: Q, deviceId: string): Promise<MqttCredentials | undefined> {
  return q.selectFrom('devices').select(['mqtt_password_hash', 'mqtt_prev_password_hash']).where('id', '=', deviceId).executeTakeFirst();
}

/** The lock logged in with its new password: the one from before re-provisioning stops working. */
export async function retirePreviousPassword(q: Q, deviceId: string): Promise<void> {
  await q.updateTable('devices').set({ mqtt_prev_password_hash: null }).where('id', '=', deviceId).execute();
}

/** At start: connections this relay process recorded (conn ids `<relayId>:…`) are gone. */
export async function forgetConnectionsOf(q: Q, relayId: string): Promise<void> {
  const prefix = relayId + ':';
  // A prefix compare, not LIKE: relay ids may hold _ or %, and LIKE escapes differ between the stores.
  await q.updateTable('devices').set({ online: 0, conn_id: null }).where(sql<string>`substr(conn_id, 1, ${prefix.length})`, '=', prefix).execute();
}

/** At start of a relay that shares no bus with others: no lock is connected anywhere. */
export async function forgetAllConnections(q: Q): Promise<void> {
  await q.updateTable('devices').set({ online: 0, conn_id: null }).where((eb) => eb.or([eb('online', '=', 1), eb('conn_id', 'is not', null)])).execute();
}

/** Throws when the database cannot answer (health checks). */
export async function pingDatabase(q: Q): Promise<void> {
  await sql`SELECT 1`.execute(q);
}

/**
 * Claims the TIME_SET for the lock's latest nonce: true once per nonce, and again once
 * `retryMs` passed since the last claim. One statement, so two relays never both claim.
 */
export async function claimTimeSet(q: Q, id: string, nonce: string, now: number, retryMs: number): Promise<boolean> {
  const r = await q.updateTable('devices').set({ time_set_nonce: nonce, time_set_at: now }).where('id', '=', id)
    .where((eb) => eb.or([eb('time_set_nonce', 'is', null), eb('time_set_nonce', '!=', nonce), eb('time_set_at', 'is', null), eb('time_set_at', '<=', now - retryMs)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function setSyncState(q: Q, id: string, state: 'converged' | 'syncing', since: number): Promise<void> {
  await q.updateTable('devices').set({ sync_state: state, sync_since: since }).where('id', '=', id).execute();
}

/** Online locks that reported an inventory: the ones the sync can bring in step. */
export async function devicesToReconcile(q: Q): Promise<string[]> {
  const rows = await q.selectFrom('devices').select('id').where('online', '=', 1).where('inv_at', 'is not', null).execute();
  return rows.map((r) => r.id);
}

/** What a lock's status sets on its row. */
export type StatusColumns = Pick<Updateable<DevicesTable>, 'status_at' | 'bolt' | 'door' | 'flags' | 'lock_time_s' | 'nonce' | 'replay_high' | 'battery'
  | 'grants_stored' | 'status_firmware' | 'status_log_seq' | 'clock_offset_s' | 'clock_flagged' | 'last_seen' | 'inv_keys' | 'inv_grants' | 'inv_at'
  | 'owner_time_needed'>;

/** A new head of the lock's log, written with a status (the lock intake's batch, locks/lock-intake.ts). */
export interface LogHead {
  seq: number;
  head: string;
}

/**
 * Stores a lock's status; the next command counter moves above the highest the lock has seen.
 * `logHead`: a new head of the lock's log, written in the same statement.
 */
export async function recordStatus(q: Q, id: string, cols: StatusColumns, replayHigh: number, logHead?: LogHead): Promise<void> {
  const values = valuesOf(STATUS_COLUMNS, cols);
  const complete = values.every((v) => v !== undefined);
  // A whole status (the intake's case) takes the compiled query; a partial one is built as it is.
  if (complete && logHead) await recordStatusWithHeadQuery(q, id, replayHigh, logHead.seq, logHead.head, ...values);
  else if (complete) await recordStatusQuery(q, id, replayHigh, ...values);
  else {
    const head = logHead ? { log_seq: logHead.seq, log_head: logHead.head } : {};
    await q.updateTable('devices').set({ ...cols, ...head, next_counter: greatest(q, [sql.ref('next_counter'), sql.val(replayHigh)]) }).where('id', '=', id).execute();
  }
}

const STATUS_COLUMNS = [
  'status_at', 'bolt', 'door', 'flags', 'lock_time_s', 'nonce', 'replay_high', 'battery', 'grants_stored', 'status_firmware', 'status_log_seq',
  'clock_offset_s', 'clock_flagged', 'last_seen', 'inv_keys', 'inv_grants', 'inv_at', 'owner_time_needed'
] as const satisfies readonly (keyof StatusColumns)[];

const recordStatusQuery = preparedWrite((q: Q, id: string, replayHigh: number, ...cols: unknown[]) => q.updateTable('devices')
  .set({ ...(rowOf(STATUS_COLUMNS, cols) as StatusColumns), next_counter: greatest(q, [sql.ref('next_counter'), sql.val(replayHigh)]) })
  .where('id', '=', id), 2 + STATUS_COLUMNS.length);

const recordStatusWithHeadQuery = preparedWrite((q: Q, id: string, replayHigh: number, seq: number, head: string, ...cols: unknown[]) => q.updateTable('devices')
  .set({ ...(rowOf(STATUS_COLUMNS, cols) as StatusColumns), log_seq: seq, log_head: head, next_counter: greatest(q, [sql.ref('next_counter'), sql.val(replayHigh)]) })
  .where('id', '=', id), 4 + STATUS_COLUMNS.length);

/** The lock connected on `connId` (this process); returns its site, or undefined for an unknown lock. */
export async function markOnline(q: Q, id: string, connId: string, now: number): Promise<number | undefined> {
  const r = await q.updateTable('devices').set({ online: 1, conn_id: connId, last_seen: now, online_since: now, offline_reason: null })
    .where('id', '=', id).returning('site_id').executeTakeFirst();
  return r?.site_id;
}

/**
 * The connection `connId` closed: the lock is offline unless it has reconnected on another
 * connection since. Returns its site when this call changed the row.
 */
export async function markOffline(q: Q, id: string, connId: string, reason: string, now: number): Promise<number | undefined> {
  const r = await q.updateTable('devices').set({ online: 0, conn_id: null, last_seen: now, offline_reason: reason })
    .where('id', '=', id).where('conn_id', '=', connId).returning('site_id').executeTakeFirst();
  return r?.site_id;
}

/** The lock's last will arrived: an offline lock lost its connection rather than closing it. */
export async function markConnectionLost(q: Q, id: string): Promise<void> {
  await q.updateTable('devices').set({ offline_reason: 'connection lost' }).where('id', '=', id).where('online', '=', 0).execute();
}

const onlineQuery = prepared((q: Q, id: string) => q.selectFrom('devices').select('online').where('id', '=', id));

export async function isOnline(q: Q, id: string): Promise<boolean> {
  const r = await firstRow(onlineQuery(q, id));
  return !!r && r.online === 1;
}

/** Every lock's signing key and the key ids its last inventory showed (JSON), in id order. */
export function deviceKeys(q: Q): Promise<{ id: string; signing_key_id: number; inv_keys: string | null }[]> {
  return q.selectFrom('devices').select(['id', 'signing_key_id', 'inv_keys']).orderBy('id').execute();
}

/** How many locks sign with each key. */
export async function devicesPerKey(q: Q): Promise<{ keyId: number; devices: number }[]> {
  const rows = await q.selectFrom('devices').select((eb) => ['signing_key_id', eb.fn.countAll<number>().as('n')]).groupBy('signing_key_id').execute();
  return rows.map((r) => ({ keyId: r.signing_key_id, devices: Number(r.n) }));
}

/** The bolt and door a STATE event reported. */
export async function setBoltDoor(q: Q, id: string, bolt: number, door: number): Promise<void> {
  await setBoltDoorQuery(q, id, bolt, door);
}

const setBoltDoorQuery = preparedWrite((q: Q, id: string, bolt: number, door: number) => q.updateTable('devices').set({ bolt, door }).where('id', '=', id));

/** Remembers the capture number of the lock's last CAMERA event, for the operation that follows it. */
export async function setCameraCapture(q: Q, id: string, capture: number): Promise<void> {
  await setCameraCaptureQuery(q, id, capture);
}

const setCameraCaptureQuery = preparedWrite((q: Q, id: string, capture: number) => q.updateTable('devices').set({ last_camera_seq: capture }).where('id', '=', id));

/**
 * Forgets the remembered capture number (each capture belongs to one operation); the caller read
 * it from the device row it locked in the same transaction (lockDevice).
 */
export async function clearCameraCapture(q: Q, id: string): Promise<void> {
  await clearCameraCaptureQuery(q, id);
}

const clearCameraCaptureQuery = preparedWrite((q: Q, id: string) => q.updateTable('devices').set({ last_camera_seq: null }).where('id', '=', id));

/** The owner's name for the lock (null: none). */
export async function setDeviceName(q: Q, id: string, name: string | null): Promise<void> {
  await q.updateTable('devices').set({ name }).where('id', '=', id).execute();
}

/** Every lock, or a site's, or those on an owner's sites, by id. */
export function listDeviceRows(q: Q, filter: { siteId?: number; ownerId?: number }): Promise<DeviceRow[]> {
  return q.selectFrom('devices as d').selectAll('d')
    .$if(filter.ownerId !== undefined, (s) => s.innerJoin('sites as s', 's.id', 'd.site_id').where('s.owner_id', '=', filter.ownerId!))
    .$if(filter.siteId !== undefined, (s) => s.where('d.site_id', '=', filter.siteId!))
    .orderBy('d.id').execute();
}

/** The site's locks of one profile, oldest registration first. */
export function siteDevicesOfProfile(q: Q, siteId: number, profile: string): Promise<DeviceRow[]> {
  return q.selectFrom('devices').selectAll().where('site_id', '=', siteId).where('profile', '=', profile).orderBy('registered_at').orderBy('id').execute();
}

export interface NewDevice {
  id: string;
  siteId: number;
  name: string | null;
  profile: string;
  board: string;
  firmware: string;
  publicKey: string | null;
  passwordHash: string;
  at: number;
  signingKeyId: number;
}

export async function insertDevice(q: Q, d: NewDevice): Promise<void> {
  await q.insertInto('devices').values({
    id: d.id, site_id: d.siteId, name: d.name, profile: d.profile, board: d.board, firmware: d.firmware, public_key: d.publicKey,
    mqtt_password_hash: d.passwordHash, registered_at: d.at, signing_key_id: d.signingKeyId
  }).execute();
}

/**
 * A registered lock re-provisioned: new site, board, firmware, password and key; a name,
 * profile or lock key left null keeps the stored one. The previous password stays valid until
 * the lock first connects with the new one (retirePreviousPassword), and the owner's approval
 * of the re-registration is used up. `resetLog`: the lock's log restarted at sequence 1.
 */
export async function reregisterDevice(q: Q, d: Omit<NewDevice, 'profile'> & { profile: string | null; resetLog: boolean }): Promise<void> {
  await q.updateTable('devices').set((eb) => ({
    site_id: d.siteId,
    name: eb.fn.coalesce(sql.val(d.name), eb.ref('name')),
    profile: eb.fn.coalesce(sql.val(d.profile), eb.ref('profile')),
    board: d.board,
    firmware: d.firmware,
    public_key: eb.fn.coalesce(sql.val(d.publicKey), eb.ref('public_key')),
    mqtt_prev_password_hash: eb.fn.coalesce(eb.ref('mqtt_prev_password_hash'), eb.ref('mqtt_password_hash')),
    mqtt_password_hash: d.passwordHash,
    registered_at: d.at,
    signing_key_id: d.signingKeyId,
    reregister_approved_until: null,
    ...(d.resetLog ? { log_epoch: sql<number>`log_epoch + 1`, log_seq: 0, log_head: null, log_state: 'ok' } : {})
  })).where('id', '=', d.id).execute();
}

/** The owner allows the next re-registration until `until`. */
export async function approveReregistrationUntil(q: Q, id: string, until: number): Promise<void> {
  await q.updateTable('devices').set({ reregister_approved_until: until }).where('id', '=', id).execute();
}

/**
 * The lock's commands are signed with `toKeyId` from now on, if it was on `fromKeyId`; false
 * when it was not (another relay process moved it first).
 */
export async function moveSigningKey(q: Q, id: string, fromKeyId: number, toKeyId: number): Promise<boolean> {
  const r = await q.updateTable('devices').set({ signing_key_id: toKeyId }).where('id', '=', id).where('signing_key_id', '=', fromKeyId).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Marks or clears a lock's wait for an owner-confirmed time; true when the mark changed. */
export async function setOwnerTimeNeeded(q: Q, id: string, needed: boolean): Promise<boolean> {
  const v = needed ? 1 : 0;
  const r = await q.updateTable('devices').set({ owner_time_needed: v }).where('id', '=', id).where('owner_time_needed', '!=', v).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
