/**
 * Scale-out benchmark (docs/benchmarks.md#scale-out-npx-tsx-benchscaleoutmts): authorizations/s and courier entry latency
 * with 1, 2 and 3 relay processes sharing Redis and a store, against one relay on SQLite without
 * Redis, all in one run, with the scaling ratios printed side by side.
 *
 * Each configuration gets a fresh world: its own Redis (redis-server on loopback), relays started
 * from relay/src/main.ts, a seeded site with simulated locks running the real firmware
 * (bench/lib/lock-fleet.mts, made fast as in bench/relay.mts), each lock holding the relay set's
 * address list with "its" relay first (lock i on relay i mod N). Requests go to the *next* relay
 * (i + 1 mod N), as a load balancer would send them: with more than one relay every command
 * crosses Redis to reach the lock's broker.
 *
 *   authorizations/s: owner POST /v1/devices/:id/unlock|lock, one in flight per lock, for
 *     --duration seconds after a warm-up; relay CPU summed over the set;
 *   entry latency: courier POST /v1/deliveries/:id/entry → 200 opened, one at a time.
 *
 * Store: SQLite (the relays of a set share one data directory and its file) unless
 * --database-url postgres://… is given, or --postgres, which starts a throwaway cluster on
 * loopback for the run (tests/support/postgres.ts: Debian's server binaries, fsync off as in the
 * tests) and removes it afterwards; then each configuration gets a fresh database (dropped
 * afterwards), each relay its own data directory, and the relays the URL as KEYWAY_DATABASE_URL.
 * The baseline is always one relay on SQLite without Redis. With --postgres the server's CPU is
 * a column of its own.
 *
 * All configurations are started first and stay up; their measuring windows then alternate for
 * --rounds rounds (order rotated each round), and every ratio is taken within a round, so a busy
 * spell on a shared host weighs on all of them alike.
 *
 * Run: npx tsx bench/scaleout.mts [--relays 1,2,3] [--rounds 3] [--duration 8] [--samples 40] [--auth-locks 12]
 *   [--database-url postgres://user@host:port/db | --postgres] [--log-level warn] [--keep] [--quick]
 * A benchmark, never a timed test: it prints tables.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { board, DEFAULT_PHYSICS, type PhysicsOptions } from '@keyway/hardware';
import type { LockOptions } from '@keyway/firmware';
import { seedWorld, type DemoWorld } from '../tools/src/stack/seed';
import { httpClient, type Answer, type Api } from './lib/http.mjs';
import { cpuMeter, cpuSeconds, startChild, type BenchChild } from './lib/proc.mjs';
import { startPostgres, type PgCluster } from '../tests/support/postgres';
import { fmt, listFlag, machineLine, numberFlag, parseFlags, sleep, summarize, table } from './lib/report.mjs';

const flags = parseFlags(process.argv.slice(2));
const quick = flags.has('quick');
const RELAY_COUNTS = listFlag(flags, 'relays', [1, 2, 3]).filter((n) => n >= 1);
const DURATION_S = numberFlag(flags, 'duration', quick ? 3 : 8);
const SAMPLES = numberFlag(flags, 'samples', quick ? 10 : 40);
const AUTH_LOCKS = Math.max(1, numberFlag(flags, 'auth-locks', quick ? 6 : 12));
const ROUNDS = Math.max(1, numberFlag(flags, 'rounds', quick ? 2 : 3));
const LOG_LEVEL = flags.get('log-level') ?? 'warn';
const OWN_POSTGRES = flags.has('postgres');
if (OWN_POSTGRES && flags.has('database-url')) throw new Error('--postgres and --database-url: give one');
/** Set in main(): the server URL (--database-url, or the cluster --postgres started). */
let DATABASE_URL = flags.get('database-url');
let cluster: PgCluster | null = null;
const WARMUP_MS = 1500;
const READY_TIMEOUT_MS = 90_000;
const DATA_KEY_BYTES = 32;

/** As in bench/relay.mts: the firmware's own options and the simulator's physics, made fast. */
const FAST_OPTIONS: Partial<LockOptions> = { tickMs: 1, prerollMs: 0, cameraPulseMs: 1, relockDefaultS: 0.25 };
const FAST_PHYSICS: PhysicsOptions = { ...DEFAULT_PHYSICS, travelMs: 1, cameraAckDelayMs: 0 };

