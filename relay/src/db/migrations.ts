/**
 * Numbered schema migrations (docs/relay.md "Data model"), one list for both stores. Each
 * runs once, inside a transaction, and moves the schema version to its number (SQLite:
 * PRAGMA user_version; PostgreSQL: the keyway_schema table); never edit a released one,
 * append a new one with both dialects. Times are Unix milliseconds unless a column name ends in _s.
 */
export interface Migration {
  version: number;
  name: string;
  /** SQLite DDL (the embedded default). */
  sql: string;
  /**
   * The same change for PostgreSQL: INTEGER becomes BIGINT (millisecond times overflow 32
   * bits), `id INTEGER PRIMARY KEY` an identity column, BLOB BYTEA, COLLATE NOCASE a unique
   * index on lower(). Same tables, columns, keys and CHECKs as `sql`.
   */
  postgres: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('admin','owner','courier','backend','installer','guest')),
  subject_id INTEGER,
  scopes TEXT NOT NULL DEFAULT '[]',
  label TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX tokens_subject ON tokens (kind, subject_id);

CREATE TABLE owners (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE backends (id INTEGER PRIMARY KEY, name TEXT NOT NULL, scopes TEXT NOT NULL, created_at INTEGER NOT NULL);

CREATE TABLE sites (
  id INTEGER PRIMARY KEY,
  owner_id INTEGER NOT NULL REFERENCES owners(id),
  name TEXT NOT NULL,
  address TEXT,
  timezone TEXT NOT NULL,
  allow_in_home INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX sites_owner ON sites (owner_id);

CREATE TABLE site_partners (
  site_id INTEGER NOT NULL REFERENCES sites(id),
  backend_id INTEGER NOT NULL REFERENCES backends(id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (site_id, backend_id)
);

CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  site_id INTEGER NOT NULL REFERENCES sites(id),
  name TEXT,
  profile TEXT NOT NULL DEFAULT 'door',
  board TEXT NOT NULL,
  firmware TEXT NOT NULL,
  public_key TEXT,
  mqtt_password_hash TEXT NOT NULL,
  registered_at INTEGER NOT NULL,
  signing_key_id INTEGER NOT NULL,
  next_counter INTEGER NOT NULL DEFAULT 0,
  online INTEGER NOT NULL DEFAULT 0,
  conn_id TEXT,
  last_seen INTEGER,
  offline_reason TEXT,
  status_at INTEGER,
  bolt INTEGER,
  door INTEGER,
  flags INTEGER,
  lock_time_s INTEGER,
  nonce TEXT,
  replay_high INTEGER,
  battery INTEGER,
  grants_stored INTEGER,
  status_firmware TEXT,
  status_log_seq INTEGER,
  clock_offset_s INTEGER,
  clock_flagged INTEGER NOT NULL DEFAULT 0,
  time_set_nonce TEXT,
  log_epoch INTEGER NOT NULL DEFAULT 1,
  log_seq INTEGER NOT NULL DEFAULT 0,
  log_head TEXT,
  log_state TEXT NOT NULL DEFAULT 'ok',
  last_camera_seq INTEGER
);
CREATE INDEX devices_site ON devices (site_id);

CREATE TABLE couriers (
  id INTEGER PRIMARY KEY,
  backend_id INTEGER NOT NULL REFERENCES backends(id),
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE grants (
  id INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES devices(id),
  site_id INTEGER NOT NULL REFERENCES sites(id),
  kind TEXT NOT NULL CHECK (kind IN ('courier','guest','service','parcel')),
  type TEXT NOT NULL,
  label TEXT,
  flags INTEGER NOT NULL,
  not_before INTEGER NOT NULL,
  not_after INTEGER NOT NULL,
  max_uses INTEGER NOT NULL,
  relock_after INTEGER NOT NULL,
  timezone TEXT NOT NULL,
  tz_offset INTEGER NOT NULL,
  schedule TEXT NOT NULL DEFAULT '[]',
  cred_type INTEGER NOT NULL,
  chain_seed TEXT,
  chain_links INTEGER NOT NULL DEFAULT 0,
  chain_used INTEGER NOT NULL DEFAULT 0,
  commitment TEXT,
  uses INTEGER NOT NULL DEFAULT 0,
  actor_ref INTEGER NOT NULL DEFAULT 0,
  delivery_id INTEGER,
  parcel_id INTEGER,
  status TEXT NOT NULL CHECK (status IN ('pending','active','failed','revoking','revoked')),
  status_reason TEXT,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX grants_site ON grants (site_id, id);
CREATE INDEX grants_device ON grants (device_id, status);

CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY,
  site_id INTEGER NOT NULL REFERENCES sites(id),
  device_id TEXT NOT NULL REFERENCES devices(id),
  backend_id INTEGER NOT NULL REFERENCES backends(id),
  courier_id INTEGER NOT NULL REFERENCES couriers(id),
  tracking TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  window_end INTEGER NOT NULL,
  in_home INTEGER NOT NULL,
  status TEXT NOT NULL,
  grant_id INTEGER,
  entry_method TEXT,
  entry_counter INTEGER,
  entry_seq INTEGER,
  entered_at INTEGER,
  clip TEXT,
  receipt TEXT,
  alarms TEXT NOT NULL DEFAULT '[]',
  block_reason TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX deliveries_courier ON deliveries (courier_id);
CREATE INDEX deliveries_backend ON deliveries (backend_id);
CREATE INDEX deliveries_site ON deliveries (site_id);
CREATE INDEX deliveries_device ON deliveries (device_id, status);

CREATE TABLE parcels (
  id INTEGER PRIMARY KEY,
  site_id INTEGER NOT NULL REFERENCES sites(id),
  device_id TEXT NOT NULL REFERENCES devices(id),
  backend_id INTEGER,
  tracking TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  window_end INTEGER NOT NULL,
  status TEXT NOT NULL,
  grant_id INTEGER,
  opened_seq INTEGER,
  opened_at INTEGER,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE commands (
  device_id TEXT NOT NULL REFERENCES devices(id),
  counter INTEGER NOT NULL,
  action INTEGER NOT NULL,
  purpose TEXT NOT NULL,
  key_id INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  not_before_s INTEGER NOT NULL,
  not_after_s INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','acked','denied','expired','superseded')),
  result_code INTEGER,
  resendable INTEGER NOT NULL,
  reissuable INTEGER NOT NULL,
  grant_id INTEGER,
  delivery_id INTEGER,
  new_key_id INTEGER,
  reissue_of INTEGER,
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  send_count INTEGER NOT NULL DEFAULT 0,
  acked_at INTEGER,
  ack_seq INTEGER,
  PRIMARY KEY (device_id, counter)
);
CREATE INDEX commands_pending ON commands (status, device_id, counter);

CREATE TABLE events (
  device_id TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  raw BLOB NOT NULL,
  hash TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  time_s INTEGER NOT NULL,
  type INTEGER NOT NULL,
  code INTEGER NOT NULL,
  ref INTEGER NOT NULL,
  actor_kind INTEGER NOT NULL,
  actor_ref INTEGER NOT NULL,
  data BLOB NOT NULL,
  integrity TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  processed_by TEXT NOT NULL,
  PRIMARY KEY (device_id, epoch, seq)
);

CREATE TABLE log_anomalies (
  id INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('gap','break','rewind')),
  details TEXT NOT NULL,
  at INTEGER NOT NULL,
  UNIQUE (device_id, epoch, seq, kind)
);

CREATE TABLE activity (
  id INTEGER PRIMARY KEY,
  site_id INTEGER NOT NULL,
  device_id TEXT,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  reason TEXT,
  code INTEGER,
  actor_kind TEXT,
  actor_id INTEGER,
  grant_id INTEGER,
  delivery_id INTEGER,
  event_seq INTEGER,
  clip TEXT,
  details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX activity_site ON activity (site_id, id);

CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  recipient_kind TEXT NOT NULL,
  recipient_id INTEGER NOT NULL,
  site_id INTEGER,
  delivery_id INTEGER,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX notifications_recipient ON notifications (recipient_kind, recipient_id, id);

CREATE TABLE idempotency (
  principal TEXT NOT NULL,
  key TEXT NOT NULL,
  route TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending','done')),
  status_code INTEGER,
  response TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (principal, key)
);

CREATE TABLE webhooks (
  id INTEGER PRIMARY KEY,
  backend_id INTEGER NOT NULL REFERENCES backends(id),
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  deleted_at INTEGER
);

CREATE TABLE webhook_jobs (
  id INTEGER PRIMARY KEY,
  webhook_id INTEGER NOT NULL REFERENCES webhooks(id),
  event TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  locked_until INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  last_status INTEGER,
  created_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX webhook_jobs_due ON webhook_jobs (status, next_at);
`,
    postgres: `
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE tokens (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('admin','owner','courier','backend','installer','guest')),
  subject_id BIGINT,
  scopes TEXT NOT NULL DEFAULT '[]',
  label TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX tokens_subject ON tokens (kind, subject_id);

CREATE TABLE owners (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  email TEXT NOT NULL,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

-- Case-insensitive e-mail uniqueness (SQLite: COLLATE NOCASE); look-ups compare lower(email).
CREATE UNIQUE INDEX owners_email ON owners (lower(email));

CREATE TABLE backends (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name TEXT NOT NULL, scopes TEXT NOT NULL, created_at BIGINT NOT NULL);

CREATE TABLE sites (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  owner_id BIGINT NOT NULL REFERENCES owners(id),
  name TEXT NOT NULL,
  address TEXT,
  timezone TEXT NOT NULL,
  allow_in_home BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE INDEX sites_owner ON sites (owner_id);

CREATE TABLE site_partners (
  site_id BIGINT NOT NULL REFERENCES sites(id),
  backend_id BIGINT NOT NULL REFERENCES backends(id),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (site_id, backend_id)
);

CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  site_id BIGINT NOT NULL REFERENCES sites(id),
  name TEXT,
  profile TEXT NOT NULL DEFAULT 'door',
  board TEXT NOT NULL,
  firmware TEXT NOT NULL,
  public_key TEXT,
  mqtt_password_hash TEXT NOT NULL,
  registered_at BIGINT NOT NULL,
  signing_key_id BIGINT NOT NULL,
  next_counter BIGINT NOT NULL DEFAULT 0,
  online BIGINT NOT NULL DEFAULT 0,
  conn_id TEXT,
  last_seen BIGINT,
  offline_reason TEXT,
  status_at BIGINT,
  bolt BIGINT,
  door BIGINT,
  flags BIGINT,
  lock_time_s BIGINT,
  nonce TEXT,
  replay_high BIGINT,
  battery BIGINT,
  grants_stored BIGINT,
  status_firmware TEXT,
  status_log_seq BIGINT,
  clock_offset_s BIGINT,
  clock_flagged BIGINT NOT NULL DEFAULT 0,
  time_set_nonce TEXT,
  log_epoch BIGINT NOT NULL DEFAULT 1,
  log_seq BIGINT NOT NULL DEFAULT 0,
  log_head TEXT,
  log_state TEXT NOT NULL DEFAULT 'ok',
  last_camera_seq BIGINT
);
CREATE INDEX devices_site ON devices (site_id);

CREATE TABLE couriers (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  backend_id BIGINT NOT NULL REFERENCES backends(id),
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE grants (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES devices(id),
  site_id BIGINT NOT NULL REFERENCES sites(id),
  kind TEXT NOT NULL CHECK (kind IN ('courier','guest','service','parcel')),
  type TEXT NOT NULL,
  label TEXT,
  flags BIGINT NOT NULL,
  not_before BIGINT NOT NULL,
  not_after BIGINT NOT NULL,
  max_uses BIGINT NOT NULL,
  relock_after BIGINT NOT NULL,
  timezone TEXT NOT NULL,
  tz_offset BIGINT NOT NULL,
  schedule TEXT NOT NULL DEFAULT '[]',
  cred_type BIGINT NOT NULL,
  chain_seed TEXT,
  chain_links BIGINT NOT NULL DEFAULT 0,
  chain_used BIGINT NOT NULL DEFAULT 0,
  commitment TEXT,
  uses BIGINT NOT NULL DEFAULT 0,
  actor_ref BIGINT NOT NULL DEFAULT 0,
  delivery_id BIGINT,
  parcel_id BIGINT,
  status TEXT NOT NULL CHECK (status IN ('pending','active','failed','revoking','revoked')),
  status_reason TEXT,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX grants_site ON grants (site_id, id);
CREATE INDEX grants_device ON grants (device_id, status);

CREATE TABLE deliveries (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  site_id BIGINT NOT NULL REFERENCES sites(id),
  device_id TEXT NOT NULL REFERENCES devices(id),
  backend_id BIGINT NOT NULL REFERENCES backends(id),
  courier_id BIGINT NOT NULL REFERENCES couriers(id),
  tracking TEXT NOT NULL,
  window_start BIGINT NOT NULL,
  window_end BIGINT NOT NULL,
  in_home BIGINT NOT NULL,
  status TEXT NOT NULL,
  grant_id BIGINT,
  entry_method TEXT,
  entry_counter BIGINT,
  entry_seq BIGINT,
  entered_at BIGINT,
  clip TEXT,
  receipt TEXT,
  alarms TEXT NOT NULL DEFAULT '[]',
  block_reason TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX deliveries_courier ON deliveries (courier_id);
CREATE INDEX deliveries_backend ON deliveries (backend_id);
CREATE INDEX deliveries_site ON deliveries (site_id);
CREATE INDEX deliveries_device ON deliveries (device_id, status);

CREATE TABLE parcels (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  site_id BIGINT NOT NULL REFERENCES sites(id),
  device_id TEXT NOT NULL REFERENCES devices(id),
  backend_id BIGINT,
  tracking TEXT NOT NULL,
  window_start BIGINT NOT NULL,
  window_end BIGINT NOT NULL,
  status TEXT NOT NULL,
  grant_id BIGINT,
  opened_seq BIGINT,
  opened_at BIGINT,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE commands (
  device_id TEXT NOT NULL REFERENCES devices(id),
  counter BIGINT NOT NULL,
  action BIGINT NOT NULL,
  purpose TEXT NOT NULL,
  key_id BIGINT NOT NULL,
  bytes BYTEA NOT NULL,
  not_before_s BIGINT NOT NULL,
  not_after_s BIGINT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','acked','denied','expired','superseded')),
  result_code BIGINT,
  resendable BIGINT NOT NULL,
  reissuable BIGINT NOT NULL,
  grant_id BIGINT,
  delivery_id BIGINT,
  new_key_id BIGINT,
  reissue_of BIGINT,
  created_at BIGINT NOT NULL,
  sent_at BIGINT,
  send_count BIGINT NOT NULL DEFAULT 0,
  acked_at BIGINT,
  ack_seq BIGINT,
  PRIMARY KEY (device_id, counter)
);
CREATE INDEX commands_pending ON commands (status, device_id, counter);

CREATE TABLE events (
  device_id TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  raw BYTEA NOT NULL,
  hash TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  time_s BIGINT NOT NULL,
  type BIGINT NOT NULL,
  code BIGINT NOT NULL,
  ref BIGINT NOT NULL,
  actor_kind BIGINT NOT NULL,
  actor_ref BIGINT NOT NULL,
  data BYTEA NOT NULL,
  integrity TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  processed_by TEXT NOT NULL,
  PRIMARY KEY (device_id, epoch, seq)
);

CREATE TABLE log_anomalies (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  device_id TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('gap','break','rewind')),
  details TEXT NOT NULL,
  at BIGINT NOT NULL,
  UNIQUE (device_id, epoch, seq, kind)
);

CREATE TABLE activity (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  site_id BIGINT NOT NULL,
  device_id TEXT,
  at BIGINT NOT NULL,
  kind TEXT NOT NULL,
  reason TEXT,
  code BIGINT,
  actor_kind TEXT,
  actor_id BIGINT,
  grant_id BIGINT,
  delivery_id BIGINT,
  event_seq BIGINT,
  clip TEXT,
  details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX activity_site ON activity (site_id, id);

CREATE TABLE notifications (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  recipient_kind TEXT NOT NULL,
  recipient_id BIGINT NOT NULL,
  site_id BIGINT,
  delivery_id BIGINT,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX notifications_recipient ON notifications (recipient_kind, recipient_id, id);

CREATE TABLE idempotency (
  principal TEXT NOT NULL,
  key TEXT NOT NULL,
  route TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending','done')),
  status_code BIGINT,
  response TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (principal, key)
);

CREATE TABLE webhooks (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  backend_id BIGINT NOT NULL REFERENCES backends(id),
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  deleted_at BIGINT
);

CREATE TABLE webhook_jobs (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  webhook_id BIGINT NOT NULL REFERENCES webhooks(id),
  event TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
  attempts BIGINT NOT NULL DEFAULT 0,
  next_at BIGINT NOT NULL,
  locked_until BIGINT NOT NULL DEFAULT 0,
  last_error TEXT,
  last_status BIGINT,
  created_at BIGINT NOT NULL,
  delivered_at BIGINT
);
CREATE INDEX webhook_jobs_due ON webhook_jobs (status, next_at);
`
  },
  {
    version: 2,
    name: 'previous MQTT password stays valid until the re-provisioned lock uses the new one',
    sql: `ALTER TABLE devices ADD COLUMN mqtt_prev_password_hash TEXT;`,
    postgres: `ALTER TABLE devices ADD COLUMN mqtt_prev_password_hash TEXT;`
  },
  {
    version: 3,
    name: 'the relay converges on what each lock reports it holds (docs/sync.md)',
    sql: `
ALTER TABLE devices ADD COLUMN inv_keys TEXT;
ALTER TABLE devices ADD COLUMN inv_grants TEXT;
ALTER TABLE devices ADD COLUMN inv_at INTEGER;
ALTER TABLE devices ADD COLUMN time_set_at INTEGER;
ALTER TABLE devices ADD COLUMN sync_state TEXT NOT NULL DEFAULT 'unknown' CHECK (sync_state IN ('unknown','syncing','converged'));
ALTER TABLE devices ADD COLUMN sync_since INTEGER;
ALTER TABLE devices ADD COLUMN reregister_approved_until INTEGER;
ALTER TABLE devices ADD COLUMN online_since INTEGER;
ALTER TABLE log_anomalies ADD COLUMN resolved_at INTEGER;
ALTER TABLE commands ADD COLUMN transient INTEGER NOT NULL DEFAULT 0;
ALTER TABLE grants ADD COLUMN put_fingerprint TEXT;
ALTER TABLE grants ADD COLUMN revoke_alarmed_at INTEGER;
CREATE INDEX commands_target ON commands (device_id, purpose, grant_id, counter);
`,
    postgres: `
ALTER TABLE devices ADD COLUMN inv_keys TEXT;
ALTER TABLE devices ADD COLUMN inv_grants TEXT;
ALTER TABLE devices ADD COLUMN inv_at BIGINT;
ALTER TABLE devices ADD COLUMN time_set_at BIGINT;
ALTER TABLE devices ADD COLUMN sync_state TEXT NOT NULL DEFAULT 'unknown' CHECK (sync_state IN ('unknown','syncing','converged'));
ALTER TABLE devices ADD COLUMN sync_since BIGINT;
ALTER TABLE devices ADD COLUMN reregister_approved_until BIGINT;
ALTER TABLE devices ADD COLUMN online_since BIGINT;
ALTER TABLE log_anomalies ADD COLUMN resolved_at BIGINT;
ALTER TABLE commands ADD COLUMN transient BIGINT NOT NULL DEFAULT 0;
ALTER TABLE grants ADD COLUMN put_fingerprint TEXT;
ALTER TABLE grants ADD COLUMN revoke_alarmed_at BIGINT;
CREATE INDEX commands_target ON commands (device_id, purpose, grant_id, counter);
`
  },
  {
    version: 4,
    name: 'a courier delivery records when the door actually opened, apart from the unlock',
    sql: `ALTER TABLE deliveries ADD COLUMN door_opened_seq INTEGER;
ALTER TABLE deliveries ADD COLUMN door_opened_at INTEGER;`,
    postgres: `ALTER TABLE deliveries ADD COLUMN door_opened_seq BIGINT;
ALTER TABLE deliveries ADD COLUMN door_opened_at BIGINT;`
  },
  {
    version: 5,
    name: 'owner notifications pushed by e-mail and ntfy, per-owner choice of events, a persisted send queue',
    sql: `
CREATE TABLE notification_settings (
  owner_id INTEGER PRIMARY KEY REFERENCES owners(id),
  email TEXT,
  email_on INTEGER NOT NULL DEFAULT 0,
  ntfy_url TEXT,
  ntfy_token TEXT,
  ntfy_on INTEGER NOT NULL DEFAULT 0,
  events TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE notification_sends (
  id INTEGER PRIMARY KEY,
  notification_id INTEGER NOT NULL REFERENCES notifications(id),
  owner_id INTEGER NOT NULL,
  channel TEXT NOT NULL CHECK (channel IN ('email','ntfy')),
  status TEXT NOT NULL CHECK (status IN ('pending','sent','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  locked_until INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  sent_at INTEGER
);
CREATE INDEX notification_sends_due ON notification_sends (status, next_at);
`,
    postgres: `
CREATE TABLE notification_settings (
  owner_id BIGINT PRIMARY KEY REFERENCES owners(id),
  email TEXT,
  email_on BIGINT NOT NULL DEFAULT 0,
  ntfy_url TEXT,
  ntfy_token TEXT,
  ntfy_on BIGINT NOT NULL DEFAULT 0,
  events TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE notification_sends (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  notification_id BIGINT NOT NULL REFERENCES notifications(id),
  owner_id BIGINT NOT NULL,
  channel TEXT NOT NULL CHECK (channel IN ('email','ntfy')),
  status TEXT NOT NULL CHECK (status IN ('pending','sent','failed')),
  attempts BIGINT NOT NULL DEFAULT 0,
  next_at BIGINT NOT NULL,
  locked_until BIGINT NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  sent_at BIGINT
);
CREATE INDEX notification_sends_due ON notification_sends (status, next_at);
`
  },
  {
    version: 6,
    name: 'camera evidence: camera credentials bound to a lock, and clips checked against the lock log',
    sql: `
CREATE TABLE cameras (
  id INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES devices(id),
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX cameras_device ON cameras (device_id);
CREATE TABLE clips (
  id INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES devices(id),
  site_id INTEGER NOT NULL,
  capture INTEGER NOT NULL,
  camera_id INTEGER,
  frames INTEGER NOT NULL DEFAULT 0,
  frame_types TEXT NOT NULL DEFAULT '[]',
  bytes INTEGER NOT NULL DEFAULT 0,
  uploaded_hash TEXT,
  lock_hash TEXT,
  event_seq INTEGER,
  status TEXT NOT NULL CHECK (status IN ('awaiting','pending','verified','mismatch','unbound')),
  created_at INTEGER NOT NULL,
  uploaded_at INTEGER,
  deleted_at INTEGER,
  deleted_by TEXT CHECK (deleted_by IN ('owner','retention')),
  UNIQUE (device_id, capture)
);
CREATE INDEX clips_live ON clips (created_at) WHERE deleted_at IS NULL;
`,
    postgres: `
CREATE TABLE cameras (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES devices(id),
  token_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX cameras_device ON cameras (device_id);
CREATE TABLE clips (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES devices(id),
  site_id BIGINT NOT NULL,
  capture BIGINT NOT NULL,
  camera_id BIGINT,
  frames BIGINT NOT NULL DEFAULT 0,
  frame_types TEXT NOT NULL DEFAULT '[]',
  bytes BIGINT NOT NULL DEFAULT 0,
  uploaded_hash TEXT,
  lock_hash TEXT,
  event_seq BIGINT,
  status TEXT NOT NULL CHECK (status IN ('awaiting','pending','verified','mismatch','unbound')),
  created_at BIGINT NOT NULL,
  uploaded_at BIGINT,
  deleted_at BIGINT,
  deleted_by TEXT CHECK (deleted_by IN ('owner','retention')),
  UNIQUE (device_id, capture)
);
CREATE INDEX clips_live ON clips (created_at) WHERE deleted_at IS NULL;
`
  },
  {
    version: 7,
    name: "each lock's settings (auto-lock delay, relock on close, door-left-open alert) under a revision, and the revision the lock holds",
    sql: `
CREATE TABLE lock_settings (
  device_id TEXT PRIMARY KEY REFERENCES devices(id),
  revision INTEGER NOT NULL CHECK (revision >= 1),
  auto_lock_s INTEGER NOT NULL,
  door_ajar_s INTEGER NOT NULL,
  relock_on_close INTEGER NOT NULL CHECK (relock_on_close IN (0, 1)),
  held_revision INTEGER NOT NULL DEFAULT 0,
  held_at INTEGER,
  updated_at INTEGER NOT NULL
);
`,
    postgres: `
CREATE TABLE lock_settings (
  device_id TEXT PRIMARY KEY REFERENCES devices(id),
  revision BIGINT NOT NULL CHECK (revision >= 1),
  auto_lock_s BIGINT NOT NULL,
  door_ajar_s BIGINT NOT NULL,
  relock_on_close BIGINT NOT NULL CHECK (relock_on_close IN (0, 1)),
  held_revision BIGINT NOT NULL DEFAULT 0,
  held_at BIGINT,
  updated_at BIGINT NOT NULL
);
`
  },
  {
    version: 8,
    name: 'receipts signed by the lock, kept verbatim and passed on once (docs/protocol.md §6.2)',
    sql: `
CREATE TABLE lock_receipts (
  device_id TEXT NOT NULL REFERENCES devices(id),
  epoch INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  raw BLOB NOT NULL,
  received_at INTEGER NOT NULL,
  forwarded_at INTEGER,
  PRIMARY KEY (device_id, epoch, seq)
);
`,
    postgres: `
CREATE TABLE lock_receipts (
  device_id TEXT NOT NULL REFERENCES devices(id),
  epoch BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  raw BYTEA NOT NULL,
  received_at BIGINT NOT NULL,
  forwarded_at BIGINT,
  PRIMARY KEY (device_id, epoch, seq)
);
`
  },
  {
    version: 9,
    name: 'a delivery status is one of the state machine\'s (domain/delivery-states.ts), enforced by the database',
    // SQLite cannot add a CHECK to an existing table without rebuilding it: two triggers refuse the same rows.
    sql: `
CREATE TRIGGER deliveries_status_insert BEFORE INSERT ON deliveries
  WHEN NEW.status NOT IN ('booked','entering','unlocked','entered','secured','blocked','cancelled','failed')
  BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: deliveries_status'); END;
CREATE TRIGGER deliveries_status_update BEFORE UPDATE OF status ON deliveries
  WHEN NEW.status NOT IN ('booked','entering','unlocked','entered','secured','blocked','cancelled','failed')
  BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: deliveries_status'); END;
`,
    postgres: `ALTER TABLE deliveries ADD CONSTRAINT deliveries_status CHECK (status IN ('booked','entering','unlocked','entered','secured','blocked','cancelled','failed'));`
  },
  {
    version: 10,
    name: 'owner keys and standing consents each lock confirmed (docs/protocol.md §11), and the consent a grant is staged under',
    sql: `
CREATE TABLE owner_keys (
  device_id TEXT NOT NULL REFERENCES devices(id),
  key_id INTEGER NOT NULL,
  public_key TEXT NOT NULL,
  label TEXT,
  enrolled_at INTEGER NOT NULL,
  PRIMARY KEY (device_id, key_id)
);
CREATE TABLE owner_consents (
  device_id TEXT NOT NULL REFERENCES devices(id),
  consent_id INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  partner INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  max_per_week INTEGER NOT NULL CHECK (max_per_week >= 1),
  not_after_s INTEGER NOT NULL,
  tz_offset INTEGER NOT NULL,
  schedule TEXT NOT NULL,
  owner_key_id INTEGER NOT NULL,
  confirmed_at INTEGER NOT NULL,
  PRIMARY KEY (device_id, consent_id)
);
ALTER TABLE grants ADD COLUMN consent_id INTEGER;
ALTER TABLE grants ADD COLUMN consent_partner INTEGER;
`,
    postgres: `
CREATE TABLE owner_keys (
  device_id TEXT NOT NULL REFERENCES devices(id),
  key_id BIGINT NOT NULL,
  public_key TEXT NOT NULL,
  label TEXT,
  enrolled_at BIGINT NOT NULL,
  PRIMARY KEY (device_id, key_id)
);
CREATE TABLE owner_consents (
  device_id TEXT NOT NULL REFERENCES devices(id),
  consent_id BIGINT NOT NULL,
  kind BIGINT NOT NULL,
  partner BIGINT NOT NULL,
  flags BIGINT NOT NULL,
  max_per_week BIGINT NOT NULL CHECK (max_per_week >= 1),
  not_after_s BIGINT NOT NULL,
  tz_offset BIGINT NOT NULL,
  schedule TEXT NOT NULL,
  owner_key_id BIGINT NOT NULL,
  confirmed_at BIGINT NOT NULL,
  PRIMARY KEY (device_id, consent_id)
);
ALTER TABLE grants ADD COLUMN consent_id BIGINT;
ALTER TABLE grants ADD COLUMN consent_partner BIGINT;
`
  },
  {
    version: 11,
    name: 'relay signing keys in the database (relays on PostgreSQL share them; seeds sealed under the data key)',
    sql: `
CREATE TABLE relay_keys (
  key_id INTEGER PRIMARY KEY,
  public_key TEXT NOT NULL,
  seed TEXT NOT NULL,
  is_current INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1)),
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX relay_keys_one_current ON relay_keys (is_current) WHERE is_current = 1;
`,
    postgres: `
CREATE TABLE relay_keys (
  key_id BIGINT PRIMARY KEY,
  public_key TEXT NOT NULL,
  seed TEXT NOT NULL,
  is_current BIGINT NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1)),
  created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX relay_keys_one_current ON relay_keys (is_current) WHERE is_current = 1;
`
  },
  {
    version: 12,
    name: 'a guest, service or parcel grant the owner signed on their device, kept verbatim (docs/relay.md "Owner-signed grants")',
    sql: 'ALTER TABLE grants ADD COLUMN owner_statement TEXT;',
    postgres: 'ALTER TABLE grants ADD COLUMN owner_statement TEXT;'
  },
  {
    version: 13,
    name: 'a lock waiting for an owner-confirmed time after a reboot (docs/protocol.md §11.8), seen by every relay of a set',
    sql: 'ALTER TABLE devices ADD COLUMN owner_time_needed INTEGER NOT NULL DEFAULT 0;',
    postgres: 'ALTER TABLE devices ADD COLUMN owner_time_needed INTEGER NOT NULL DEFAULT 0;'
  }
];
