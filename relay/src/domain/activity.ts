/**
 * The per-site activity feed: every lock event worth showing (entries, denials with their
 * reason names, alarms, camera clips, state changes) and every relay decision (entry
 * requests refused, grants created and revoked, deliveries booked and blocked). Rows are
 * written once (by the process that stored the lock event) and pushed live to SSE.
 */
import type { RelayContext } from '../context';
import { activityOfSite, type ActivityRow } from '../data/activity';
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

export function activityView(ctx: RelayContext, r: ActivityRow): ActivityView {
  return {
    names: activityNames(ctx, { deviceId: r.device_id, actorKind: r.actor_kind, actorId: r.actor_id, grantId: r.grant_id, deliveryId: r.delivery_id }),
    id: r.id, siteId: r.site_id, deviceId: r.device_id, time: new Date(r.at).toISOString(), kind: r.kind, reason: r.reason, code: r.code,
    actor: r.actor_kind ? { kind: r.actor_kind, id: r.actor_id } : null,
    grantId: r.grant_id, deliveryId: r.delivery_id, eventSeq: r.event_seq, clip: r.clip, details: JSON.parse(r.details) as Record<string, unknown>
  };
}

export function recordActivity(ctx: RelayContext, a: ActivityInput): ActivityView {
  const row = ctx.db.prepare(`INSERT INTO activity (site_id, device_id, at, kind, reason, code, actor_kind, actor_id, grant_id, delivery_id, event_seq, clip, details)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`).get(
    a.siteId, a.deviceId ?? null, ctx.now(), a.kind, a.reason ?? null, a.code ?? null, a.actorKind ?? null, a.actorId ?? null,
    a.grantId ?? null, a.deliveryId ?? null, a.eventSeq ?? null, a.clip ?? null, JSON.stringify(a.details ?? {})
  ) as ActivityRow;
  const view = activityView(ctx, row);
  ctx.live.emit(['site:' + a.siteId], 'activity', view);
  return view;
}

/** `kind` is a kind name, or a prefix ending in `*` (the route allows only [a-z.]). */
export async function listActivity(ctx: RelayContext, siteId: number, limit: number, before?: number, kind?: string): Promise<{ items: ActivityView[]; nextBefore: number | null }> {
  const filter = kind === undefined ? undefined : kind.endsWith('*') ? { prefix: kind.slice(0, -1) } : { exact: kind };
  const rows = await activityOfSite(ctx.store.q, siteId, before ?? Number.MAX_SAFE_INTEGER, limit + 1, filter);
  const more = rows.length > limit;
  const items = rows.slice(0, limit).map((r) => activityView(ctx, r));
  return { items, nextBefore: more ? items[items.length - 1].id : null };
}