const work = mkdtempSync(path.join(tmpdir(), 'kw-bench-scale-'));
const shm = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const say = (s: string) => process.stderr.write('· ' + s + '\n');

interface Config {
  label: string;
  relays: number;
  store: 'sqlite' | 'postgres';
  redis: boolean;
}


function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** The processes under `root` (its children, theirs, …), from /proc: a database server's backends. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = readFileSync('/proc/' + e + '/stat', 'utf8');
      parent.set(Number(e), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent) {
      if (pp !== p) continue;
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

function cpuOrNull(pid: number): number | null {
  try {
    return cpuSeconds(pid);
  } catch {
    return null;
  }
}

/**
 * CPU % (100 = one core) of the --postgres cluster's processes over a span: processes alive at
 * the end count from the start (or in full, if they began during the span); a backend that
 * closed during the span is missed (the relays' pools keep theirs while busy).
 */
function pgCpuMeter(): { stop(): number } {
  if (!cluster) return { stop: () => 0 };
  const root = cluster.pid;
  const t0 = performance.now();
  const c0 = new Map<number, number>();
  for (const pid of descendants(root)) {
    const c = cpuOrNull(pid);
    if (c !== null) c0.set(pid, c);
  }
  return {
    stop() {
      const secs = (performance.now() - t0) / 1000;
      let used = 0;
      for (const pid of descendants(root)) {
        const c = cpuOrNull(pid);
        if (c !== null) used += c - (c0.get(pid) ?? 0);
      }
      return (used / secs) * 100;
    }
  };
}

async function startRedis(): Promise<{ url: string; proc: ChildProcess; pid: number }> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  const end = Date.now() + 10_000;
  while (!out.includes('Ready to accept connections')) {
    if (Date.now() > end || proc.exitCode !== null) throw new Error('redis-server did not start: ' + out.slice(-500));
    await sleep(20);
  }
  return { url: 'redis://127.0.0.1:' + port, proc, pid: proc.pid! };
}

/** A fresh database on the given server for one configuration (pg is the relay's own driver). */
async function createDatabase(serverUrl: string, name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE ' + name);
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = '/' + name;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query('DROP DATABASE IF EXISTS ' + name + ' WITH (FORCE)');
      await c.end();
    }
  };
}

interface RelaySet {
  relays: Array<{ child: BenchChild; base: string; mqtt: string; api: Api; close(): void }>;
  redis: { proc: ChildProcess; pid: number } | null;
  db: { drop(): Promise<void> } | null;
  adminToken: string;
}

async function startSet(c: Config, dir: string): Promise<RelaySet> {
  const redis = c.redis ? await startRedis() : null;
  const db = c.store === 'postgres' ? await createDatabase(DATABASE_URL!, 'kw_scale_' + randomBytes(4).toString('hex')) : null;
  const dataKey = randomBytes(DATA_KEY_BYTES).toString('base64');
  const relays: RelaySet['relays'] = [];
  let adminToken = '';
  for (let i = 0; i < c.relays; i++) {
    const id = 'relay-' + String.fromCharCode(97 + i);
    const data = path.join(dir, db ? id : 'relay');
    mkdirSync(data, { recursive: true });
    const args = ['--data', data, '--http', '0', '--mqtt', '0', '--mqtts', '0', '--log-level', LOG_LEVEL, '--relay-id', id];
    if (redis) args.push('--redis', redis.url);
    const env: Record<string, string> = { KEYWAY_DATA_KEY: dataKey };
    if (db) env.KEYWAY_DATABASE_URL = db.url;
    // One after the other: the first creates the schema.
    const child = startChild(c.label.replace(/\W+/g, '-') + '-' + id, 'relay/src/main.ts', args, { logFile: path.join(work, c.relays + '-' + c.store + '-' + id + '.log'), env });
    const r = await child.ready<{ ports: { http: number; mqtt: number }; adminToken: string | null }>(READY_TIMEOUT_MS);
    if (r.adminToken) adminToken = r.adminToken;
    const base = 'http://127.0.0.1:' + r.ports.http;
    const { api, close } = httpClient(base, AUTH_LOCKS * 2 + 8);
    relays.push({ child, base, mqtt: 'mqtt://127.0.0.1:' + r.ports.mqtt, api, close });
  }
  if (!adminToken) throw new Error('no relay printed the admin token');
  return { relays, redis, db, adminToken };
}

