/**
 * buildRelay options and their defaults (docs/relay.md "Configuration"). Everything the
 * relay touches from outside is here: where data lives, which ports, the clock, logging,
 * and the optional Redis used to run several relay processes together.
 */
import path from 'node:path';
import type { Writable } from 'node:stream';

export interface RelayOptions {
  /** Directory for keys/, keyway.sqlite, the TLS certificate and admin-token. */
  dataDir: string;
  /** SQLite file; ':memory:' for a throw-away database. Default dataDir/keyway.sqlite. */
  dbPath?: string;
  /**
   * postgres://… : keep everything in PostgreSQL instead of SQLite (several relays on several
   * machines share it; no SQLite file is opened, and the signing keys live in the database).
   */
  databaseUrl?: string;
  /** Key sealing secrets stored in the database (32 bytes, base64; secret-box.ts). Default: dataKeyFile, else dataDir/data.key, created on first start. */
  dataKey?: string;
  /** File holding the data key (base64), e.g. one mounted into every relay of a PostgreSQL deployment. */
  dataKeyFile?: string;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Ports; 0 picks a free one (listen() reports the actual ports). */
  ports?: { http?: number; mqtt?: number; mqtts?: number };
  /** MQTT over TLS on ports.mqtts. true generates a self-signed certificate with openssl into dataDir. */
  tls?: boolean | { keyPath: string; certPath: string };
  /** URLs handed to devices at registration; default derived from host and the bound ports. */
  publicUrls?: { mqtt?: string; mqtts?: string; ws?: string };
  /** Injected clock, milliseconds since the epoch. Default Date.now. */
  now?: () => number;
  /** false for silence; otherwise pino level and destination (tests pass a capture stream). */
  logger?: false | { level?: string; destination?: Writable };
  /** Scale-out: share the MQTT message bus and broker state through Redis. */
  redis?: { url: string };
  /** Name of this relay process in logs and in events it processed. */
  relayId?: string;
  /** Bootstrap admin token to use on first start instead of a random one (tests, demos). */
  adminToken?: string;
  /** How long an entry request waits for the lock's answer. Default 10 s. */
  entryTimeoutMs?: number;
  /** Keep the timing trace (locks/intake-trace.ts) in memory and write it to this file on close (benchmarks). Default: no trace. */
  stepTraceFile?: string;
  /** Validity of a signed UNLOCK. Default 60 s. */
  unlockWindowS?: number;
  mqtt?: { maxPacketSize?: number; keepaliveLimitS?: number; connectTimeoutMs?: number };
  /**
   * Webhook delivery. allowPrivateTargets (default false) lets webhooks reach loopback,
   * link-local and private addresses: only for receivers on the operator's own network.
   */
  webhooks?: { pollMs?: number; baseBackoffMs?: number; maxBackoffMs?: number; maxAttempts?: number; timeoutMs?: number; allowPrivateTargets?: boolean };
  /** Period of the maintenance sweep (expired commands, DST grant re-issue, key cleanup). */
  maintenanceIntervalMs?: number;
  /** Lifetime of an owner login token. Default 12 h. */
  sessionTtlMs?: number;
  /** Keeping locks in step (docs/sync.md). */
  sync?: { timeSetRetryMs?: number; revokeAlarmMs?: number };
  /**
   * Failed login / token-exchange attempts allowed per window: per client address
   * (default 30) and per account e-mail (default 10), window default 15 min.
   */
  authLimits?: { windowMs?: number; perAddress?: number; perAccount?: number };
  /** Bearer token a Prometheus scraper sends to GET /metrics (the admin token works too). */
  metricsToken?: string;
  /** Owner notifications pushed by e-mail (this SMTP server) and ntfy; publicUrl is linked from them. */
  notifications?: {
    smtp?: SmtpOptions | null; publicUrl?: string | null;
    pollMs?: number; baseBackoffMs?: number; maxBackoffMs?: number; maxAttempts?: number; timeoutMs?: number;
  };
  /**
   * Camera evidence (docs/relay.md "Camera evidence"): frames are files under dir (default
   * dataDir/clips), deleted by the maintenance sweep retentionDays after capture (default 30).
   */
  clips?: { dir?: string; retentionDays?: number; maxFrameBytes?: number };
}

