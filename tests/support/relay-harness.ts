/**
 * Starts a real relay on loopback (ports 0, temp data dir, captured pino lines) and gives
 * tests a small HTTP client, a movable clock, and a one-call "world": owner, site,
 * installer, backend, courier and a registered lock connected as a ScriptedLock. The relay
 * runs on the store KEYWAY_TEST_STORE names (test-store.ts): SQLite unless it says postgres.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { ST_TIME_TRUSTED } from '@keyway/shared';
import { buildRelay, type Relay, type RelayOptions } from '@keyway/relay';
import type { Schema } from '../../relay/src/data/schema';
import { ScriptedLock } from './scripted-lock';
import { pollUntil } from '../../tools/src/stack/poll';
import { scaled } from './time-scale';
import { testDatabaseUrl } from './test-store';

export interface TestClock {
  now(): number;
  advance(ms: number): void;
  offset: number;
}

export function testClock(): TestClock {
  const c: TestClock = { offset: 0, now: () => Date.now() + c.offset, advance: (ms) => { c.offset += ms; } };
  return c;
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Harness {
  relay: Relay;
  dir: string;
  base: string;
  admin: string;
  clock: TestClock;
  /** Every log line written so far, across restarts. */
  logs: string[];
  api<T = any>(method: string, url: string, opts?: ApiOptions): Promise<ApiResponse<T>>;
  /** close() + buildRelay() on the same data dir (same ports are not kept). */
  restart(extra?: Partial<RelayOptions>): Promise<void>;
  close(): Promise<void>;
}

export async function startRelay(extra: Partial<RelayOptions> = {}, keepDir?: string): Promise<Harness> {
  const dir = keepDir ?? mkdtempSync(path.join(tmpdir(), 'kw-relay-'));
  const clock = testClock();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(line);
      cb();
    }
  });
  const databaseUrl = extra.databaseUrl ?? (await testDatabaseUrl());
  const options = (): RelayOptions => ({
    ...(databaseUrl ? { databaseUrl } : {}),
    dataDir: dir, ports: { http: 0, mqtt: 0, mqtts: 0 }, now: () => clock.now(), logger: { level: 'debug', destination: sink },
    entryTimeoutMs: 3000, ...extra, webhooks: { pollMs: 50, baseBackoffMs: 100, ...extra.webhooks }
  });
  let relay = await buildRelay(options());
  await relay.listen();
  const admin = relay.adminToken!;
  const h: Harness = {
    relay, dir, admin, clock, logs,
    base: relay.urls().http,
    async api(method, url, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = 'Bearer ' + opts.token;
      let body: string | undefined;
      if (opts.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      }
      const res = await fetch(h.base + url, { method, headers, body });
      const text = await res.text();
      let parsed: any = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (metrics, docs)
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async restart(more = {}) {
      await relay.close();
      Object.assign(extra, more);
      relay = await buildRelay(options());
      await relay.listen();
      h.relay = relay;
      h.base = relay.urls().http;
    },
    async close() {
      await relay.close();
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    }
  };
  return h;
}

type RowFilter = Record<string, string | number | null | readonly (string | number)[]>;

/**
 * Rows of `table` matching column = value pairs (an array matches any of its values, null
 * matches NULL), counted on the relay's store: tests read through the store, so they run on
 * SQLite and PostgreSQL alike.
 */
export async function countRows(h: Harness, table: keyof Schema, where: RowFilter): Promise<number> {
  let qb: any = h.relay.ctx.store.q.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'));
  for (const [column, v] of Object.entries(where)) qb = Array.isArray(v) ? qb.where(column, 'in', v) : v === null ? qb.where(column, 'is', null) : qb.where(column, '=', v);
  return Number((await qb.executeTakeFirstOrThrow()).n);
}

/** The status flags the relay last stored for the lock (0 before any status). */
export async function deviceFlags(h: Harness, deviceId: string): Promise<number> {
  return (await h.relay.ctx.store.q.selectFrom('devices').select('flags').where('id', '=', deviceId).executeTakeFirst())?.flags ?? 0;
}

let deviceCounter = 0;
export function newDeviceId(): string {
  deviceCounter++;
  return (process.pid.toString(16).padStart(6, '0') + deviceCounter.toString(16).padStart(10, '0')).slice(-16);
}

export interface World {
  owner: { id: number; token: string; email: string; password: string };
  site: { id: number };
  installer: string;
  backend: { id: number; token: string };
  courier: { id: number; token: string };
  deviceId: string;
  registration: any;
  lock: ScriptedLock;
}

export interface WorldOptions {
  allowInHome?: boolean;
  timezone?: string;
  profile?: 'door' | 'box';
  /** Connect the scripted lock (default true). */
  connect?: boolean;
  lock?: Partial<ConstructorParameters<typeof ScriptedLock>[0]>;
  scopes?: string[];
}

export async function expectOk<T = any>(p: Promise<ApiResponse<T>>, status = 200): Promise<T> {
  const r = await p;
  if (r.status !== status) throw new Error('expected HTTP ' + status + ', got ' + r.status + ': ' + JSON.stringify(r.body));
  return r.body;
}