async function stopSet(s: RelaySet): Promise<void> {
  for (const r of s.relays) {
    r.close();
    await r.child.kill();
  }
  s.redis?.proc.kill();
  await s.db?.drop();
}

async function waitReady(api: Api, owner: string, ids: string[]): Promise<void> {
  const end = Date.now() + READY_TIMEOUT_MS;
  for (const id of ids) {
    for (;;) {
      const v = (await api(owner, 'GET', '/v1/devices/' + id)).body;
      if (v?.online && v.status?.flags?.trustedTime && v.status.bolt === 'locked') break;
      if (Date.now() > end) throw new Error('lock ' + id + ' not ready: ' + JSON.stringify(v));
      await sleep(20);
    }
  }
}

interface World {
  config: Config;
  set: RelaySet;
  fleet: BenchChild;
  lockDir: string;
  ids: string[];
  world: DemoWorld;
  owner: string;
  /** Requests for lock i go to the next relay: across Redis whenever there is more than one. */
  via(i: number): Api;
}

async function startWorld(c: Config): Promise<World> {
  const dir = mkdtempSync(path.join(work, 'w-'));
  const lockDir = mkdtempSync(path.join(shm, 'kw-bench-scale-locks-'));
  say(c.label + ': starting ' + c.relays + ' relay(s) and ' + AUTH_LOCKS + ' locks');
  const set = await startSet(c, dir);
  const n = set.relays.length;
  const api0 = set.relays[0].api;
  const world: DemoWorld = await seedWorld({
    base: set.relays[0].base, adminToken: set.adminToken, dataDir: lockDir, doors: AUTH_LOCKS, parcelBox: false, timezone: 'UTC',
    boards: { door: board('esp32'), box: board('espruino-wifi-parcelbox') },
    // Lock i dials relay i mod N first, then the others in order.
    lockMqttUrls: (i) => set.relays.map((_, k) => set.relays[(i + k) % n].mqtt)
  });
  const owner = (await api0<{ token: string }>('', 'POST', '/v1/auth/login', { email: world.owner.email, password: world.owner.password })).body.token;
  const specFile = path.join(dir, 'fleet.json');
  writeFileSync(specFile, JSON.stringify({ locks: world.locks.map((l) => ({ deviceId: l.deviceId, board: l.board.id, flashFile: l.flashFile })), options: FAST_OPTIONS, physics: FAST_PHYSICS }));
  const fleet = startChild('locks-' + n + '-' + c.store + (c.redis ? '' : '-baseline'), 'bench/lib/lock-fleet.mts', [specFile], { logFile: path.join(work, n + '-' + c.store + (c.redis ? '' : '-baseline') + '-locks.log') });
  await fleet.ready();
  const ids = world.locks.map((l) => l.deviceId);
  await fleet.ask('start ' + ids.join(','));
  await waitReady(api0, owner, ids);
  return { config: c, set, fleet, lockDir, ids, world, owner, via: (i) => set.relays[(i + 1) % n].api };
}

async function closeWorld(w: World): Promise<void> {
  await w.fleet.kill();
  await stopSet(w.set);
  rmSync(w.lockDir, { recursive: true, force: true });
}

interface AuthWindow {
  perSecond: number;
  completed: number;
  times: number[];
  errors: Record<string, number>;
  cpu: Record<string, number>;
}

