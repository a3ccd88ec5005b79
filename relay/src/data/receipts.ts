/**
 * The relay's storage of lock-signed receipts (docs/protocol.md §6.2, docs/relay.md "Receipts
 * signed by the lock"): the pinned lock key (the devices.public_key column, set by the installer
 * at registration or on the first valid receipt), the receipts verbatim, and the lookups that
 * pass a receipt on once its delivery is secured. All of this module's SQL is here.
 */
import { sql, type RawBuilder } from 'kysely';
import { changedRows, firstRow, prepared } from './prepared';
import { jsonNumber, onPostgres, type Q } from './store';

export interface StoredReceipt {
  deviceId: string;
  epoch: number;
  seq: number;
  raw: Uint8Array;
  forwarded: boolean;
}

/** The lock key the relay trusts for a lock, hex; null while none is pinned. */
export async function pinnedLockKey(q: Q, deviceId: string): Promise<string | null> {
  const r = await q.selectFrom('devices').select('public_key').where('id', '=', deviceId).executeTakeFirst();
  return r?.public_key ?? null;
}

/** Pins a lock key if none is pinned yet; true when this call pinned it. */
export async function pinLockKey(q: Q, deviceId: string, keyHex: string): Promise<boolean> {
  const r = await q.updateTable('devices').set({ public_key: keyHex }).where('id', '=', deviceId).where('public_key', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Stores a receipt once; false when the same (lock, log epoch, seq) is already stored. */
export async function insertReceipt(q: Q, deviceId: string, epoch: number, seq: number, raw: Uint8Array, at: number): Promise<boolean> {
  return (await changedRows(insertReceiptQuery(q, deviceId, epoch, seq, Buffer.from(raw), at))) === 1;
}

const insertReceiptQuery = prepared((q: Q, deviceId: string, epoch: number, seq: number, raw: Buffer, at: number) => q.insertInto('lock_receipts')
  .values({ device_id: deviceId, epoch, seq, raw, received_at: at, forwarded_at: null })
  .onConflict((oc) => oc.columns(['device_id', 'epoch', 'seq']).doNothing()));

const receiptAtQuery = prepared((q: Q, deviceId: string, epoch: number, seq: number) =>
  q.selectFrom('lock_receipts').select(['raw', 'forwarded_at']).where('device_id', '=', deviceId).where('epoch', '=', epoch).where('seq', '=', seq));

export async function receiptAt(q: Q, deviceId: string, epoch: number, seq: number): Promise<StoredReceipt | null> {
  const r = await firstRow(receiptAtQuery(q, deviceId, epoch, seq));
  return r ? { deviceId, epoch, seq, raw: new Uint8Array(r.raw), forwarded: r.forwarded_at !== null } : null;
}

export async function markReceiptForwarded(q: Q, deviceId: string, epoch: number, seq: number, at: number): Promise<void> {
  await q.updateTable('lock_receipts').set({ forwarded_at: at }).where('device_id', '=', deviceId).where('epoch', '=', epoch).where('seq', '=', seq).execute();
}

/**
 * Deliveries of the lock secured by the STATE event at `seq` whose hash is `eventHashHex` (the
 * `eventSeq` and `eventHash` of their secured receipt). The hash tells that event from the one at
 * the same sequence number of another log epoch (a re-provisioned lock's log restarts at 1).
 */
export async function deliveriesSecuredAt(q: Q, deviceId: string, seq: number, eventHashHex: string): Promise<number[]> {
  return (await securedAtQuery(q, deviceId, seq, eventHashHex)).rows.map((r) => r.id);
}

// Every receipt the lock sends asks this: compiled once per dialect (the JSON access differs).
const securedAtQuery = prepared((q: Q, deviceId: string, seq: number, eventHashHex: string) => q.selectFrom('deliveries').select('id')
  .where('device_id', '=', deviceId).where('status', '=', 'secured').where(jsonNumber(q, 'receipt', 'eventSeq'), '=', seq)
  .where(jsonText(q, 'receipt', 'eventHash'), '=', eventHashHex));

/** A string stored under `key` (letters only) in a JSON text column: json_extract on SQLite, ->> on PostgreSQL. */
function jsonText(q: Q, column: string, key: string): RawBuilder<string> {
  return onPostgres(q) ? sql<string>`((${sql.ref(column)})::jsonb ->> ${key})` : sql<string>`json_extract(${sql.ref(column)}, ${'$.' + key})`;
}

/** The stored raw events of one log epoch from `from` to `to`, in order (gaps simply absent). */
export async function rawEvents(q: Q, deviceId: string, epoch: number, from: number, to: number): Promise<Uint8Array[]> {
  const rows = await q.selectFrom('events').select('raw').where('device_id', '=', deviceId).where('epoch', '=', epoch).where('seq', '>=', from).where('seq', '<=', to)
    .orderBy('seq').execute();
  return rows.map((r) => new Uint8Array(r.raw));
}

/** A receipt stored at a delivery's secured sequence number, with the hash of the event that secured the delivery (hex). */
export interface ReceiptAtSecuredSeq extends StoredReceipt {
  securedHash: string;
}

/**
 * The receipts of a delivery's lock stored at the sequence number of the event that secured it,
 * in every log epoch (newest first): the one naming that event has the same hash as its head.
 */
export async function receiptsAtSecuredSeq(q: Q, deliveryId: number): Promise<ReceiptAtSecuredSeq[]> {
  const rows = await q.selectFrom('deliveries as d')
    .innerJoin('lock_receipts as lr', (j) => j.onRef('lr.device_id', '=', 'd.device_id').on('lr.seq', '=', jsonNumber(q, 'd.receipt', 'eventSeq')))
    .select(['lr.device_id', 'lr.epoch', 'lr.seq', 'lr.raw', 'lr.forwarded_at', jsonText(q, 'd.receipt', 'eventHash').as('secured_hash')])
    .where('d.id', '=', deliveryId).orderBy('lr.epoch', 'desc').execute();
  return rows.map((r) => ({
    deviceId: r.device_id, epoch: r.epoch, seq: r.seq, raw: new Uint8Array(r.raw), forwarded: r.forwarded_at !== null, securedHash: r.secured_hash
  }));
}
