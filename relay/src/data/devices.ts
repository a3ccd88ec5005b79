/**
 * Registered locks (devices). This module holds the statements that have moved to the data
 * layer so far: MQTT credentials and presence bookkeeping at relay start.
 */
import { sql } from 'kysely';
import type { Q } from './store';

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