export interface SmtpOptions {
  host: string;
  /** Default 587, or 465 when secure. */
  port?: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure?: boolean;
  user?: string;
  password?: string;
  /** The From address, e.g. "keyway <keyway@example.org>". */
  from: string;
}

export interface ResolvedNotifications {
  smtp: { host: string; port: number; secure: boolean; user?: string; password?: string; from: string } | null;
  publicUrl: string | null;
  pollMs: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  maxAttempts: number;
  timeoutMs: number;
}

const SMTP_SUBMISSION_PORT = 587;
const SMTPS_PORT = 465;

function resolveNotifications(n: RelayOptions['notifications']): ResolvedNotifications {
  const s = n?.smtp;
  if (s && (!s.host || !s.from)) throw new Error('RELAY_OPTIONS: notifications.smtp needs host and from');
  return {
    smtp: s ? { host: s.host, port: s.port ?? (s.secure ? SMTPS_PORT : SMTP_SUBMISSION_PORT), secure: s.secure ?? false, user: s.user, password: s.password, from: s.from } : null,
    publicUrl: n?.publicUrl ?? null,
    pollMs: n?.pollMs ?? 500,
    baseBackoffMs: n?.baseBackoffMs ?? 5000,
    maxBackoffMs: n?.maxBackoffMs ?? 3_600_000,
    maxAttempts: n?.maxAttempts ?? 8,
    timeoutMs: n?.timeoutMs ?? 10_000
  };
}

/** Where the relay keeps its data: an SQLite file (the default) or a PostgreSQL database. */
export type ResolvedDatabase = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export interface ResolvedOptions {
  dataDir: string;
  dbPath: string;
  database: ResolvedDatabase;
  dataKey: string | undefined;
  dataKeyFile: string;
  keysDir: string;
  host: string;
  ports: { http: number; mqtt: number; mqtts: number };
  tls: false | { keyPath: string; certPath: string; generate: boolean };
  publicUrls: { mqtt?: string; mqtts?: string; ws?: string };
  now: () => number;
  logger: false | { level: string; destination?: Writable };
  redis: { url: string } | null;
  relayId: string;
  adminToken?: string;
  entryTimeoutMs: number;
  stepTraceFile: string | null;
  unlockWindowS: number;
  mqtt: { maxPacketSize: number; keepaliveLimitS: number; connectTimeoutMs: number };
  webhooks: { pollMs: number; baseBackoffMs: number; maxBackoffMs: number; maxAttempts: number; timeoutMs: number; allowPrivateTargets: boolean };
  maintenanceIntervalMs: number;
  sessionTtlMs: number;
  /** A TIME_SET is sent again after timeSetRetryMs while the lock still lacks trusted time; the owner
   * is alarmed when a revocation is not confirmed by the lock within revokeAlarmMs. */
  sync: { timeSetRetryMs: number; revokeAlarmMs: number };
  authLimits: { windowMs: number; perAddress: number; perAccount: number };
  metricsToken?: string;
  notifications: ResolvedNotifications;
  clips: { dir: string; retentionMs: number; maxFrameBytes: number };
}

export const CLIP_RETENTION_DAYS = 30;
export const MAX_FRAME_BYTES = 512 * 1024;
const DAY_MS = 86_400_000;

/** A lock still without trusted time gets another TIME_SET after this long. */
export const TIME_SET_RETRY_MS = 5000;
/** The owner is told once when the lock has not confirmed a revocation after this long. */
export const REVOCATION_CONFIRM_WAIT_MS = 5 * 60_000;