async function measureAuth(w: World, seconds: number): Promise<AuthWindow> {
  const { via, owner } = w;
  let measuring = false;
  let stop = false;
  let completed = 0;
  const times: number[] = [];
  const errors: Record<string, number> = {};
  const loop = async (deviceId: string, i: number) => {
    let unlock = true;
    while (!stop) {
      const r: Answer = await via(i)(owner, 'POST', '/v1/devices/' + deviceId + '/' + (unlock ? 'unlock' : 'lock'), unlock ? { relockAfter: 3600 } : undefined, { 'idempotency-key': randomUUID() });
      if (r.status === 200) {
        if (measuring) {
          completed++;
          times.push(r.ms);
        }
        unlock = !unlock;
      } else {
        if (measuring) {
          const k = r.status + ' ' + (r.body?.error?.code ?? '');
          errors[k] = (errors[k] ?? 0) + 1;
        }
        const v = (await via(i)(owner, 'GET', '/v1/devices/' + deviceId)).body;
        unlock = v?.status?.bolt !== 'unlocked';
      }
    }
  };
  const loops = w.ids.map(loop);
  await sleep(WARMUP_MS);
  const pids: Record<string, number> = { locks: w.fleet.pid, bench: process.pid };
  w.set.relays.forEach((r, k) => (pids['relay' + k] = r.child.pid));
  if (w.set.redis) pids.redis = w.set.redis.pid;
  measuring = true;
  const pgMeter = pgCpuMeter();
  const meter = cpuMeter(pids);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const secs = (performance.now() - t0) / 1000;
  const counted = completed;
  const raw = meter.stop();
  const postgres = pgMeter.stop();
  measuring = false;
  stop = true;
  await Promise.all(loops);
  // The server's processes are not in `pids`: take them out of "others".
  const cpu: Record<string, number> = { relays: 0, locks: raw.locks, bench: raw.bench, redis: raw.redis ?? 0, postgres, machine: raw.machine, others: Math.max(0, raw.others - postgres) };
  w.set.relays.forEach((_, k) => (cpu.relays += raw['relay' + k]));
  // Relock every lock (a loop may have stopped after an unlock) so the next window starts alike.
  for (let i = 0; i < w.ids.length; i++) await via(i)(owner, 'POST', '/v1/devices/' + w.ids[i] + '/lock', undefined, { 'idempotency-key': randomUUID() });
  await waitReady(w.set.relays[0].api, owner, w.ids);
  return { perSecond: counted / secs, completed: counted, times, errors, cpu };
}

async function measureEntries(w: World, samples: number, offset: number): Promise<{ times: number[]; failures: number }> {
  const { via, world } = w;
  const times: number[] = [];
  let failures = 0;
  for (let s = 0; s < samples; s++) {
    const i = (offset + s) % w.ids.length;
    const now = Date.now();
    const d = await via(i)(world.backend.token, 'POST', '/v1/deliveries', {
      siteId: world.siteId, trackingNumber: 'SCALE' + randomUUID().slice(0, 12), courierId: world.courier.id, inHome: true, deviceId: w.ids[i],
      window: { start: new Date(now - 60_000).toISOString(), end: new Date(now + 3_600_000).toISOString() }
    });
    if (d.status !== 201) throw new Error('booking: ' + d.status + ' ' + JSON.stringify(d.body));
    const end = Date.now() + 30_000;
    while (!(await via(i)(world.backend.token, 'GET', '/v1/deliveries/' + d.body.id)).body.staged) {
      if (Date.now() > end) throw new Error('delivery ' + d.body.id + ' never staged');
      await sleep(5);
    }
    await waitReady(w.set.relays[0].api, w.owner, [w.ids[i]]);
    const r = await via(i)(world.courier.token, 'POST', '/v1/deliveries/' + d.body.id + '/entry', undefined, { 'idempotency-key': randomUUID() });
    if (r.status === 200) times.push(r.ms);
    else failures++;
  }
  return { times, failures };
}