/** Registers a lock on a site and connects it as a ScriptedLock (waits until it has trusted time). */
export async function addLock(h: Harness, installer: string, siteId: number, profile: 'door' | 'box' = 'door', lockOpts: WorldOptions['lock'] = {}, connect = true) {
  const deviceId = newDeviceId();
  const registration = await expectOk(h.api('POST', '/v1/devices', { token: installer, body: { deviceId, siteId, board: 'test-board', firmware: '0.1.0', profile } }), 201);
  const lock = new ScriptedLock({
    url: registration.mqtt.urls.tcp, deviceId, password: registration.mqtt.password, trustedKeys: registration.trustedKeys, now: () => h.clock.now(), ...lockOpts
  });
  if (connect) {
    await lock.connect();
    await waitUntil(() => lock.timeTrusted, 5000, 'lock never got trusted time');
    await waitUntil(async () => (await deviceFlags(h, deviceId)) & ST_TIME_TRUSTED, 5000, 'relay never saw trusted time');
  }
  return { deviceId, registration, lock };
}

export async function seedWorld(h: Harness, o: WorldOptions = {}): Promise<World> {
  const n = ++deviceCounter;
  const email = `owner${n}-${process.pid}@example.test`;
  const password = 'correct horse battery ' + n;
  const owner = await expectOk(h.api('POST', '/v1/owners', { token: h.admin, body: { email, name: 'Owner ' + n, password } }), 201);
  const login = await expectOk(h.api('POST', '/v1/auth/login', { body: { email, password } }));
  const site = await expectOk(h.api('POST', '/v1/sites', { token: login.token, body: { name: 'Home ' + n, timezone: o.timezone ?? 'Europe/Berlin', allowInHomeDelivery: o.allowInHome ?? true } }), 201);
  const installer = (await expectOk(h.api('POST', '/v1/installers', { token: h.admin, body: { label: 'installer ' + n } }), 201)).token;
  const backend = await expectOk(h.api('POST', '/v1/backends', {
    token: h.admin, body: { name: 'Parcels Inc ' + n, scopes: o.scopes ?? ['deliveries:write', 'deliveries:read', 'entry:request', 'parcels:write', 'webhooks:write', 'couriers:write'] }
  }), 201);
  await expectOk(h.api('PUT', `/v1/sites/${site.id}/partners/${backend.id}`, { token: login.token }));
  const courier = await expectOk(h.api('POST', '/v1/couriers', { token: backend.token, body: { name: 'Courier ' + n } }), 201);
  const l = await addLock(h, installer, site.id, o.profile ?? 'door', o.lock, o.connect ?? true);
  return {
    owner: { id: owner.id, token: login.token, email, password }, site: { id: site.id }, installer, backend: { id: backend.id, token: backend.token },
    courier: { id: courier.id, token: courier.token }, deviceId: l.deviceId, registration: l.registration, lock: l.lock
  };
}

/**
 * Whether some session of the relay's PostgreSQL database waits for a row or table lock (a test
 * that holds a transaction open waits for this before letting it go). PostgreSQL only.
 */
export async function someoneWaitsForLock(h: Harness): Promise<boolean> {
  const row = await h.relay.ctx.store.q.selectNoFrom((eb) => eb.fn.countAll<number>().as('n'))
    .where(sql<boolean>`exists (select 1 from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database())`).executeTakeFirst();
  return Number(row?.n ?? 0) > 0;
}

export function waitUntil<T>(fn: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  return pollUntil(what, fn, scaled(timeoutMs), 15) as Promise<T>;
}

/** Books an in-home delivery whose window is open now and waits until its grant is staged. */
export async function bookDelivery(h: Harness, w: World, o: { inHome?: boolean; startInMs?: number; lengthMs?: number; waitStaged?: boolean } = {}) {
  const start = h.clock.now() + (o.startInMs ?? -60_000);
  const end = start + (o.lengthMs ?? 3600_000);
  const d = await expectOk(h.api('POST', '/v1/deliveries', {
    token: w.backend.token,
    body: { siteId: w.site.id, trackingNumber: '1Z' + Math.random().toString(36).slice(2, 12).toUpperCase(), courierId: w.courier.id, window: { start: new Date(start).toISOString(), end: new Date(end).toISOString() }, inHome: o.inHome ?? true }
  }), 201);
  if (o.waitStaged ?? true) {
    await waitUntil(async () => (await h.api('GET', '/v1/deliveries/' + d.id, { token: w.backend.token })).body.staged, 5000, 'courier grant staged');
  }
  return d;
}

/** Registers beforeAll/afterAll that start a relay with a seeded world and close both. */
export function useWorld(ready: (h: Harness, w: World) => void, relay: Partial<RelayOptions> = {}, world: WorldOptions = {}): void {
  let h: Harness | undefined;
  let w: World | undefined;
  beforeAll(async () => {
    h = await startRelay(relay);
    w = await seedWorld(h, world);
    ready(h, w);
  });
  afterAll(async () => {
    await w?.lock.close();
    await h?.close();
  });
}