function resolveClips(c: RelayOptions['clips'], dataDir: string): ResolvedOptions['clips'] {
  const days = c?.retentionDays ?? CLIP_RETENTION_DAYS;
  if (!(days > 0)) throw new Error('RELAY_OPTIONS: clips.retentionDays must be positive');
  return { dir: path.resolve(c?.dir ?? path.join(dataDir, 'clips')), retentionMs: days * DAY_MS, maxFrameBytes: c?.maxFrameBytes ?? MAX_FRAME_BYTES };
}

export function resolveOptions(o: RelayOptions): ResolvedOptions {
  if (!o || typeof o.dataDir !== 'string' || o.dataDir.length === 0) throw new Error('RELAY_OPTIONS: dataDir is required');
  const dataDir = path.resolve(o.dataDir);
  if (o.databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(o.databaseUrl)) throw new Error('RELAY_OPTIONS: databaseUrl must be a postgres:// URL');
  const dbPath = o.dbPath === ':memory:' ? ':memory:' : path.resolve(o.dbPath ?? path.join(dataDir, 'keyway.sqlite'));
  let tls: ResolvedOptions['tls'] = false;
  if (o.tls === true) tls = { keyPath: path.join(dataDir, 'tls', 'key.pem'), certPath: path.join(dataDir, 'tls', 'cert.pem'), generate: true };
  else if (o.tls && typeof o.tls === 'object') tls = { keyPath: o.tls.keyPath, certPath: o.tls.certPath, generate: false };
  return {
    dataDir,
    dbPath,
    database: o.databaseUrl ? { kind: 'postgres', url: o.databaseUrl } : { kind: 'sqlite', file: dbPath },
    dataKey: o.dataKey,
    dataKeyFile: path.resolve(o.dataKeyFile ?? path.join(dataDir, 'data.key')),
    keysDir: path.join(dataDir, 'keys'),
    host: o.host ?? '127.0.0.1',
    ports: { http: o.ports?.http ?? 8080, mqtt: o.ports?.mqtt ?? 1883, mqtts: o.ports?.mqtts ?? 8883 },
    tls,
    publicUrls: o.publicUrls ?? {},
    now: o.now ?? Date.now,
    logger: o.logger === false ? false : { level: o.logger?.level ?? 'info', destination: o.logger?.destination },
    redis: o.redis ?? null,
    relayId: o.relayId ?? 'relay-' + process.pid,
    adminToken: o.adminToken,
    entryTimeoutMs: o.entryTimeoutMs ?? 10_000,
    stepTraceFile: o.stepTraceFile ?? null,
    unlockWindowS: o.unlockWindowS ?? 60,
    mqtt: {
      maxPacketSize: o.mqtt?.maxPacketSize ?? 4096,
      keepaliveLimitS: o.mqtt?.keepaliveLimitS ?? 300,
      connectTimeoutMs: o.mqtt?.connectTimeoutMs ?? 10_000
    },
    webhooks: {
      pollMs: o.webhooks?.pollMs ?? 250,
      baseBackoffMs: o.webhooks?.baseBackoffMs ?? 1000,
      maxBackoffMs: o.webhooks?.maxBackoffMs ?? 3_600_000,
      maxAttempts: o.webhooks?.maxAttempts ?? 10,
      timeoutMs: o.webhooks?.timeoutMs ?? 5000,
      allowPrivateTargets: o.webhooks?.allowPrivateTargets ?? false
    },
    maintenanceIntervalMs: o.maintenanceIntervalMs ?? 30_000,
    sessionTtlMs: o.sessionTtlMs ?? 12 * 3600_000,
    sync: { timeSetRetryMs: o.sync?.timeSetRetryMs ?? TIME_SET_RETRY_MS, revokeAlarmMs: o.sync?.revokeAlarmMs ?? REVOCATION_CONFIRM_WAIT_MS },
    authLimits: {
      windowMs: o.authLimits?.windowMs ?? 15 * 60_000,
      perAddress: o.authLimits?.perAddress ?? 30,
      perAccount: o.authLimits?.perAccount ?? 10
    },
    metricsToken: o.metricsToken,
    notifications: resolveNotifications(o.notifications),
    clips: resolveClips(o.clips, dataDir)
  };
}