/** The middle value (the mean of the two middle ones for an even count). */
function median(v: number[]): number {
  const a = [...v].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

async function main(): Promise<void> {
  if (OWN_POSTGRES) {
    say('starting a throwaway PostgreSQL cluster');
    cluster = await startPostgres();
    DATABASE_URL = cluster.url;
  }
  const store: Config['store'] = DATABASE_URL ? 'postgres' : 'sqlite';
  const configs: Config[] = [
    { label: '1 relay, SQLite, no Redis (baseline)', relays: 1, store: 'sqlite', redis: false },
    ...RELAY_COUNTS.map((n): Config => ({ label: n + ' relay' + (n > 1 ? 's' : '') + ', ' + (store === 'sqlite' ? 'SQLite shared file' : 'PostgreSQL') + ', Redis', relays: n, store, redis: true }))
  ];
  console.log('# keyway scale-out benchmark');
  console.log(machineLine());
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log('load average at start (1, 5, 15 min): ' + load());
  console.log(`flags: relays ${RELAY_COUNTS.join(',')} · rounds ${ROUNDS} · duration ${DURATION_S} s · entry samples ${SAMPLES} · locks ${AUTH_LOCKS} · store ${store}${cluster ? ' (throwaway cluster, fsync off)' : ''} · relay log level ${LOG_LEVEL}`);
  // All configurations stay up for the whole run; their measuring windows alternate, round by
  // round (the order rotated each round), so a busy spell of the shared host hits them alike.
  const worlds: World[] = [];
  try {
    for (const c of configs) worlds.push(await startWorld(c));
    const windows: AuthWindow[][] = worlds.map(() => []);
    const entries: Array<{ times: number[]; failures: number }> = worlds.map(() => ({ times: [], failures: 0 }));
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < worlds.length; k++) {
        const j = (k + round) % worlds.length;
        say('round ' + (round + 1) + '/' + ROUNDS + ': ' + worlds[j].config.label + ': authorizations for ' + DURATION_S + ' s, then entries');
        windows[j].push(await measureAuth(worlds[j], DURATION_S));
        const e = await measureEntries(worlds[j], Math.ceil(SAMPLES / ROUNDS), round * SAMPLES);
        entries[j].times.push(...e.times);
        entries[j].failures += e.failures;
      }
    }
    const baseIdx = 0;
    const sameStoreIdx = Math.max(0, worlds.findIndex((w) => w.config.relays === 1 && w.config.redis));
    /** Median over rounds of the ratio measured within each round. */
    const ratio = (j: number, ref: number) => median(windows[j].map((x, r) => x.perSecond / Math.max(1e-9, windows[ref][r].perSecond)));
    const avg = (j: number, key: string) => median(windows[j].map((x) => x.cpu[key]));
    table('Scale-out: authorizations/s and courier entry latency (' + ROUNDS + ' alternating rounds of ' + DURATION_S + ' s; requests for a lock go to the relay after its own)',
      ['configuration', 'auth/s (median of rounds)', 'per round', 'ratio to baseline', 'scaling ratio (÷ 1 relay same store)', 'auth p50 / p99 ms', 'auth errors',
        'entry p50 / p99 ms (n)', 'entry failures', 'relays CPU % (sum)', 'CPU ms per auth', 'locks CPU %', 'redis CPU %', ...(cluster ? ['postgres CPU %'] : []), 'machine CPU % (of 100 × cores)', 'others CPU %'],
      worlds.map((w, j) => {
        const ws = windows[j];
        const auth = summarize(ws.flatMap((x) => x.times));
        const errors: Record<string, number> = {};
        for (const x of ws) for (const [k, v] of Object.entries(x.errors)) errors[k] = (errors[k] ?? 0) + v;
        const e = summarize(entries[j].times);
        const perSec = median(ws.map((x) => x.perSecond));
        return [w.config.label, fmt(perSec, 0), ws.map((x) => fmt(x.perSecond, 0)).join(', '), fmt(ratio(j, baseIdx), 2) + '×', fmt(ratio(j, sameStoreIdx), 2) + '×',
          fmt(auth.p50) + ' / ' + fmt(auth.p99), Object.entries(errors).map(([k, v]) => k + ': ' + v).join(', ') || '0',
          fmt(e.p50) + ' / ' + fmt(e.p99) + ' (' + e.n + ')', String(entries[j].failures), fmt(avg(j, 'relays'), 0),
          fmt((avg(j, 'relays') * 10) / Math.max(1e-9, perSec), 2), fmt(avg(j, 'locks'), 0), fmt(avg(j, 'redis'), 0), ...(cluster ? [fmt(avg(j, 'postgres'), 0)] : []), fmt(avg(j, 'machine'), 0), fmt(avg(j, 'others'), 0)];
      }));
  } finally {
    for (const w of worlds) await closeWorld(w).catch(() => undefined);
    await cluster?.stop();
  }
  console.log('\nratios: within each round, auth/s of the configuration ÷ auth/s of the reference in the same round; the median over rounds is printed. ' +
    'CPU % is of one core (medians over rounds); "others" is every other process on the host during the window.');
  console.log('load average at end (1, 5, 15 min): ' + load());
  console.log('Logs: ' + (flags.has('keep') ? work : '(removed; --keep keeps them)'));
}

main().then(() => {
  if (!flags.has('keep')) rmSync(work, { recursive: true, force: true });
}, (e: unknown) => {
  console.error(e);
  if (!flags.has('keep')) rmSync(work, { recursive: true, force: true });
  process.exit(1);
});
