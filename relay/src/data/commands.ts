/**
 * The command outbox (commands): the per-lock counter a command is signed under, storing it,
 * the lock's acknowledgement, resends and expiry (locks/outbox.ts signs and publishes), what
 * the lock sync reads and the owner's view.
 */
import type { Insertable, Selectable } from 'kysely';
import type { CommandsTable } from './schema';
import { firstRow, prepared, preparedWrite, rowOf, valuesOf } from './prepared';
import type { Q } from './store';

export type CommandRow = Selectable<CommandsTable>;
export type CommandStatus = CommandsTable['status'];

/** Newest counter first, optionally only those in one status. */
export function recentCommands(q: Q, deviceId: string, status: CommandStatus | undefined, limit: number): Promise<CommandRow[]> {
  return q.selectFrom('commands').selectAll().where('device_id', '=', deviceId)
    .$if(status !== undefined, (s) => s.where('status', '=', status!))
    .orderBy('counter', 'desc').limit(limit).execute();
}

/** The commands the lock sync issues (one per target kind). */
export type SyncPurpose = 'grant_put' | 'grant_revoke' | 'key_rotate' | 'settings_set';

/**
 * Sync commands still in flight: pending, or acknowledged OK at or after `inventoryAt` (the
 * lock's last inventory cannot show them yet). Settings count only while pending.
 */
export interface InFlightSyncCommand {
  purpose: SyncPurpose;
  status: 'pending' | 'acked';
  grant_id: number | null;
  /** A KEY_ROTATE's new key. */
  new_key_id: number | null;
}

export async function inFlightSyncCommands(q: Q, deviceId: string, inventoryAt: number): Promise<InFlightSyncCommand[]> {
  return (await inFlightQuery(q, deviceId, inventoryAt)).rows as InFlightSyncCommand[];
}

const inFlightQuery = prepared((q: Q, deviceId: string, inventoryAt: number) => q.selectFrom('commands').select(['purpose', 'status', 'grant_id', 'new_key_id'])
    .where('device_id', '=', deviceId)
    .where('purpose', 'in', ['grant_put', 'grant_revoke', 'key_rotate', 'settings_set'])
    .where((eb) => eb.or([
      eb('status', '=', 'pending'),
      eb.and([eb('status', '=', 'acked'), eb('result_code', '=', 0), eb('acked_at', '>=', inventoryAt), eb('purpose', '!=', 'settings_set')])
    ])));

/** How many commands for one target were issued since `since`, and when the last one was. */
export async function attemptsSince(q: Q, deviceId: string, purpose: SyncPurpose, grantId: number | null, since: number): Promise<{ n: number; last: number | null }> {
  const r = await q.selectFrom('commands').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max<number | null>('created_at').as('last')])
    .where('device_id', '=', deviceId).where('purpose', '=', purpose)
    .where('grant_id', grantId === null ? 'is' : '=', grantId).where('created_at', '>=', since).executeTakeFirstOrThrow();
  return { n: Number(r.n), last: r.last === null ? null : Number(r.last) };
}

/** The command if it is still pending. */
export function pendingCommand(q: Q, deviceId: string, counter: number): Promise<CommandRow | undefined> {
  return q.selectFrom('commands').selectAll().where('device_id', '=', deviceId).where('counter', '=', counter).where('status', '=', 'pending').executeTakeFirst();
}

/** A lock's pending commands in counter order, optionally of one purpose. */
export function pendingCommandsOf(q: Q, deviceId: string, purpose?: string): Promise<CommandRow[]> {
  return q.selectFrom('commands').selectAll().where('device_id', '=', deviceId).where('status', '=', 'pending')
    .$if(purpose !== undefined, (s) => s.where('purpose', '=', purpose!)).orderBy('counter').execute();
}

/** Pending commands of every lock whose window ended at or before `nowS`. */
export function overdueCommands(q: Q, nowS: number): Promise<CommandRow[]> {
  return q.selectFrom('commands').selectAll().where('status', '=', 'pending').where('not_after_s', '<=', nowS).orderBy('device_id').orderBy('counter').execute();
}

