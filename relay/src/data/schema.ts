/**
 * The relay's tables as Kysely sees them: one interface per table, columns typed as both
 * SQLite (better-sqlite3) and PostgreSQL (pg, BIGINT parsed to number) return them.
 * `Generated` marks columns the database fills (identity keys, defaults). Times are Unix
 * milliseconds unless the column name ends in _s (protocol seconds). Flags stored as 0/1.
 * Keep in step with the migrations (db/migrations.ts); tests/relay/db checks the columns.
 */
import type { Generated } from 'kysely';

type Id = Generated<number>;

export interface SettingsTable { key: string; value: string }

export interface TokensTable {
  id: Id;
  hash: string;
  kind: 'admin' | 'owner' | 'courier' | 'backend' | 'installer' | 'guest';
  subject_id: number | null;
  scopes: Generated<string>;
  label: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface OwnersTable { id: Id; email: string; name: string; password_hash: string; created_at: number }
export interface BackendsTable { id: Id; name: string; scopes: string; created_at: number }
export interface CouriersTable { id: Id; backend_id: number; name: string; created_at: number }

export interface SitesTable {
  id: Id;
  owner_id: number;
  name: string;
  address: string | null;
  timezone: string;
  allow_in_home: Generated<number>;
  created_at: number;
}

export interface SitePartnersTable { site_id: number; backend_id: number; created_at: number }

export interface DevicesTable {
  id: string;
  site_id: number;
  name: string | null;
  profile: Generated<string>;
  board: string;
  firmware: string;
  public_key: string | null;
  mqtt_password_hash: string;
  mqtt_prev_password_hash: string | null;
  registered_at: number;
  signing_key_id: number;
  next_counter: Generated<number>;
  online: Generated<number>;
  /** When the current connection started: the sync's retry backoff starts afresh then. */
  online_since: number | null;
  conn_id: string | null;
  last_seen: number | null;
  offline_reason: string | null;
  status_at: number | null;
  bolt: number | null;
  door: number | null;
  flags: number | null;
  lock_time_s: number | null;
  nonce: string | null;
  replay_high: number | null;
  battery: number | null;
  grants_stored: number | null;
  status_firmware: string | null;
  status_log_seq: number | null;
  clock_offset_s: number | null;
  clock_flagged: Generated<number>;
  time_set_nonce: string | null;
  time_set_at: number | null;
  log_epoch: Generated<number>;
  log_seq: Generated<number>;
  log_head: string | null;
  log_state: Generated<string>;
  last_camera_seq: number | null;
  /** The inventory of the last status: key ids, and [grantId, fingerprint] pairs (JSON). */
  inv_keys: string | null;
  inv_grants: string | null;
  inv_at: number | null;
  sync_state: Generated<'unknown' | 'syncing' | 'converged'>;
  sync_since: number | null;
  reregister_approved_until: number | null;
  /** 1 while the lock waits for an owner device to confirm its clock (locks/owner-time.ts). */
  owner_time_needed: Generated<number>;
}

export interface GrantsTable {
  id: Id;
  device_id: string;
  site_id: number;
  kind: 'courier' | 'guest' | 'service' | 'parcel';
  type: string;
  label: string | null;
  flags: number;
  not_before: number;
  not_after: number;
  max_uses: number;
  relock_after: number;
  timezone: string;
  tz_offset: number;
  schedule: Generated<string>;
  cred_type: number;
  chain_seed: string | null;
  chain_links: Generated<number>;
  chain_used: Generated<number>;
  commitment: string | null;
  uses: Generated<number>;
  actor_ref: Generated<number>;
  delivery_id: number | null;
  parcel_id: number | null;
  status: 'pending' | 'active' | 'failed' | 'revoking' | 'revoked';
  status_reason: string | null;
  /** Fingerprint of the payload of the latest GRANT_PUT issued (what the lock should report). */
  put_fingerprint: string | null;
  revoke_alarmed_at: number | null;
  /** The standing consent the grant is staged under (CONSENTED_GRANT_PUT) and the partner it names; null: a plain GRANT_PUT. */
  consent_id: number | null;
  consent_partner: number | null;
  /** The owner statement (hex) over the grant's exact bytes, sent as OWNER_SIGNED byte for byte; null: not owner-signed. */
  owner_statement: string | null;
  created_by: string;
  created_at: number;
  updated_at: number;
  revoked_at: number | null;
}

export interface DeliveriesTable {
  id: Id;
  site_id: number;
  device_id: string;
  backend_id: number;
  courier_id: number;
  tracking: string;
  window_start: number;
  window_end: number;
  in_home: number;
  status: string;
  grant_id: number | null;
  entry_method: string | null;
  entry_counter: number | null;
  entry_seq: number | null;
  entered_at: number | null;
  clip: string | null;
  receipt: string | null;
  alarms: Generated<string>;
  block_reason: string | null;
  door_opened_seq: number | null;
  door_opened_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface ParcelsTable {
  id: Id;
  site_id: number;
  device_id: string;
  backend_id: number | null;
  tracking: string;
  window_start: number;
  window_end: number;
  status: string;
  grant_id: number | null;
  opened_seq: number | null;
  opened_at: number | null;
  created_by: string;
  created_at: number;
}

export interface CommandsTable {
  device_id: string;
  counter: number;
  action: number;
  purpose: string;
  key_id: number;
  bytes: Buffer;
  not_before_s: number;
  not_after_s: number;
  status: 'pending' | 'acked' | 'denied' | 'expired' | 'superseded';
  result_code: number | null;
  /** Denied for a reason that passes with time (docs/sync.md): the sync issues it again. */
  transient: Generated<number>;
  resendable: number;
  reissuable: number;
  grant_id: number | null;
  delivery_id: number | null;
  new_key_id: number | null;
  reissue_of: number | null;
  created_at: number;
  sent_at: number | null;
  send_count: Generated<number>;
  acked_at: number | null;
  ack_seq: number | null;
}

export interface EventsTable {
  device_id: string;
  epoch: number;
  seq: number;
  raw: Buffer;
  hash: string;
  prev_hash: string;
  time_s: number;
  type: number;
  code: number;
  ref: number;
  actor_kind: number;
  actor_ref: number;
  data: Buffer;
  integrity: string;
  received_at: number;
  processed_by: string;
}

export interface LogAnomaliesTable {
  id: Id;
  device_id: string;
  epoch: number;
  seq: number;
  kind: 'gap' | 'break' | 'rewind';
  details: string;
  at: number;
  resolved_at: number | null;
}

export interface ActivityTable {
  id: Id;
  site_id: number;
  device_id: string | null;
  at: number;
  kind: string;
  reason: string | null;
  code: number | null;
  actor_kind: string | null;
  actor_id: number | null;
  grant_id: number | null;
  delivery_id: number | null;
  event_seq: number | null;
  clip: string | null;
  details: Generated<string>;
}

export interface NotificationsTable {
  id: Id;
  recipient_kind: string;
  recipient_id: number;
  site_id: number | null;
  delivery_id: number | null;
  kind: string;
  body: string;
  created_at: number;
}

export interface IdempotencyTable {
  principal: string;
  key: string;
  route: string;
  body_hash: string;
  state: 'pending' | 'done';
  status_code: number | null;
  response: string | null;
  created_at: number;
}

export interface WebhooksTable {
  id: Id;
  backend_id: number;
  url: string;
  events: string;
  secret: string;
  created_at: number;
  deleted_at: number | null;
}

export interface WebhookJobsTable {
  id: Id;
  webhook_id: number;
  event: string;
  body: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: Generated<number>;
  next_at: number;
  locked_until: Generated<number>;
  last_error: string | null;
  last_status: number | null;
  created_at: number;
  delivered_at: number | null;
}

export interface NotificationSettingsTable {
  owner_id: number;
  email: string | null;
  email_on: Generated<number>;
  ntfy_url: string | null;
  ntfy_token: string | null;
  ntfy_on: Generated<number>;
  events: string;
  updated_at: number;
}

export interface NotificationSendsTable {
  id: Id;
  notification_id: number;
  owner_id: number;
  channel: 'email' | 'ntfy';
  status: 'pending' | 'sent' | 'failed';
  attempts: Generated<number>;
  next_at: number;
  locked_until: Generated<number>;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

export interface CamerasTable {
  id: Id;
  device_id: string;
  token_hash: string;
  created_at: number;
  revoked_at: number | null;
}

export interface ClipsTable {
  id: Id;
  device_id: string;
  site_id: number;
  capture: number;
  camera_id: number | null;
  frames: Generated<number>;
  frame_types: Generated<string>;
  bytes: Generated<number>;
  uploaded_hash: string | null;
  lock_hash: string | null;
  event_seq: number | null;
  status: 'awaiting' | 'pending' | 'verified' | 'mismatch' | 'unbound';
  created_at: number;
  uploaded_at: number | null;
  deleted_at: number | null;
  deleted_by: 'owner' | 'retention' | null;
}

/** An owner device key the lock confirmed holding (docs/protocol.md §11.2). */
export interface OwnerKeysTable {
  device_id: string;
  key_id: number;
  public_key: string;
  label: string | null;
  enrolled_at: number;
}

/** A standing consent the lock confirmed holding (docs/protocol.md §11.4); schedule is JSON. */
export interface OwnerConsentsTable {
  device_id: string;
  consent_id: number;
  kind: number;
  partner: number;
  flags: number;
  max_per_week: number;
  not_after_s: number;
  tz_offset: number;
  schedule: string;
  owner_key_id: number;
  confirmed_at: number;
}

/** The owner's settings for one lock (migration 7). */
export interface LockSettingsTable {
  device_id: string;
  revision: number;
  auto_lock_s: number;
  door_ajar_s: number;
  relock_on_close: number;
  /** The revision in the lock's last status (0: never configured). */
  held_revision: Generated<number>;
  held_at: number | null;
  updated_at: number;
}

/** Receipts the locks signed, stored verbatim (migration 8). */
export interface LockReceiptsTable {
  device_id: string;
  epoch: number;
  seq: number;
  raw: Buffer;
  received_at: number;
  forwarded_at: number | null;
}

/** The relay's signing keys when they live in the database; `seed` is sealed (secret-box.ts). */
export interface RelayKeysTable {
  key_id: number;
  public_key: string;
  seed: string;
  is_current: Generated<number>;
  created_at: number;
}

export interface Schema {
  settings: SettingsTable;
  tokens: TokensTable;
  owners: OwnersTable;
  backends: BackendsTable;
  couriers: CouriersTable;
  sites: SitesTable;
  site_partners: SitePartnersTable;
  devices: DevicesTable;
  grants: GrantsTable;
  deliveries: DeliveriesTable;
  parcels: ParcelsTable;
  commands: CommandsTable;
  events: EventsTable;
  log_anomalies: LogAnomaliesTable;
  activity: ActivityTable;
  notifications: NotificationsTable;
  idempotency: IdempotencyTable;
  webhooks: WebhooksTable;
  webhook_jobs: WebhookJobsTable;
  notification_settings: NotificationSettingsTable;
  notification_sends: NotificationSendsTable;
  cameras: CamerasTable;
  clips: ClipsTable;
  lock_settings: LockSettingsTable;
  lock_receipts: LockReceiptsTable;
  owner_keys: OwnerKeysTable;
  owner_consents: OwnerConsentsTable;
  relay_keys: RelayKeysTable;
}
