/**
 * Joined reads of a delivery with what its hot paths read along with it, each one statement
 * where it used to take several (and on PostgreSQL one round trip): the courier entry's checks
 * (the delivery, its site, whether its backend is still the site's partner, the lock's readiness
 * columns, its grant) and the delivery's view (the delivery, its site's name, its grant's status).
 * Columns of the joined tables come back under a prefix and are turned back into rows here.
 */
import { sql, type Selectable } from 'kysely';
import type { DeliveriesTable, DevicesTable, GrantsTable, SitesTable } from './schema';
import type { DeliveryRow } from './deliveries';
import type { GrantRow } from './grants';
import { firstRow, prepared } from './prepared';
import type { SiteRow } from './sites';
import type { Q } from './store';

const SITE_COLUMNS = ['id', 'owner_id', 'name', 'address', 'timezone', 'allow_in_home', 'created_at'] as const satisfies readonly (keyof SitesTable)[];
/** What deciding whether the lock may be asked to open reads of its row (domain/entry.ts lockReady). */
const LOCK_COLUMNS = ['id', 'online', 'last_seen', 'flags'] as const satisfies readonly (keyof DevicesTable)[];
const GRANT_COLUMNS = [
  'id', 'device_id', 'site_id', 'kind', 'type', 'label', 'flags', 'not_before', 'not_after', 'max_uses', 'relock_after', 'timezone', 'tz_offset', 'schedule',
  'cred_type', 'chain_seed', 'chain_links', 'chain_used', 'commitment', 'uses', 'actor_ref', 'delivery_id', 'parcel_id', 'status', 'status_reason',
  'put_fingerprint', 'revoke_alarmed_at', 'consent_id', 'consent_partner', 'owner_statement', 'created_by', 'created_at', 'updated_at', 'revoked_at'
] as const satisfies readonly (keyof GrantsTable)[];
const DELIVERY_COLUMNS = [
  'id', 'site_id', 'device_id', 'backend_id', 'courier_id', 'tracking', 'window_start', 'window_end', 'in_home', 'status', 'grant_id', 'entry_method',
  'entry_counter', 'entry_seq', 'entered_at', 'clip', 'receipt', 'alarms', 'block_reason', 'door_opened_seq', 'door_opened_at', 'created_at', 'updated_at'
] as const satisfies readonly (keyof DeliveriesTable)[];
/** The site's columns a delivery's view shows. */
const VIEW_SITE_COLUMNS = ['name', 'address', 'timezone'] as const satisfies readonly (keyof SitesTable)[];

// Every column of a table the read takes whole: a column added to the schema and not here fails the typecheck.
type Missing<T, L extends readonly (keyof T)[]> = Exclude<keyof T, L[number]>;
const siteComplete: Missing<SitesTable, typeof SITE_COLUMNS> extends never ? true : false = true;
const grantComplete: Missing<GrantsTable, typeof GRANT_COLUMNS> extends never ? true : false = true;
const deliveryComplete: Missing<DeliveriesTable, typeof DELIVERY_COLUMNS> extends never ? true : false = true;
void siteComplete;
void grantComplete;
void deliveryComplete;

// Prefixes no column of deliveries starts with (it has site_id and grant_id of its own).
const SITE = '_site_';
const LOCK = '_lock_';
const GRANT = '_grant_';
const PARTNER = '_partner';
const SITE_ID = '_site_id';
const GRANT_STATUS = '_grant_status';

function aliased(table: string, columns: readonly string[], prefix: string) {
  return columns.map((c) => sql.ref(table + '.' + c).as(prefix + c));
}

/** The columns of one table out of a joined row (a new object: deleting from the row would slow every later use of it). */
function unprefixed<C extends string>(row: Record<string, unknown>, columns: readonly C[], prefix: string): Record<C, unknown> {
  const out = {} as Record<C, unknown>;
  for (const c of columns) out[c] = row[prefix + c];
  return out;
}