export async function markSent(q: Q, deviceId: string, counter: number, at: number): Promise<void> {
  await markSentQuery(q, deviceId, counter, at);
}

const markSentQuery = prepared((q: Q, deviceId: string, counter: number, at: number) =>
  q.updateTable('commands').set((eb) => ({ sent_at: at, send_count: eb('send_count', '+', 1) })).where('device_id', '=', deviceId).where('counter', '=', counter));

/** Moves a pending command to `status`; true when this call moved it (another process may have first). */
export async function closePending(q: Q, deviceId: string, counter: number, status: 'expired' | 'superseded'): Promise<boolean> {
  const r = await q.updateTable('commands').set({ status }).where('device_id', '=', deviceId).where('counter', '=', counter).where('status', '=', 'pending').executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Key ids pending commands are signed with. */
export async function pendingKeyIds(q: Q): Promise<number[]> {
  return (await q.selectFrom('commands').select('key_id').distinct().where('status', '=', 'pending').execute()).map((r) => r.key_id);
}

/**
 * New keys of KEY_ROTATE commands a lock may have applied without the relay knowing: still
 * valid at `nowS`, or sent after the lock's last inventory (or the lock never reported one).
 */
export async function rotationKeysMaybeApplied(q: Q, nowS: number): Promise<number[]> {
  const rows = await q.selectFrom('commands as c').innerJoin('devices as d', 'd.id', 'c.device_id').select('c.new_key_id').distinct()
    .where('c.purpose', '=', 'key_rotate').where('c.new_key_id', 'is not', null)
    .where((eb) => eb.or([eb('c.not_after_s', '>', nowS), eb('d.inv_at', 'is', null), eb('d.inv_at', '<=', eb.fn.coalesce('c.sent_at', 'c.created_at'))]))
    .execute();
  return rows.map((r) => r.new_key_id!);
}

export async function pendingRotationCount(q: Q): Promise<number> {
  const r = await q.selectFrom('commands').select((eb) => eb.fn.countAll<number>().as('n')).where('purpose', '=', 'key_rotate').where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** A re-provisioned lock trusts exactly the key it was just given: its pending rotations are moot. */
export async function supersedePendingRotations(q: Q, deviceId: string): Promise<void> {
  await q.updateTable('commands').set({ status: 'superseded' }).where('device_id', '=', deviceId).where('purpose', '=', 'key_rotate').where('status', '=', 'pending').execute();
}

/**
 * The lock's next command counter and the key its commands are signed with, taken atomically
 * (UPDATE … RETURNING): two relay processes never sign two commands under one counter.
 */
export function allocateCounter(q: Q, deviceId: string): Promise<{ counter: number; keyId: number } | undefined> {
  return firstRow(allocateCounterQuery(q, deviceId));
}

const allocateCounterQuery = prepared((q: Q, deviceId: string) => q.updateTable('devices').set((eb) => ({ next_counter: eb('next_counter', '+', 1) }))
  .where('id', '=', deviceId).returning(['next_counter as counter', 'signing_key_id as keyId']));

const COMMAND_COLUMNS = [
  'device_id', 'counter', 'action', 'purpose', 'key_id', 'bytes', 'not_before_s', 'not_after_s', 'resendable', 'reissuable', 'grant_id', 'delivery_id',
  'new_key_id', 'reissue_of', 'created_at', 'sent_at', 'send_count'
] as const satisfies readonly (keyof Insertable<CommandsTable>)[];

/** Every column a new command is stored with (null for none): the shape the compiled insert takes. */
export type NewCommand = { [C in (typeof COMMAND_COLUMNS)[number]]-?: Exclude<Insertable<CommandsTable>[C], undefined> };

const insertCommandQuery = preparedWrite((q: Q, ...cols: unknown[]) =>
  q.insertInto('commands').values({ ...(rowOf(COMMAND_COLUMNS, cols) as NewCommand), status: 'pending' }), COMMAND_COLUMNS.length);

/**
 * Stores a signed command, pending, and gives its row as stored: the values given, and the
 * columns of an unanswered command at their defaults. Nothing is read back, so on PostgreSQL the
 * INSERT goes with the transaction's next statement or its COMMIT (prepared.ts preparedWrite).
 */
export async function insertCommand(q: Q, row: NewCommand): Promise<CommandRow> {
  await insertCommandQuery(q, ...valuesOf(COMMAND_COLUMNS, row));
  return { ...row, status: 'pending', result_code: null, transient: 0, acked_at: null, ack_seq: null };
}

export function commandAt(q: Q, deviceId: string, counter: number): Promise<CommandRow | undefined> {
  return firstRow(commandAtQuery(q, deviceId, counter));
}

const commandAtQuery = prepared((q: Q, deviceId: string, counter: number) =>
  q.selectFrom('commands').selectAll().where('device_id', '=', deviceId).where('counter', '=', counter));

export interface Ack {
  /** The lock's result code: 0 acknowledged, otherwise a refusal. */
  code: number;
  /** A refusal for a reason that passes with time. */
  transient: boolean;
  /** The seq of the lock's ACK event. */
  seq: number;
  at: number;
}

/** The columns of an answered command its ACK's effects use (locks/event-effects.ts onAck and what it calls). */
const ACKED_COLUMNS = ['device_id', 'counter', 'action', 'purpose', 'key_id', 'new_key_id', 'grant_id', 'delivery_id', 'transient', 'bytes'] as const;
export type AckedCommand = Pick<CommandRow, (typeof ACKED_COLUMNS)[number]>;

/**
 * Records the lock's answer to a command it has not answered yet (pending, or closed by the
 * relay meanwhile: expired or superseded); returns the command when this call recorded it.
 */
export function recordAck(q: Q, deviceId: string, counter: number, ack: Ack): Promise<AckedCommand | undefined> {
  // Every command the lock answers comes through here: compiled once (prepared.ts), returning
  // only what the ACK's effects use (the whole row cost about as much as three small INSERTs).
  return firstRow(recordAckQuery(q, deviceId, counter, ack.code === 0 ? 'acked' : 'denied', ack.code, ack.at, ack.seq, ack.code !== 0 && ack.transient ? 1 : 0));
}

const recordAckQuery = prepared((q: Q, deviceId: string, counter: number, status: 'acked' | 'denied', code: number, at: number, seq: number, transient: number) =>
  q.updateTable('commands').set({ status, result_code: code, acked_at: at, ack_seq: seq, transient })
    .where('device_id', '=', deviceId).where('counter', '=', counter).where('status', 'in', ['pending', 'expired', 'superseded'])
    .returning(ACKED_COLUMNS));

/** The delivery a command was sent for (null: none), or undefined when there is no such command. */
export async function commandDeliveryAt(q: Q, deviceId: string, counter: number): Promise<{ delivery_id: number | null } | undefined> {
  // Every OPERATION a command caused reads it (an owner's unlock among them): compiled once, one column.
  return firstRow(commandDeliveryQuery(q, deviceId, counter));
}

const commandDeliveryQuery = prepared((q: Q, deviceId: string, counter: number) =>
  q.selectFrom('commands').select('delivery_id').where('device_id', '=', deviceId).where('counter', '=', counter));

/** Counters of the grant's GRANT_PUTs still pending on its lock. */
export async function pendingGrantPuts(q: Q, deviceId: string, grantId: number): Promise<number[]> {
  const rows = await q.selectFrom('commands').select('counter').where('device_id', '=', deviceId).where('grant_id', '=', grantId)
    .where('purpose', '=', 'grant_put').where('status', '=', 'pending').orderBy('counter').execute();
  return rows.map((r) => r.counter);
}

/** A lock's pending commands signed with `keyId` after `afterCounter`, in counter order. */
export function pendingSignedWith(q: Q, deviceId: string, keyId: number, afterCounter: number): Promise<CommandRow[]> {
  return q.selectFrom('commands').selectAll().where('device_id', '=', deviceId).where('status', '=', 'pending').where('key_id', '=', keyId)
    .where('counter', '>', afterCounter).orderBy('counter').execute();
}
