/**
 * The per-site activity feed: every lock event worth showing (entries, denials with their
 * reason names, alarms, camera clips, state changes) and every relay decision (entry
 * requests refused, grants created and revoked, deliveries booked and blocked). Rows are
 * written once (by the process that stored the lock event) and pushed live to SSE.
 */
import type { RelayContext } from '../context';
import { activityOfSite, insertActivities, insertActivity, writeActivities, type ActivityRow, type NewActivity } from '../data/activity';
import type { Q } from '../data/store';
import { activityNames, type ActivityNames } from './activity-names';

export interface ActivityInput {
  siteId: number;
  deviceId?: string | null;
  kind: string;
  reason?: string | null;
  code?: number | null;
  actorKind?: string | null;
  actorId?: number | null;
  grantId?: number | null;
  deliveryId?: number | null;
  eventSeq?: number | null;
  clip?: string | null;
  details?: Record<string, unknown>;
}

export interface ActivityView {
  id: number;
  siteId: number;
  deviceId: string | null;
  time: string;
  kind: string;
  reason: string | null;
  code: number | null;
  actor: { kind: string; id: number | null } | null;
  grantId: number | null;
  deliveryId: number | null;
  eventSeq: number | null;
  clip: string | null;
  details: Record<string, unknown>;
  /** Names to show instead of ids (activity-names.ts). */
  names: ActivityNames;
}

export async function activityView(q: Q, r: ActivityRow): Promise<ActivityView> {
  return viewWith(r, await activityNames(q, refsOf(r)));
}

function refsOf(r: ActivityRow) {
  return { deviceId: r.device_id, actorKind: r.actor_kind, actorId: r.actor_id, grantId: r.grant_id, deliveryId: r.delivery_id };
}

function viewWith(r: ActivityRow, names: ActivityNames): ActivityView {
  return {
    names,
    id: r.id, siteId: r.site_id, deviceId: r.device_id, time: new Date(r.at).toISOString(), kind: r.kind, reason: r.reason, code: r.code,
    actor: r.actor_kind ? { kind: r.actor_kind, id: r.actor_id } : null,
    grantId: r.grant_id, deliveryId: r.delivery_id, eventSeq: r.event_seq, clip: r.clip, details: JSON.parse(r.details) as Record<string, unknown>
  };
}

function rowValues(ctx: RelayContext, a: ActivityInput) {
  return {
    site_id: a.siteId, device_id: a.deviceId ?? null, at: ctx.now(), kind: a.kind, reason: a.reason ?? null, code: a.code ?? null, actor_kind: a.actorKind ?? null,
    actor_id: a.actorId ?? null, grant_id: a.grantId ?? null, delivery_id: a.deliveryId ?? null, event_seq: a.eventSeq ?? null, clip: a.clip ?? null,
    details: JSON.stringify(a.details ?? {})
  };
}

/**
 * Stores the row in q (the caller's transaction, or the store) and pushes it to the site's live
 * stream; the names the stream shows are looked up only when a stream can receive it. While q
 * holds activity (holdActivity), the row waits for insertHeldActivity instead.
 */
export async function recordActivity(ctx: RelayContext, q: Q, a: ActivityInput): Promise<void> {
  const values = rowValues(ctx, a);
  const held = heldRows.get(q);
  if (held) held.rows.push(values);
  else if (liveWants(ctx, [values])) await emitActivity(ctx, q, await insertActivity(q, values));
  else await writeActivities(q, [values]);
}

/**
 * Whether a live stream can receive one of the rows (LiveHub.wanted): only then is a row read
 * back as stored (its id) to be pushed; otherwise it is written without a read, which on
 * PostgreSQL goes with the transaction's next statement or COMMIT.
 */
function liveWants(ctx: RelayContext, rows: readonly NewActivity[]): boolean {
  return rows.some((r) => ctx.live.wanted(['site:' + r.site_id]));
}

/**
 * Runs fn once the rows q holds are inserted and pushed to the live streams, or at once when q
 * holds none: a live message about what such a row records (a clip's new status) must not reach
 * a page before the row itself. Dropped with the rows when q's work is undone.
 */
export function afterHeldActivity(q: Q, fn: () => void): void {
  const held = heldRows.get(q);
  if (held) held.after.push(fn);
  else fn();
}

async function emitActivity(ctx: RelayContext, q: Q, row: ActivityRow): Promise<void> {
  const topics = ['site:' + row.site_id];
  if (ctx.live.wanted(topics)) ctx.live.emit(topics, 'activity', await activityView(q, row));
}

/**
 * Rows recorded in a transaction that holds its activity, not inserted yet. The lock intake
 * (locks/lock-intake.ts) records a row for most events it stores, about three per door action,
 * and inserts a batch's rows in one statement at its end; nothing reads the activity table
 * inside that transaction.
 */
const heldRows = new WeakMap<Q, { rows: NewActivity[]; after: Array<() => void> }>();

/** From now on, rows recorded in the transaction q wait for insertHeldActivity. */
export function holdActivity(q: Q): void {
  heldRows.set(q, { rows: [], after: [] });
}

/** Inserts the rows q held, in the order recorded, and pushes them to the live streams; q holds no more. */
export async function insertHeldActivity(ctx: RelayContext, q: Q): Promise<void> {
  const held = heldRows.get(q);
  heldRows.delete(q);
  if (!held) return;
  if (held.rows.length > 0 && liveWants(ctx, held.rows)) for (const row of await insertActivities(q, held.rows)) await emitActivity(ctx, q, row);
  else if (held.rows.length > 0) await writeActivities(q, held.rows);
  for (const fn of held.after) fn();
}

/** q holds no more rows, and those it held are dropped (its work failed and is undone). */
export function dropHeldActivity(q: Q): void {
  heldRows.delete(q);
}

/** `kind` is a kind name, or a prefix ending in `*` (the route allows only [a-z.]). */
export async function listActivity(ctx: RelayContext, siteId: number, limit: number, before?: number, kind?: string): Promise<{ items: ActivityView[]; nextBefore: number | null }> {
  const filter = kind === undefined ? undefined : kind.endsWith('*') ? { prefix: kind.slice(0, -1) } : { exact: kind };
  const rows = await activityOfSite(ctx.store.q, siteId, before ?? Number.MAX_SAFE_INTEGER, limit + 1, filter);
  const more = rows.length > limit;
  const items = await Promise.all(rows.slice(0, limit).map((r) => activityView(ctx.store.q, r)));
  return { items, nextBefore: more ? items[items.length - 1].id : null };
}