/** The lock's row as far as its readiness goes. */
export type LockReadinessRow = Pick<Selectable<DevicesTable>, (typeof LOCK_COLUMNS)[number]>;

export interface CourierEntryRead {
  delivery: DeliveryRow;
  site: SiteRow;
  /** The delivery's backend is a partner of its site. */
  partner: boolean;
  /** undefined: no such lock row. */
  lock: LockReadinessRow | undefined;
  /** The delivery's grant (undefined: none). */
  grant: GrantRow | undefined;
}

const courierEntryQuery = prepared((q: Q, id: number) =>
  q.selectFrom('deliveries')
    .innerJoin('sites', 'sites.id', 'deliveries.site_id')
    .leftJoin('site_partners', (j) => j.onRef('site_partners.site_id', '=', 'deliveries.site_id').onRef('site_partners.backend_id', '=', 'deliveries.backend_id'))
    .leftJoin('devices', 'devices.id', 'deliveries.device_id')
    .leftJoin('grants', 'grants.id', 'deliveries.grant_id')
    .selectAll('deliveries')
    .select([
      ...aliased('sites', SITE_COLUMNS, SITE), ...aliased('devices', LOCK_COLUMNS, LOCK), ...aliased('grants', GRANT_COLUMNS, GRANT),
      sql.ref('site_partners.backend_id').as(PARTNER)
    ])
    .where('deliveries.id', '=', id));

/** A delivery with what the courier entry checks, in one statement (undefined: no such delivery). */
export async function readForCourierEntry(q: Q, id: number): Promise<CourierEntryRead | undefined> {
  const row = (await firstRow(courierEntryQuery(q, id))) as Record<string, unknown> | undefined;
  if (!row) return undefined;
  const site = unprefixed(row, SITE_COLUMNS, SITE) as SiteRow;
  const lock = unprefixed(row, LOCK_COLUMNS, LOCK) as LockReadinessRow;
  const grant = unprefixed(row, GRANT_COLUMNS, GRANT) as GrantRow;
  const partner = row[PARTNER] !== null && row[PARTNER] !== undefined;
  return { delivery: unprefixed(row, DELIVERY_COLUMNS, '') as DeliveryRow, site, partner, lock: lock.id === null ? undefined : lock, grant: grant.id === null ? undefined : grant };
}

export interface DeliveryViewRead {
  delivery: DeliveryRow;
  /** The site's name, address and time zone (undefined: no such site). */
  site: Pick<SiteRow, (typeof VIEW_SITE_COLUMNS)[number]> | undefined;
  /** The delivery's grant's status (undefined: no grant). */
  grantStatus: GrantRow['status'] | undefined;
}

const deliveryViewQuery = prepared((q: Q, id: number) =>
  q.selectFrom('deliveries')
    .leftJoin('sites', 'sites.id', 'deliveries.site_id')
    .leftJoin('grants', 'grants.id', 'deliveries.grant_id')
    .selectAll('deliveries')
    .select([...aliased('sites', VIEW_SITE_COLUMNS, SITE), sql.ref('sites.id').as(SITE_ID), sql.ref('grants.status').as(GRANT_STATUS)])
    .where('deliveries.id', '=', id));

/** A delivery with what its view shows of its site and grant, in one statement (undefined: no such delivery). */
export async function readForDeliveryView(q: Q, id: number): Promise<DeliveryViewRead | undefined> {
  const row = (await firstRow(deliveryViewQuery(q, id))) as Record<string, unknown> | undefined;
  if (!row) return undefined;
  const site = unprefixed(row, VIEW_SITE_COLUMNS, SITE) as DeliveryViewRead['site'];
  const present = row[SITE_ID] !== null && row[SITE_ID] !== undefined;
  const grantStatus = (row[GRANT_STATUS] ?? undefined) as DeliveryViewRead['grantStatus'];
  return { delivery: unprefixed(row, DELIVERY_COLUMNS, '') as DeliveryRow, site: present ? site : undefined, grantStatus };
}
