/**
 * Relay benchmark (docs/product.md#real-parts-not-mocks, docs/product.md#performance-targets). The relay runs as its own process (relay/src/main.ts),
 * so its CPU time and RSS are its own; so do the plain broker, the simulated locks and the
 * idle crowd. This process is the HTTP client (backend, courier, owner) and the measuring end.
 *
 *   a. bare MQTT round trip: request/response echo between two mqtt.js clients, QoS 1, through
 *      a plain Aedes broker of the relay's version in another process (the relay's own broker
 *      refuses a plain echo: its ACLs let a lock publish only its own evt/state and subscribe
 *      only to its own cmd);
 *   b. courier entry end to end (POST /v1/deliveries/:id/entry → relay checks → reveal of the
 *      staged grant → the real lock firmware on the simulator checks the chain value, fires
 *      the camera, unlocks → events back → HTTP 200) at 1 and at each --crowd size of
 *      connected locks, and its ratio to (a);
 *   c. authorizations/s: owner unlock/lock commands, one in flight per lock, across
 *      --auth-locks fast simulated locks for --duration seconds; the relay's CPU%, event-loop
 *      delay and the machine's load; once per lock mode (--lock-verify, below) in each of
 *      --rounds rounds, each round followed by the same load on
 *   r. the reference pipeline (bench/lib/reference-relay.mts: the least a relay could do for
 *      one authorization, with echo locks), so CPU per authorization and latency are ratios
 *      measured side by side in one run; then, as context and not against a target, the same
 *      load on the durable reference (reference-relay.mts --durable: the least a relay with the
 *      relay's guarantees could do: SQLite, WAL, synchronous NORMAL, always, whatever the relay's
 *      store; the command row committed before the publish, the lock's Ed25519-signed event
 *      verified and committed before the PUBACK and the answer; bench/lib/reference-store.mts).
 *      After the rounds, each reference one request at a time on one echo lock, back to back and
 *      with section b's cadence before each (the median gap between two courier entries at one
 *      connected lock), its latency minus the echo lock's own time set beside the entry's relay
 *      share: a pipeline with the same four process-to-process ways (HTTP in, MQTT out, MQTT
 *      back, HTTP out) and the least work. A reference that answers any error stops the run;
 *   d. relay RSS per connected lock: (RSS_N − RSS_0) / N with the idle crowd.
 *
 * Run: npx tsx bench/relay.mts [--crowd 1000,10000] [--samples 300] [--duration 10]
 *   [--rtt-samples 1000] [--locks 4] [--auth-locks 32] [--rounds 3] [--connect-concurrency 200]
 *   [--log-level warn] [--keep] [--profile] [--count-statements] [--quick] [--postgres | --database-url postgres://…]
 *   [--lock-verify firmware|native|both] [--lock-processes 1] [--profile-locks] [--entry-trace] [--rtt-pause 5,20] [--no-context] [--single-pause 0,20]
 * `--no-context` skips the durable reference and the references one request at a time;
 * `--single-pause 0,20` sets the pauses before each of those requests (default: none, and
 * section b's cadence).
 * `--rtt-pause` adds bare round trips with that many ms of pause before each (the processes idle in
 * between, as they do between the legs of a courier entry), and the entry's relay share against
 * them, as context: the targets are against the round trip back to back.
 * `--lock-verify` picks how section c's locks check signatures: `firmware`, the firmware's own
 * pure-JS verifier as on a lock (32 of them fill a core, so they cap the rate before the relay
 * does); `native`, the same firmware over the same MQTT with node:crypto behind the verifier's
 * port (Natives.ed25519Verify) and the receipt signer's (Natives.ed25519Sign, the same bytes),
 * so the relay's own ceiling shows; `both` (default), each mode
 * on its own set of locks in every round. `--lock-processes` spreads each mode's locks over that
 * many processes. The courier entries (b) always use the firmware verifier.
 * `--postgres` runs the relay on PostgreSQL in a throwaway cluster this run starts and removes
 * (tests/support/postgres.ts: fsync and synchronous_commit off, as in the tests);
 * `--database-url` on a database of yours (empty: the relay migrates it). Default: SQLite.
 * `--profile` runs the relay under `node --cpu-prof` and prints where its CPU went during the
 * measured seconds of section c (`--crowd 0 --samples 20` makes the run short).
 * `--profile-locks` runs section c's lock processes under `node --cpu-prof` and prints, per lock
 * mode, where their CPU went during the counted seconds (the same tables as --profile).
 * `--count-statements` counts the SQL statements the relay runs during the counted seconds of
 * section c (bench/lib/count-statements.mts, a preload) and prints them per authorization, by kind;
 * and in section b at 1 connected lock, those from just before each courier entry's request to its
 * answer (its transaction, and the batches storing the lock's events up to the OPERATION), per
 * entry, by kind (the counter's signal before and after each entry adds to its latency there).
 * `--entry-trace` runs the relay with a step trace (`--step-trace`: kept in memory, written when
 * it closes; relay/src/locks/intake-trace.ts) and, after the courier entries at 1 connected lock,
 * stops it and prints their critical path step by step (bench/lib/entry-trace.mts), then stops
 * (no section c). `--quick` is a ~30 s smoke run. A benchmark, never a timed test: it prints tables.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { board, DEFAULT_PHYSICS, type PhysicsOptions } from '@keyway/hardware';
import type { LockOptions } from '@keyway/firmware';
import { seedWorld, type DemoWorld } from '../tools/src/stack/seed';
import { printEntryTrace, readRelayTrace, type EntrySpan, type TracedEntry } from './lib/entry-trace.mjs';
import { httpClient, pool, type Answer, type Api } from './lib/http.mjs';
import { profileClockUs, summarizeProfiles, type ProfileSummary, type ProfileWindow } from './lib/profile.mjs';
import { cpuMeter, fdLimits, readLoopDelay, rssKiB, startChild, type BenchChild, type LoopDelay } from './lib/proc.mjs';
import { newSeed, publicKeyFromSeed } from '@keyway/shared/node';
import { startPostgres, type PgCluster } from '../tests/support/postgres';
import { fmt, listFlag, machineLine, numberFlag, parseFlags, sleep, summarize, table, type Summary } from './lib/report.mjs';

const flags = parseFlags(process.argv.slice(2));
const quick = flags.has('quick');
const CROWD = listFlag(flags, 'crowd', quick ? [200] : [1000, 10000]).filter((n) => n > 1).sort((a, b) => a - b);
const SAMPLES = numberFlag(flags, 'samples', quick ? 40 : 300);
const RTT_SAMPLES = numberFlag(flags, 'rtt-samples', quick ? 300 : 1000);
/**
 * Pauses (ms) before each sample of extra bare round trips (--rtt-pause 5,20): the processes idle
 * between round trips, as the relay, the lock and the bench do between the legs of an entry.
 * Context only: the targets' baseline is the round trip back to back.
 */
const RTT_PAUSES = listFlag(flags, 'rtt-pause', []).filter((n) => n > 0);
const DURATION_S = numberFlag(flags, 'duration', quick ? 3 : 10);
const MEASURED = Math.max(1, numberFlag(flags, 'locks', quick ? 2 : 4));
const AUTH_LOCKS = Math.max(1, numberFlag(flags, 'auth-locks', quick ? 8 : 32));
const ROUNDS = Math.max(1, numberFlag(flags, 'rounds', quick ? 1 : 3));
/** How section c's locks verify commands (see the header). */
type LockMode = 'firmware' | 'native';
const LOCK_MODES: LockMode[] = (() => {
  const v = flags.get('lock-verify') ?? 'both';
  if (v === 'both') return ['firmware', 'native'];
  if (v === 'firmware' || v === 'native') return [v];
  throw new Error('--lock-verify: firmware, native or both, not ' + v);
})();
const LOCK_PROCESSES = Math.max(1, numberFlag(flags, 'lock-processes', 1));
/** The measuring preload every process under load gets (event-loop delay on SIGUSR2). */
const LOOP_DELAY = ['bench/lib/loop-delay.mts'];
const CONNECT_CONCURRENCY = Math.max(1, numberFlag(flags, 'connect-concurrency', 200));
const ENTRY_TRACE = flags.has('entry-trace');
const LOG_LEVEL = flags.get('log-level') ?? 'warn';
const NOFILE = numberFlag(flags, 'nofile', 65536);
const PROFILE = flags.has('profile');
const PROFILE_LOCKS = flags.has('profile-locks');
const COUNT_STATEMENTS = flags.has('count-statements');
/** Skip the context baselines of section c: the durable reference and the references one request at a time. */
const CONTEXT = !flags.has('no-context');
/**
 * Pauses (ms) before each request of the references one at a time (--single-pause 0,20); by
 * default back to back and section b's cadence, measured in the same run (entryGapMs).
 */
const SINGLE_PAUSES: number[] | null = flags.has('single-pause') ? listFlag(flags, 'single-pause', []) : null;
const PG_CLUSTER = flags.has('postgres');
/** The relay's store: set in main() when --postgres or --database-url ask for PostgreSQL. */
let databaseUrl: string | undefined = flags.get('database-url');
let cluster: PgCluster | null = null;

/**
 * What makes the simulated locks fast (the bench measures software, not a motor): the lock
 * firmware's own options (firmware/src/lock-state.ts) and the simulator's physics
 * (hardware/src/sim/physics.ts). Everything else is the shipped firmware's default.
 */
const FAST_OPTIONS: Partial<LockOptions> = {
  tickMs: 1, // bolt state machine polls every 1 ms (default 20)
  prerollMs: 0, // no camera pre-roll wait before the motor (default 500)
  cameraPulseMs: 1, // trigger pulse width (default 100; the acknowledgement gates, not the pulse)
  relockDefaultS: 0.25 // automatic relock 250 ms after an unlock (default 30 s)
};
const FAST_PHYSICS: PhysicsOptions = { ...DEFAULT_PHYSICS, travelMs: 1, cameraAckDelayMs: 0 }; // defaults 700 and 150 ms

const shm = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const work = mkdtempSync(path.join(tmpdir(), 'kw-bench-relay-'));
/** Where the relay writes its step trace when it closes (--entry-trace). */
const STEP_TRACE_FILE = path.join(work, 'relay-steps.jsonl');
// Lock flash files are rewritten on every flash write (hardware/src/node/flash-file.ts): keep
// them in memory so the simulated locks spend their CPU on firmware, not on the disk.
const lockDir = mkdtempSync(path.join(shm, 'kw-bench-locks-'));
const children: BenchChild[] = [];
const log = (name: string) => path.join(work, name + '.log');
const say = (s: string) => process.stderr.write('· ' + s + '\n');

function maxOpenFiles(pid: number): string {
  try {
    return /Max open files\s+(\d+|unlimited)/.exec(readFileSync('/proc/' + pid + '/limits', 'utf8'))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

function ms(s: Summary): string {
  return fmt(s.p50) + ' / ' + fmt(s.p99);
}

// ——— a. bare MQTT round trip ———————————————————————————————————————————————

async function bareRoundTrip(): Promise<{ s: Summary; version: string; paused: Array<{ pauseMs: number; s: Summary }> }> {
  const broker = startChild('plain-broker', 'bench/lib/plain-broker.mts', [], { logFile: log('plain-broker') });
  children.push(broker);
  const b = await broker.ready<{ port: number; aedes: string }>();
  const echo = startChild('mqtt-echo', 'bench/lib/mqtt-echo.mts', [String(b.port)], { logFile: log('mqtt-echo') });
  children.push(echo);
  await echo.ready();
  const client = mqtt.connect({ host: '127.0.0.1', port: b.port, clientId: 'bench-req', clean: true, keepalive: 30, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  await client.subscribeAsync('bench/resp', { qos: 1 });
  let pending: ((payload: Buffer) => void) | null = null;
  client.on('message', (_t, payload) => pending?.(payload));
  const once = async () => {
    // A command-sized payload with a fresh tag, so a late answer cannot be mistaken for this one.
    const body = randomBytes(100);
    const t0 = performance.now();
    const got = new Promise<void>((resolve) => {
      pending = (p) => {
        if (p.equals(body)) resolve();
      };
    });
    client.publish('bench/req', body, { qos: 1 });
    await got;
    return performance.now() - t0;
  };
  for (let i = 0; i < 100; i++) await once(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < RTT_SAMPLES; i++) samples.push(await once());
  const paused: Array<{ pauseMs: number; s: Summary }> = [];
  for (const pauseMs of RTT_PAUSES) {
    const after: number[] = [];
    for (let i = 0; i < RTT_SAMPLES; i++) {
      await sleep(pauseMs);
      after.push(await once());
    }
    paused.push({ pauseMs, s: summarize(after) });
  }
  await client.endAsync();
  await echo.kill();
  await broker.kill();
  return { s: summarize(samples), version: b.aedes, paused };
}

// ——— the relay world ———————————————————————————————————————————————————————

interface World {
  relay: BenchChild;
  relayPid: number;
  base: string;
  mqttPort: number;
  api: Api;
  closeHttp(): void;
  seed: DemoWorld;
  ownerToken: string;
  measured: string[];
  /** Section c's locks, one set per lock mode. */
  authLocks: Record<LockMode, string[]>;
  crowdIds: string[];
}

async function startWorld(crowdMax: number): Promise<World> {
  const relay = startChild('relay', 'relay/src/main.ts', [
    '--data', path.join(work, 'relay'), '--http', '0', '--mqtt', '0', '--mqtts', '0', '--log-level', LOG_LEVEL, ...(ENTRY_TRACE ? ['--step-trace', STEP_TRACE_FILE] : [])
  ], {
    logFile: log('relay'), nofile: NOFILE, imports: COUNT_STATEMENTS ? [...LOOP_DELAY, 'bench/lib/count-statements.mts'] : LOOP_DELAY, env: databaseUrl ? { KEYWAY_DATABASE_URL: databaseUrl } : {},
    nodeArgs: PROFILE ? ['--cpu-prof', '--cpu-prof-dir=' + path.join(work, 'profile')] : []
  });
  children.push(relay);
  const r = await relay.ready<{ pid: number; ports: { http: number; mqtt: number }; adminToken: string }>();
  if (r.pid !== relay.pid) throw new Error('relay pid mismatch: the shell did not exec');
  const base = 'http://127.0.0.1:' + r.ports.http;
  const { api, close } = httpClient(base, Math.max(64, AUTH_LOCKS * 2));
  const doors = MEASURED + AUTH_LOCKS * LOCK_MODES.length;
  say('seeding: owner, site, backend, courier, installer, ' + doors + ' simulated locks');
  const seed = await seedWorld({
    base, adminToken: r.adminToken, dataDir: lockDir, doors, parcelBox: false, timezone: 'UTC',
    boards: { door: board('esp32'), box: board('espruino-wifi-parcelbox') }
  });
  const login = await api<{ token: string }>('', 'POST', '/v1/auth/login', { email: seed.owner.email, password: seed.owner.password });
  const ownerToken = login.body.token;
  const site = await api<{ id: number }>(ownerToken, 'POST', '/v1/sites', { name: 'Crowd', timezone: 'UTC' });
  if (site.status !== 201 && site.status !== 200) throw new Error('crowd site: ' + JSON.stringify(site.body));
  say('registering ' + crowdMax + ' crowd devices (POST /v1/devices, installer token)');
  const devices: Array<{ id: string; password: string }> = new Array(crowdMax);
  const t0 = performance.now();
  await pool(Array.from({ length: crowdMax }, (_, i) => i), 8, async (i) => {
    const id = randomBytes(8).toString('hex');
    const res = await api<{ mqtt: { password: string } }>(seed.installerToken, 'POST', '/v1/devices', {
      deviceId: id, siteId: site.body.id, board: 'esp32', firmware: '0.1.0', profile: 'door'
    });
    if (res.status !== 201 && res.status !== 200) throw new Error('register: ' + res.status + ' ' + JSON.stringify(res.body));
    devices[i] = { id, password: res.body.mqtt.password };
  });
  if (crowdMax) say('registered in ' + fmt((performance.now() - t0) / 1000, 1) + ' s');
  writeFileSync(path.join(work, 'crowd.json'), JSON.stringify({ host: '127.0.0.1', port: r.ports.mqtt, keepAliveS: 30, devices }));
  const ids = seed.locks.map((l) => l.deviceId);
  return {
    relay, relayPid: relay.pid, base, mqttPort: r.ports.mqtt, api, closeHttp: close, seed, ownerToken,
    measured: ids.slice(0, MEASURED), crowdIds: devices.map((d) => d.id),
    authLocks: {
      firmware: ids.slice(MEASURED, MEASURED + AUTH_LOCKS),
      native: ids.slice(MEASURED + AUTH_LOCKS * (LOCK_MODES.length - 1), MEASURED + AUTH_LOCKS * LOCK_MODES.length)
    }
  };
}

async function connectedLocks(w: World): Promise<number> {
  return (await w.api<{ connectedLocks: number }>('', 'GET', '/healthz')).body.connectedLocks;
}

async function waitConnected(w: World, n: number, timeoutMs = 120_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  let c = await connectedLocks(w);
  while (c !== n && Date.now() < end) {
    await sleep(100);
    c = await connectedLocks(w);
  }
  return c;
}

/** Median of a few RSS readings after the relay has settled. */
async function relayRss(w: World, settleMs: number): Promise<number> {
  await sleep(settleMs);
  const v: number[] = [];
  for (let i = 0; i < 7; i++) {
    v.push(rssKiB(w.relayPid).rss);
    await sleep(250);
  }
  return summarize(v).p50;
}

async function waitLocksReady(w: World, ids: string[], timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (const id of ids) {
    for (;;) {
      const v = (await w.api(w.ownerToken, 'GET', '/v1/devices/' + id)).body;
      if (v?.online && v.status?.flags?.trustedTime && v.status.bolt === 'locked') break;
      if (Date.now() > end) {
        throw new Error('lock ' + id + ' not ready (online, trusted time, bolt locked) after ' + timeoutMs / 1000 + ' s' +
          (v?.status?.flags?.busy ? ' — it is still busy verifying: is the firmware verifier (shared/src/ed25519) finishing?' : '') + ': ' + JSON.stringify(v));
      }
      await sleep(20);
    }
  }
}

// ——— b. courier entry ——————————————————————————————————————————————————————

interface LockTimeline {
  ms: Summary;
  events: Summary;
  /** Each entry's time in the lock, in the order the lock saw them. */
  samples: number[];
  /** Each one's events before OPERATION, in the same order. */
  eventSamples: number[];
}

interface EntryResult {
  connected: number;
  cpu: Record<string, number>;
  lock: LockTimeline;
  s: Summary;
  /** Each successful entry's client-side latency, in order. */
  times: number[];
  relaySide: Summary;
  /** Each request's start and answer, wall-clock ms (for --entry-trace). */
  spans: EntrySpan[];
  methods: Record<string, number>;
  failures: Record<string, number>;
}

/**
 * The relay's own share of entry latency: each entry's client-side latency minus its time in
 * the lock, paired in order (entries run one at a time, so the lock's n-th reveal is the n-th
 * entry). When a failure broke the pairing, the difference of the percentiles instead.
 */
function relayShare(e: EntryResult): { s: Summary; paired: boolean } {
  if (e.lock.samples.length === e.times.length && e.times.length > 0) {
    return { s: summarize(e.times.map((t, i) => t - e.lock.samples[i])), paired: true };
  }
  return { s: { ...e.s, p50: e.s.p50 - e.lock.ms.p50, p99: e.s.p99 - e.lock.ms.p99 }, paired: false };
}

/** Statements of section b's entries at 1 connected lock, request to answer (--count-statements). */
const entryStatements = { entries: 0, byKind: new Map<string, number>() };

/** What the relay's statement counter counted since its last signal (it answers the loop-delay preload's signal too). */
async function relayStatements(w: World): Promise<StatementCount> {
  const loop = await readLoopDelay(w.relay);
  return (await w.relay.line<{ statements: StatementCount }>((v) => v.statements?.seq === loop.seq, "relay's statement count")).statements;
}

async function courierEntries(w: World, locks: string[], samples: number, countStatements = false): Promise<Omit<EntryResult, 'connected' | 'cpu' | 'lock'>> {
  const times: number[] = [];
  const relaySide: number[] = [];
  const spans: EntrySpan[] = [];
  const wallMs = () => performance.timeOrigin + performance.now();
  const methods: Record<string, number> = {};
  const failures: Record<string, number> = {};
  const { api, seed } = w;
  const windowNow = () => ({ start: new Date(Date.now() - 60_000).toISOString(), end: new Date(Date.now() + 3_600_000).toISOString() });
  let attempts = 0;
  while (times.length < samples && attempts < samples * 2) {
    const round = locks.slice(0, Math.min(locks.length, samples - times.length));
    attempts += round.length;
    // Book one in-home delivery per lock; the relay stages a 1-link courier grant (GRANT_PUT).
    const booked = await Promise.all(round.map(async (deviceId) => {
      const r = await api(seed.backend.token, 'POST', '/v1/deliveries', {
        siteId: seed.siteId, trackingNumber: 'BENCH' + randomUUID().slice(0, 12), courierId: seed.courier.id, inHome: true, deviceId, window: windowNow()
      });
      if (r.status !== 201) throw new Error('booking: ' + r.status + ' ' + JSON.stringify(r.body));
      return { id: r.body.id as number, deviceId };
    }));
    // Wait until each grant is acknowledged by its lock and each bolt is thrown (relocked).
    await Promise.all(booked.map(async (d) => {
      const end = Date.now() + 30_000;
      while (!(await api(seed.backend.token, 'GET', '/v1/deliveries/' + d.id)).body.staged) {
        if (Date.now() > end) throw new Error('grant for delivery ' + d.id + ' never staged');
        await sleep(5);
      }
    }));
    await waitLocksReady(w, round);
    // Measure one entry at a time: the latency of one request, not of a queue.
    for (const d of booked) {
      if (countStatements) await relayStatements(w);
      const start = wallMs();
      const r = await api(seed.courier.token, 'POST', '/v1/deliveries/' + d.id + '/entry', undefined, { 'idempotency-key': randomUUID() });
      spans.push({ start, end: wallMs() });
      if (countStatements) {
        entryStatements.entries++;
        for (const [k, n] of Object.entries((await relayStatements(w)).byKind)) entryStatements.byKind.set(k, (entryStatements.byKind.get(k) ?? 0) + n);
      }
      if (r.status === 200) {
        times.push(r.ms);
        relaySide.push(r.body.latencyMs);
        methods[r.body.method] = (methods[r.body.method] ?? 0) + 1;
      } else {
        const k = r.status + ' ' + (r.body?.error?.code ?? '');
        failures[k] = (failures[k] ?? 0) + 1;
      }
    }
  }
  return { s: summarize(times), times, relaySide: summarize(relaySide), spans, methods, failures };
}

// ——— c. authorizations/s, r. the reference pipeline ———————————————————————————

interface AuthResult {
  locks: number;
  completed: number;
  perSecond: number;
  s: Summary;
  errors: Record<string, number>;
  cpu: Record<string, number>;
  /** The serving process's event-loop delay during the counted seconds. */
  loop: LoopDelay;
  /** The machine's 1-minute load average at the end of the counted seconds. */
  load1: number;
  window: ProfileWindow;
  /** The SQL statements the serving process ran in the counted seconds (--count-statements, relay only). */
  statements: StatementCount | null;
}

interface StatementCount {
  seq: number;
  total: number;
  byKind: Record<string, number>;
}

/** Where owner loops send their commands: the relay or the reference pipeline. */
interface AuthTarget {
  api: Api;
  token: string;
  ids: string[];
  server: BenchChild;
  /** Processes whose CPU is reported; `server` is the one serving HTTP and MQTT. */
  pids: Record<string, number>;
  /** The server counts its SQL statements (it was started with bench/lib/count-statements.mts). */
  countsStatements?: boolean;
}

async function authorizations(t: AuthTarget): Promise<AuthResult> {
  const { api } = t;
  let measuring = false;
  let stop = false;
  let completed = 0;
  const times: number[] = [];
  const errors: Record<string, number> = {};
  const runLock = async (deviceId: string) => {
    let unlock = true;
    while (!stop) {
      const r: Answer = await api(t.token, 'POST', '/v1/devices/' + deviceId + '/' + (unlock ? 'unlock' : 'lock'), unlock ? { relockAfter: 3600 } : undefined, { 'idempotency-key': randomUUID() });
      if (!measuring) {
        unlock = !unlock;
        continue;
      }
      if (r.status === 200) {
        completed++;
        times.push(r.ms);
        unlock = !unlock;
      } else {
        const k = r.status + ' ' + (r.body?.error?.code ?? '') + (r.body?.error?.details?.reason ? ' ' + r.body.error.details.reason : '');
        errors[k] = (errors[k] ?? 0) + 1;
        // Get back in step with the bolt after a refusal.
        const v: any = (await api(t.token, 'GET', '/v1/devices/' + deviceId)).body;
        unlock = v?.status?.bolt !== 'unlocked';
      }
    }
  };
  const loops = t.ids.map(runLock);
  await sleep(1500); // warm-up, not counted
  measuring = true;
  await readLoopDelay(t.server); // starts the loop-delay record afresh
  const meter = cpuMeter({ server: t.server.pid, ...t.pids, bench: process.pid });
  const fromUs = profileClockUs();
  const t0 = performance.now();
  await sleep(DURATION_S * 1000);
  const secs = (performance.now() - t0) / 1000;
  const counted = completed;
  const cpu = meter.stop();
  const window = { fromUs, toUs: profileClockUs() };
  const load1 = loadavg()[0];
  const loop = await readLoopDelay(t.server);
  // The same signal made the statement counter print what it counted since the window opened.
  const statements = t.countsStatements
    ? (await t.server.line<{ statements: StatementCount }>((v) => v.statements?.seq === loop.seq, t.server.name + "'s statement count")).statements
    : null;
  measuring = false;
  stop = true;
  await Promise.all(loops);
  return { locks: t.ids.length, completed: counted, perSecond: counted / secs, s: summarize(times), errors, cpu, loop, load1, window, statements };
}

interface Reference {
  target: AuthTarget;
  /** Its echo locks (`timeline`: each message's time in the lock). */
  echo: BenchChild;
  close(): void;
}

/**
 * The reference pipeline and its echo locks, each in its own process like the relay and its
 * locks. `durable`: the durable reference (SQLite, commits before the publish and before the
 * PUBACK) with locks that sign their events, each with a key of its own made here.
 */
async function startReference(durable: boolean): Promise<Reference> {
  const name = durable ? 'durable-reference' : 'reference';
  const token = 'kw_owner_' + randomBytes(32).toString('base64url');
  const ids = Array.from({ length: AUTH_LOCKS }, () => randomBytes(8).toString('hex'));
  const seeds = ids.map(() => newSeed());
  const lockFile = path.join(work, name + '-locks.json');
  const keyFile = path.join(work, name + '-lock-keys.json');
  if (durable) {
    writeFileSync(lockFile, JSON.stringify(ids.map((deviceId, i) => ({ deviceId, publicKey: Buffer.from(publicKeyFromSeed(seeds[i])).toString('hex') }))));
    writeFileSync(keyFile, JSON.stringify(ids.map((deviceId, i) => ({ deviceId, seed: Buffer.from(seeds[i]).toString('hex') }))));
  }
  const server = startChild(name, 'bench/lib/reference-relay.mts', [token, ...(durable ? ['--durable', lockFile] : [])], { logFile: log(name), nofile: NOFILE, imports: LOOP_DELAY });
  children.push(server);
  const r = await server.ready<{ ports: { http: number; mqtt: number } }>();
  const echo = startChild(name + '-echo', 'bench/lib/lock-echo.mts', [String(r.ports.mqtt), ids.join(','), ...(durable ? [keyFile] : [])], { logFile: log(name + '-echo'), nofile: NOFILE });
  children.push(echo);
  await echo.ready();
  const { api, close } = httpClient('http://127.0.0.1:' + r.ports.http, Math.max(64, AUTH_LOCKS * 2));
  return { target: { api, token, ids, server, pids: { locks: echo.pid } }, echo, close };
}

/**
 * A reference's run must be all answered: a refused event (a signature that did not verify) or a
 * lost echo would make its figures those of a different pipeline, so the bench stops instead.
 */
function mustBeClean(what: string, a: AuthResult): AuthResult {
  const errs = Object.entries(a.errors);
  if (errs.length) throw new Error(what + ' answered errors (' + errs.map(([k, v]) => k + ': ' + v).join(', ') + '); see its log (--keep)');
  return a;
}

interface SingleResult {
  pauseMs: number;
  s: Summary;
  /** Each request's time in the echo lock (message received → answer handed to its client). */
  lock: Summary;
  /** Latency minus time in the echo lock, paired in order (one request at a time). */
  share: { s: Summary; paired: boolean };
}

/**
 * One request at a time on one of a reference's locks, `pauseMs` before each (as section b's
 * entries come one at a time), alternating unlock and lock: the reference's latency with nothing
 * else in flight, and its share without the echo lock's time.
 */
async function oneAtATime(ref: Reference, samples: number, pauseMs: number): Promise<SingleResult> {
  const { api, token, ids } = ref.target;
  const deviceId = ids[0];
  let unlock = true;
  const once = async () => {
    const r = await api(token, 'POST', '/v1/devices/' + deviceId + '/' + (unlock ? 'unlock' : 'lock'), unlock ? { relockAfter: 3600 } : undefined, { 'idempotency-key': randomUUID() });
    if (r.status !== 200) throw new Error(ref.target.server.name + ' one at a time: ' + r.status + ' ' + JSON.stringify(r.body) + '; see its log (--keep)');
    unlock = !unlock;
    return r.ms;
  };
  for (let i = 0; i < SINGLE_WARMUP; i++) await once();
  await ref.echo.ask('timeline'); // starts the echo's record afresh
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (pauseMs > 0) await sleep(pauseMs);
    times.push(await once());
  }
  const lock = await ref.echo.ask<{ ms: Summary; samples: number[] }>('timeline');
  const paired = lock.samples.length === times.length;
  const s = summarize(times);
  return {
    pauseMs, s, lock: lock.ms,
    share: paired ? { s: summarize(times.map((t, i) => t - lock.samples[i])), paired } : { s: { ...s, p50: s.p50 - lock.ms.p50, p99: s.p99 - lock.ms.p99 }, paired }
  };
}

/** Requests one at a time on each reference before they are counted (connections and JIT warm). */
const SINGLE_WARMUP = 20;

/**
 * Section b's cadence: the median gap between one courier entry's answer and the next entry's
 * request at one connected lock (the bench books, waits for the staged grant and the relocked
 * bolt in between; no sleep of its own).
 */
function entryGapMs(spans: EntrySpan[]): number {
  const gaps = spans.slice(1).map((sp, i) => sp.start - spans[i].end).filter((g) => g >= 0);
  return gaps.length ? median(gaps) : 0;
}

interface Round {
  relay: Record<LockMode, { run: AuthResult; lock: LockTimeline }>;
  ref: AuthResult;
  /** The durable reference under the same load (context; null with --no-context). */
  durable: AuthResult | null;
  /** Each reference's echo locks' time during its run. */
  refLock: Summary;
  durableLock: Summary | null;
}

/** A fleet process for these locks (none started yet: `start` boots them). */
async function startFleet(w: World, name: string, ids: string[], nativeVerify: boolean, profileDir?: string): Promise<BenchChild> {
  const spec = {
    locks: w.seed.locks.filter((l) => ids.includes(l.deviceId)).map((l) => ({ deviceId: l.deviceId, board: l.board.id, flashFile: l.flashFile })),
    // The native-verify locks are the cheap ones: their socket writes of one loop turn leave as one write too.
    options: FAST_OPTIONS, physics: FAST_PHYSICS, nativeVerify, coalesceWrites: nativeVerify
  };
  const file = path.join(work, name + '.json');
  writeFileSync(file, JSON.stringify(spec));
  const child = startChild(name, 'bench/lib/lock-fleet.mts', [file], { logFile: log(name), nofile: NOFILE, nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir=' + profileDir] : [] });
  children.push(child);
  await child.ready();
  return child;
}

/** Where --profile-locks puts one lock mode's profiles. */
const lockProfileDir = (mode: LockMode) => path.join(work, 'profile-locks-' + mode);

/** The self-time tables of a --profile or --profile-locks run. */
function printProfile(what: string, p: ProfileSummary): void {
  table(what + ' (self time by package or source directory; ' + fmt(p.busyMs / 1000, 1) + ' s busy)', ['area', 'self ms', 'share'],
    p.byArea.slice(0, 15).map((a) => [a.area, fmt(a.ms, 0), fmt(a.share * 100, 1) + '%']));
  table(what + ': hottest functions (self time)', ['function', 'self ms', 'share'],
    p.byFunction.slice(0, 20).map((f) => [f.fn, fmt(f.ms, 0), fmt(f.share * 100, 1) + '%']));
}

/** One lock timeline from several fleet processes' (their samples pooled). */
function mergeTimelines(parts: Array<{ command: LockTimeline }>): LockTimeline {
  const samples = parts.flatMap((p) => p.command.samples);
  return { ms: summarize(samples), events: summarize(parts.flatMap((p) => p.command.eventSamples)), samples, eventSamples: [] };
}

/** The CPU% of all the lock processes of a run. */
function locksCpu(a: AuthResult): number {
  return Object.entries(a.cpu).filter(([k]) => k.startsWith('locks')).reduce((s, [, v]) => s + v, 0);
}

/** CPU ms the lock processes spent per authorization (all of them together). */
function locksCpuPerAuth(a: AuthResult): number {
  return (locksCpu(a) * 10) / Math.max(1, a.perSecond);
}

/** The median; of an even count, the mean of the middle two (a percentile would give the lower of two rounds). */
function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** "median (min–max)" over rounds, or the one value. */
function spread(values: number[], digits?: number): string {
  if (values.length === 1) return fmt(values[0], digits);
  const s = summarize(values);
  return fmt(median(values), digits) + ' (' + fmt(s.min, digits) + '–' + fmt(s.max, digits) + ')';
}

/** Relay CPU ms per authorization: CPU% is centiseconds per second. */
function cpuPerAuth(a: AuthResult): number {
  return (a.cpu.server * 10) / Math.max(1, a.perSecond);
}

/**
 * Statements per authorization by kind, summed over rounds: the relay's count in the counted
 * seconds divided by the authorizations completed in them (statements of requests still in
 * flight at either edge of the window come and go with them).
 */
function printStatements(mode: LockMode, runs: AuthResult[]): void {
  const done = runs.reduce((a, r) => a + r.completed, 0);
  const byKind = new Map<string, number>();
  for (const r of runs) for (const [k, n] of Object.entries(r.statements?.byKind ?? {})) byKind.set(k, (byKind.get(k) ?? 0) + n);
  const total = [...byKind.values()].reduce((a, b) => a + b, 0);
  const rows = [...byKind.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, String(n), fmt(n / Math.max(1, done), 2)]);
  table('Relay SQL statements in the counted seconds of section c with the ' + mode + '-verify locks (--count-statements; ' + done + ' authorizations over ' + runs.length + ' round' +
    (runs.length > 1 ? 's' : '') + ')', ['statement', 'count', 'per authorization'], [['all', String(total), fmt(total / Math.max(1, done), 2)], ...rows]);
}

/**
 * Context, not targets: how much of the relay's gap to the reference is work a relay with its
 * guarantees must do (the durable reference) and how much is its own, and the entry's relay
 * share beside a pipeline with the same four process-to-process ways one request at a time.
 */
function printContext(rounds: Round[], singles: Array<{ name: string; runs: SingleResult[] }>, share: { s: Summary }, connected: string, gapMs: number): void {
  const durable = (r: Round) => r.durable!;
  const pick = (f: (a: AuthResult) => number, of: (r: Round) => AuthResult, digits?: number) => spread(rounds.map((r) => f(of(r))), digits);
  const ratio = (f: (a: AuthResult) => number, num: (r: Round) => AuthResult, den: (r: Round) => AuthResult) => spread(rounds.map((r) => f(num(r)) / f(den(r))), 2) + '×';
  const p50 = (a: AuthResult) => a.s.p50;
  const p99 = (a: AuthResult) => a.s.p99;
  const note = 'context, not a target';
  const rows: string[][] = [
    ['CPU ms per authorization: durable reference ÷ reference (what storage and the event signature cost the floor)', pick(cpuPerAuth, durable, 3), pick(cpuPerAuth, (r) => r.ref, 3), ratio(cpuPerAuth, durable, (r) => r.ref), note],
    ...LOCK_MODES.flatMap((m) => {
      const relay = (r: Round) => r.relay[m].run;
      const tag = ' (' + m + '-verify locks)';
      return [
        ['CPU ms per authorization' + tag + ': relay ÷ durable reference', pick(cpuPerAuth, relay, 3), pick(cpuPerAuth, durable, 3), ratio(cpuPerAuth, relay, durable), note],
        ['authorization latency p50 ms (' + AUTH_LOCKS + ' in flight)' + tag + ': relay ÷ durable reference', pick(p50, relay), pick(p50, durable), ratio(p50, relay, durable), note],
        ['authorization latency p99 ms (' + AUTH_LOCKS + ' in flight)' + tag + ': relay ÷ durable reference', pick(p99, relay), pick(p99, durable), ratio(p99, relay, durable), note],
        ['authorizations/s' + tag + ': relay ÷ durable reference', pick((a) => a.perSecond, relay, 0), pick((a) => a.perSecond, durable, 0), ratio((a) => a.perSecond, relay, durable), note]
      ];
    })
  ];
  for (const single of singles) {
    for (const run of single.runs) {
      const how = single.name + ' one at a time, ' + (run.pauseMs > 0 ? fmt(run.pauseMs, 0) + ' ms pause before each' + (run.pauseMs === gapMs ? ' (section b\'s cadence)' : '') : 'back to back') + ', minus the echo lock\'s time' +
        (run.share.paired ? '' : ' (from percentiles)');
      rows.push(['entry: relay share p50 ms (' + connected + ' connected) ÷ ' + how, fmt(share.s.p50), fmt(run.share.s.p50, 3), fmt(share.s.p50 / run.share.s.p50, 1) + '×', note]);
      rows.push(['entry: relay share p99 ms ÷ the same, p99', fmt(share.s.p99), fmt(run.share.s.p99, 3), fmt(share.s.p99 / run.share.s.p99, 1) + '×', note]);
    }
  }
  table('Context, not targets: the relay against a durable reference (always SQLite, WAL, synchronous NORMAL, whatever the relay\'s store; command and signed event each committed, ' +
    'PUBACK and answer after the commit) and the entry\'s relay share against the references one request at a time (' + ROUNDS + ' round' + (ROUNDS > 1 ? 's' : '') +
    ', median (min–max) over rounds)', ['metric', 'relay (or the numerator)', 'context baseline', 'ratio', 'note'], rows);
  table('The references one request at a time (context; ' + (singles[0]?.runs[0]?.s.n ?? 0) + ' requests each after ' + SINGLE_WARMUP + ' unmeasured, alternating unlock and lock on one echo lock; ' +
    "section b's cadence: the median gap of " + fmt(gapMs, 0) + ' ms between one entry\'s answer and the next entry\'s request at 1 connected lock)',
    ['pipeline', 'pause before each ms', 'latency p50 / p99 ms', 'in the echo lock p50 / p99 ms', 'latency − in the lock p50 / p99 ms', 'paired'],
    singles.flatMap((single) => single.runs.map((run) => [single.name, fmt(run.pauseMs, 0), ms(run.s), fmt(run.lock.p50, 3) + ' / ' + fmt(run.lock.p99, 3), ms(run.share.s), run.share.paired ? 'yes' : 'no'])));
}

function printEntryStatements(): void {
  const n = Math.max(1, entryStatements.entries);
  const total = [...entryStatements.byKind.values()].reduce((a, b) => a + b, 0);
  const rows = [...entryStatements.byKind.entries()].sort((a, b) => b[1] - a[1]).map(([k, c]) => [k, String(c), fmt(c / n, 2)]);
  table('Relay SQL statements of the courier entries at 1 connected lock, request to answer (--count-statements; ' + entryStatements.entries + ' entries)',
    ['statement', 'count', 'per entry'], [['all', String(total), fmt(total / n, 2)], ...rows]);
}

// ——— main ——————————————————————————————————————————————————————————————————

async function main() {
  const fd = fdLimits();
  console.log('# keyway relay benchmark');
  console.log(machineLine());
  console.log(`flags: crowd ${CROWD.join(',') || '—'} · samples ${SAMPLES} · rtt-samples ${RTT_SAMPLES} · duration ${DURATION_S} s · measured locks ${MEASURED} · auth locks ${AUTH_LOCKS} per mode · lock verify ${LOCK_MODES.join(" + ")} in ${LOCK_PROCESSES} process(es) each · relay log level ${LOG_LEVEL}`);
  console.log(`ulimit -n here: soft ${fd.soft}, hard ${fd.hard}; children ask for ${NOFILE} (else the hard limit)`);
  if (PG_CLUSTER) {
    cluster = await startPostgres();
    databaseUrl = cluster.url;
  }
  console.log('relay store: ' + (cluster ? 'PostgreSQL, throwaway cluster on loopback (fsync off, synchronous_commit off)'
    : databaseUrl ? 'PostgreSQL at --database-url' : 'SQLite (WAL, synchronous NORMAL) in a temporary directory'));
  console.log('simulated locks: lock options ' + JSON.stringify(FAST_OPTIONS) + ', physics travelMs ' + FAST_PHYSICS.travelMs + ', cameraAckDelayMs ' + FAST_PHYSICS.cameraAckDelayMs);

  say('a. bare MQTT round trip (' + RTT_SAMPLES + ' samples)');
  const bare = await bareRoundTrip();
  const rttRow = (what: string, s: Summary) => [what, String(s.n), fmt(s.p50, 3), fmt(s.p90, 3), fmt(s.p99, 3), fmt(s.mean, 3), fmt(s.max, 2)];
  table('a. Bare MQTT round trip (plain Aedes ' + bare.version + ' in its own process; mqtt.js request/response echo, QoS 1, 100-byte payload)',
    ['round trips', 'samples', 'p50 ms', 'p90 ms', 'p99 ms', 'mean ms', 'max ms'],
    [rttRow('back to back (the targets\' baseline)', bare.s), ...bare.paused.map((p) => rttRow(p.pauseMs + ' ms pause before each (--rtt-pause; context)', p.s))]);

  const crowdMax = CROWD.length ? CROWD[CROWD.length - 1] : 0;
  const w = await startWorld(crowdMax);
  const crowd = startChild('crowd', 'bench/lib/crowd.mts', [path.join(work, 'crowd.json')], { logFile: log('crowd'), nofile: NOFILE });
  children.push(crowd);
  await crowd.ready();
  // The measured locks (b) in one process; each lock mode's locks (c) in --lock-processes more.
  const fleet = await startFleet(w, 'locks', w.measured, false);
  const modeFleets = {} as Record<LockMode, Array<{ child: BenchChild; ids: string[] }>>;
  for (const mode of LOCK_MODES) {
    const ids = w.authLocks[mode];
    const per = Math.ceil(ids.length / LOCK_PROCESSES);
    modeFleets[mode] = [];
    for (let i = 0; i * per < ids.length; i++) {
      const part = ids.slice(i * per, (i + 1) * per);
      modeFleets[mode].push({ child: await startFleet(w, 'locks-' + mode + '-' + (i + 1), part, mode === 'native', PROFILE_LOCKS ? lockProfileDir(mode) : undefined), ids: part });
    }
  }
  console.log(`open-file limit granted: relay ${maxOpenFiles(w.relayPid)}, crowd ${maxOpenFiles(crowd.pid)}, locks ${maxOpenFiles(fleet.pid)}`);

  // d. memory: RSS with nothing connected, then with each crowd size (idle crowd only).
  for (let i = 0; i < 20; i++) await w.api('', 'GET', '/healthz');
  const rss0 = await relayRss(w, 2000);
  const mem: Array<{ n: number; connected: number; rss: number; perLock: number; connect: any }> = [];
  let reached = 0;
  for (const n of CROWD) {
    say('d. connecting the idle crowd to ' + n);
    const g = await crowd.ask<any>('grow ' + n + ' ' + CONNECT_CONCURRENCY, 400_000);
    const connected = await waitConnected(w, g.online, 30_000);
    const rss = await relayRss(w, 3000);
    mem.push({ n, connected, rss, perLock: ((rss - rss0) * 1024) / Math.max(1, connected), connect: g });
    reached = connected;
    if (g.online < n) {
      say('only ' + g.online + ' of ' + n + ' connected; stopping the crowd here');
      break;
    }
  }
  if (CROWD.length) {
    table('d. Relay memory per connected lock (idle crowd; RSS from /proc/<pid>/status, median of 7 readings after 3 s)', ['connected locks', 'relay RSS MiB', 'RSS − RSS₀ MiB', 'KiB per lock'], [
      ['0', fmt(rss0 / 1024, 1), '—', '—'],
      ...mem.map((m) => [String(m.connected), fmt(m.rss / 1024, 1), fmt((m.rss - rss0) / 1024, 1), fmt(m.perLock / 1024, 1)])
    ]);
    table('Crowd connect (lock MQTT client: CONNECT → CONNACK → SUBSCRIBE → SUBACK; at most ' + CONNECT_CONCURRENCY + ' connecting at once)',
      ['to N', 'newly connected', 'total s', 'connects/s', 'per connection p50 ms', 'p99 ms', 'max ms', 'early drops', 'crowd RSS MiB'],
      mem.map((m) => [String(m.n), String(m.connect.newlyConnected), fmt(m.connect.totalMs / 1000, 2), fmt(m.connect.perSecond, 0),
        fmt(m.connect.connectMs.p50, 1), fmt(m.connect.connectMs.p99, 1), fmt(m.connect.connectMs.max, 1), String(m.connect.earlyDrops), fmt(m.connect.rssKiB / 1024, 0)]));
  }

  // b. courier entry, from the largest crowd down to a single lock.
  say('b. starting ' + MEASURED + ' measured locks');
  await fleet.ask('start ' + w.measured.join(','));
  await waitLocksReady(w, w.measured);
  const entries: EntryResult[] = [];
  const stages = [...mem.map((m) => m.n)].reverse();
  for (const n of stages) {
    await crowd.ask('shrink ' + Math.max(0, n - MEASURED));
    const connected = await waitConnected(w, Math.max(0, n - MEASURED) + MEASURED, 30_000);
    say('b. courier entries at ' + connected + ' connected locks (' + SAMPLES + ' samples)');
    await fleet.ask('timeline');
    const meter = cpuMeter({ relay: w.relayPid, locks: fleet.pid, crowd: crowd.pid, bench: process.pid });
    const r = await courierEntries(w, w.measured, SAMPLES);
    const cpu = meter.stop();
    entries.push({ ...r, connected, cpu, lock: (await fleet.ask<{ reveal: LockTimeline }>('timeline')).reveal });
  }
  await crowd.ask('shrink 0');
  await fleet.ask('stop ' + w.measured.slice(1).join(','));
  const one = await waitConnected(w, 1, 30_000);
  say('b. courier entries at ' + one + ' connected lock (' + SAMPLES + ' samples)');
  await fleet.ask('timeline');
  await fleet.ask('trace');
  const meter1 = cpuMeter({ relay: w.relayPid, locks: fleet.pid, crowd: crowd.pid, bench: process.pid });
  const r1 = await courierEntries(w, w.measured.slice(0, 1), SAMPLES, COUNT_STATEMENTS);
  const cpu1 = meter1.stop();
  entries.push({ ...r1, connected: one, cpu: cpu1, lock: (await fleet.ask<{ reveal: LockTimeline }>('timeline')).reveal });
  entries.reverse();
  const at = (e: EntryResult) => e.connected.toLocaleString('en-US');
  // The entries at one connected lock (the trace's, and the relay share's against the targets).
  const r1Entry = entries[0];
  table('b. Courier entry end to end (HTTP POST /v1/deliveries/:id/entry → 200 opened; one request at a time, ' + MEASURED + ' real firmware locks rotating)',
    ['connected locks', 'samples', 'p50 ms', 'p90 ms', 'p99 ms', 'relay-side p50 / p99 ms', 'in the lock p50 / p99 ms', 'entry − in the lock p50 / p99 ms', 'events before OPERATION', 'p50 ÷ bare p50', 'p99 ÷ bare p99', 'method', 'failures', 'relay CPU %', 'other processes CPU %'],
    entries.map((e) => [String(e.connected), String(e.s.n), fmt(e.s.p50), fmt(e.s.p90), fmt(e.s.p99), ms(e.relaySide), ms(e.lock.ms), ms(relayShare(e).s), fmt(e.lock.events.p50, 0),
      fmt(e.s.p50 / bare.s.p50, 1) + '×', fmt(e.s.p99 / bare.s.p99, 1) + '×', Object.entries(e.methods).map(([k, v]) => k + ' ' + v).join(', '),
      Object.entries(e.failures).map(([k, v]) => k + ': ' + v).join(', ') || '0', fmt(e.cpu.relay, 0), fmt(e.cpu.others, 0)]));
  console.log('relay-side: the latencyMs the relay reports (request received → answer ready). In the lock: command-topic message received → OPERATION event logged ' +
    '(chain check, camera trigger and acknowledgement, flash writes, motor), in the lock process. Each event the lock logs leaves as one QoS 1 publish as soon as it is logged (up to 4 in flight); --entry-trace shows each step.');
  if (COUNT_STATEMENTS) printEntryStatements();
  for (const p of bare.paused) {
    console.log('entry − in the lock p50 at ' + at(r1Entry) + ' connected ÷ bare round trip with a ' + p.pauseMs + ' ms pause before each (context, not the target): ' +
      fmt(relayShare(r1Entry).s.p50) + ' ÷ ' + fmt(p.s.p50, 3) + ' = ' + fmt(relayShare(r1Entry).s.p50 / p.s.p50, 1) + '×');
  }
  if (ENTRY_TRACE) {
    const traced = await fleet.ask<{ entries: TracedEntry[] }>('trace');
    // The relay writes its step trace when it closes.
    w.closeHttp();
    await w.relay.kill();
    if (!existsSync(STEP_TRACE_FILE)) throw new Error('the relay wrote no step trace (' + STEP_TRACE_FILE + '): it did not close cleanly; see its log (--keep)');
    printEntryTrace(traced.entries, r1.spans, readRelayTrace(STEP_TRACE_FILE));
    return;
  }

  // c. authorizations/s with the crowd disconnected: in each round every lock mode on the relay, then r. the reference.
  const modeText = LOCK_MODES.map((m) => AUTH_LOCKS + ' ' + m + '-verify locks in ' + modeFleets[m].length + ' process' + (modeFleets[m].length > 1 ? 'es' : '')).join(', ');
  say('c. starting ' + modeText + ' for authorizations/s, and the reference pipeline' + (CONTEXT ? 's (plain and durable)' : '') + ' with ' + AUTH_LOCKS + ' echo locks');
  for (const mode of LOCK_MODES) {
    for (const f of modeFleets[mode]) await f.child.ask('start ' + f.ids.join(','));
    await waitLocksReady(w, w.authLocks[mode]);
  }
  const ref = await startReference(false);
  const durableRef = CONTEXT ? await startReference(true) : null;
  const relayTargets = {} as Record<LockMode, AuthTarget>;
  for (const mode of LOCK_MODES) {
    const pids: Record<string, number> = { crowd: crowd.pid };
    modeFleets[mode].forEach((f, i) => (pids['locks ' + (i + 1)] = f.child.pid));
    relayTargets[mode] = { api: w.api, token: w.ownerToken, ids: w.authLocks[mode], server: w.relay, pids, countsStatements: COUNT_STATEMENTS };
  }
  const rounds: Round[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const relay = {} as Round['relay'];
    for (const mode of LOCK_MODES) {
      say('c. round ' + round + '/' + ROUNDS + ': owner unlock/lock for ' + DURATION_S + ' s on the relay with the ' + mode + '-verify locks');
      for (const f of modeFleets[mode]) await f.child.ask('timeline');
      const run = await authorizations(relayTargets[mode]);
      const lock = mergeTimelines(await Promise.all(modeFleets[mode].map((f) => f.child.ask<{ command: LockTimeline }>('timeline'))));
      relay[mode] = { run, lock };
    }
    say('c. round ' + round + '/' + ROUNDS + ': the same load on the reference');
    await ref.echo.ask('timeline');
    const refRun = mustBeClean('the reference', await authorizations(ref.target));
    const refLock = (await ref.echo.ask<{ ms: Summary }>('timeline')).ms;
    let durable: AuthResult | null = null;
    let durableLock: Summary | null = null;
    if (durableRef) {
      say('c. round ' + round + '/' + ROUNDS + ': the same load on the durable reference (context)');
      await durableRef.echo.ask('timeline');
      durable = mustBeClean('the durable reference', await authorizations(durableRef.target));
      durableLock = (await durableRef.echo.ask<{ ms: Summary }>('timeline')).ms;
    }
    rounds.push({ relay, ref: refRun, durable, refLock, durableLock });
  }
  // Context: each reference one request at a time, back to back and at section b's cadence.
  const gapMs = entryGapMs(r1.spans);
  const singles: Array<{ name: string; runs: SingleResult[] }> = [];
  if (CONTEXT) {
    for (const [name, target] of [['reference', ref], ['durable reference (SQLite)', durableRef!]] as const) {
      const runs: SingleResult[] = [];
      for (const pauseMs of SINGLE_PAUSES ?? [0, gapMs]) {
        say('c. the ' + name + ', ' + SAMPLES + ' requests one at a time' + (pauseMs ? ', ' + fmt(pauseMs, 0) + ' ms pause before each' : ', back to back') + ' (context)');
        runs.push(await oneAtATime(target, SAMPLES, pauseMs));
      }
      singles.push({ name, runs });
    }
  }
  ref.close();
  durableRef?.close();
  const connectedNow = await connectedLocks(w);
  const errText = (a: AuthResult) => Object.entries(a.errors).map(([k, v]) => k + ': ' + v).join(', ') || '0';
  table('c. Authorizations/s (owner POST /v1/devices/:id/unlock|lock, one in flight per lock, ' + AUTH_LOCKS + ' locks, ' + DURATION_S + ' s after a 1.5 s warm-up; ' +
    connectedNow + ' locks connected to the relay; locks: ' + modeText + '); in each round the relay with each lock mode, then the same load on the reference pipeline (r)',
    ['round', 'serving', 'completed', 'per second', 'latency p50 / p99 ms', 'in the lock p50 / p99 ms', 'errors', 'serving CPU %', 'CPU ms per authorization',
      'event-loop delay p50 / p99 ms', 'locks CPU %', 'locks CPU ms per authorization', 'bench CPU %', 'other processes CPU %', 'machine CPU % (of 200)', 'load average (1 min)'],
    rounds.flatMap((r, i) => [
      ...LOCK_MODES.map((m) => ['relay, ' + m + '-verify locks', r.relay[m].run, ms(r.relay[m].lock.ms)] as const),
      ['reference, echo locks', r.ref, ms(r.refLock)] as const,
      ...(r.durable ? [['durable reference (SQLite; context, not a target), signing echo locks', r.durable, ms(r.durableLock!)] as const] : [])
    ].map(([name, a, inLock]) => [
      String(i + 1), name, String(a.completed), fmt(a.perSecond, 0), ms(a.s), inLock, errText(a), fmt(a.cpu.server, 0), fmt(cpuPerAuth(a), 3),
      fmt(a.loop.p50, 1) + ' / ' + fmt(a.loop.p99, 1), fmt(locksCpu(a), 1), fmt(locksCpuPerAuth(a), 3), fmt(a.cpu.bench, 0), fmt(a.cpu.others, 0), fmt(a.cpu.machine, 0), fmt(a.load1, 1)])));
  console.log('serving: the relay process, or the reference pipeline\'s one process (Fastify + Aedes; the durable reference adds SQLite, WAL, synchronous NORMAL, always, whatever store the relay runs on). ' +
    'The reference\'s locks are echo clients that do no work (the durable reference\'s sign each event with node:crypto Ed25519, counted in the lock); ' +
    "the relay's are the real firmware, whose time is 'in the lock' (firmware-verify: its pure-JS verifier; native-verify: node:crypto behind the same ports, verifying commands and signing receipts). " +
    "Load average: /proc/loadavg of the whole machine (2 cores), other people's jobs included.");

  if (COUNT_STATEMENTS) for (const m of LOCK_MODES) printStatements(m, rounds.map((r) => r.relay[m].run));

  // The relay against the reference and the bare round trip: one table, medians over rounds.
  const first = entries[0];
  const share = relayShare(first);
  const pickRef = (f: (a: AuthResult) => number, digits?: number) => spread(rounds.map((r) => f(r.ref)), digits);
  const modeRows = LOCK_MODES.flatMap((m) => {
    const pick = (f: (a: AuthResult) => number, digits?: number) => spread(rounds.map((r) => f(r.relay[m].run)), digits);
    const vs = (f: (a: AuthResult) => number) => spread(rounds.map((r) => f(r.relay[m].run) / f(r.ref)), 2) + '×';
    const p50 = (a: AuthResult) => a.s.p50;
    const p99 = (a: AuthResult) => a.s.p99;
    const tag = ' (' + m + '-verify locks)';
    return [
      ['CPU ms per authorization' + tag, pick(cpuPerAuth, 3), pickRef(cpuPerAuth, 3), vs(cpuPerAuth), '≤ 2×'],
      ['authorization latency p50 ms (' + AUTH_LOCKS + ' in flight)' + tag, pick(p50), pickRef(p50), vs(p50), '—'],
      ['authorization latency p99 ms (' + AUTH_LOCKS + ' in flight)' + tag, pick(p99), pickRef(p99), vs(p99), '—'],
      ['authorizations/s' + tag, pick((a) => a.perSecond, 0), pickRef((a) => a.perSecond, 0), vs((a) => a.perSecond), '≥ 1,000/s (relay)'],
      ['serving process CPU %' + tag, pick((a) => a.cpu.server, 0), pickRef((a) => a.cpu.server, 0), '—', '—'],
      ['event-loop delay p99 ms' + tag, pick((a) => a.loop.p99, 1), pickRef((a) => a.loop.p99, 1), '—', '—'],
      ['locks CPU %' + tag, pick(locksCpu, 1), pickRef(locksCpu, 1), '—', '—'],
      ['locks CPU ms per authorization' + tag, pick(locksCpuPerAuth, 3), pickRef(locksCpuPerAuth, 3), '—', '—'],
      ['machine: other processes CPU % / load average (1 min)' + tag, pick((a) => a.cpu.others, 0) + ' / ' + pick((a) => a.load1, 1), pickRef((a) => a.cpu.others, 0) + ' / ' + pickRef((a) => a.load1, 1), '—', '—']
    ];
  });
  table('Relay against the reference pipeline and the bare MQTT round trip (one run; ' + ROUNDS + ' round' + (ROUNDS > 1 ? 's' : '') +
    ', median (min–max) over rounds; ratios per round, then the median)', ['metric', 'relay', 'reference / bare', 'ratio', 'target'], [
    ...modeRows,
    ['entry: relay share p50 ms (entry − in the lock, ' + at(first) + ' connected' + (share.paired ? '' : ', from percentiles') + ') ÷ bare round trip', fmt(share.s.p50), fmt(bare.s.p50, 3),
      fmt(share.s.p50 / bare.s.p50, 1) + '×', '≤ 3×'],
    ['entry: relay share p99 ms ÷ bare round trip', fmt(share.s.p99), fmt(bare.s.p99, 3), fmt(share.s.p99 / bare.s.p99, 1) + '×', '≤ 3×'],
    ...bare.paused.map((p) => ['entry: relay share p50 ms ÷ bare round trip with a ' + p.pauseMs + ' ms pause before each (context)', fmt(share.s.p50), fmt(p.s.p50, 3),
      fmt(share.s.p50 / p.s.p50, 1) + '×', '—'])
  ]);

  if (CONTEXT) printContext(rounds, singles, share, at(first), gapMs);

  // Summary.
  const verdict = (ratio: number, limit: number) => (ratio <= limit ? 'meets' : 'misses');
  const rows: string[][] = [
    ['bare MQTT round trip p50 / p99 (plain Aedes ' + bare.version + ')', ms(bare.s) + ' ms', 'baseline', '—']
  ];
  for (const e of entries) {
    rows.push(['courier entry p50 / p99 at ' + at(e) + ' connected', ms(e.s) + ' ms', '≤ 3× bare' + (e === entries[entries.length - 1] ? ' at 10,000' : ''),
      fmt(e.s.p50 / bare.s.p50, 1) + '× / ' + fmt(e.s.p99 / bare.s.p99, 1) + '× → ' + verdict(e.s.p50 / bare.s.p50, 3) + ' / ' + verdict(e.s.p99 / bare.s.p99, 3)]);
  }
  for (const m of LOCK_MODES) {
    const perSecond = median(rounds.map((r) => r.relay[m].run.perSecond));
    const errs = rounds.reduce((a, r) => a + Object.values(r.relay[m].run.errors).reduce((x, y) => x + y, 0), 0);
    rows.push(['authorizations/s, one relay process (owner unlock/lock, ' + m + '-verify locks; median of rounds)',
      fmt(perSecond, 0) + '/s at relay CPU ' + fmt(median(rounds.map((r) => r.relay[m].run.cpu.server)), 0) + '%, ' + errs + ' errors', '≥ 1,000/s, 0 errors',
      fmt(perSecond / 1000, 2) + '× → ' + (perSecond >= 1000 && errs === 0 ? 'meets' : 'misses')]);
  }
  for (const m of mem) rows.push(['relay memory per connected lock at ' + m.connected.toLocaleString('en-US'), fmt(m.perLock / 1024, 1) + ' KiB', '— (report)', '—']);
  if (mem.length) {
    const last = mem[mem.length - 1];
    rows.push(['crowd connect rate to ' + last.n.toLocaleString('en-US'), fmt(last.connect.perSecond, 0) + ' connects/s', '—', '—']);
  }
  rows.push(['most connected locks reached', reached.toLocaleString('en-US'), '10,000', reached >= 10000 ? 'meets' : 'below (see notes)']);
  table('Summary (targets: docs/product.md#performance-targets)', ['metric', 'value', 'target', 'ratio / verdict'], rows);
  const stats = await fleet.ask<{ locks: Record<string, { loopMaxLatenessMs: number; loopErrors: number }> }>('stats');
  const worst = Math.max(0, ...Object.values(stats.locks).map((s) => s.loopMaxLatenessMs));
  const errs = Object.values(stats.locks).reduce((a, s) => a + s.loopErrors, 0);
  console.log(`\nsimulated locks: worst timer lateness ${worst} ms, loop errors ${errs}. Logs and data: ${flags.has('keep') ? work : '(removed; --keep keeps them)'}`);
  w.closeHttp();
  if (PROFILE) {
    await w.relay.kill();
    // The relay at its ceiling: the native-verify rounds when they ran.
    const profiled: LockMode = LOCK_MODES.includes('native') ? 'native' : 'firmware';
    const p = summarizeProfiles(path.join(work, 'profile'), rounds.map((r) => r.relay[profiled].run.window));
    if (p) printProfile('Relay CPU profile, the counted seconds of section c with the ' + profiled + '-verify locks', p);
  }
  if (PROFILE_LOCKS) {
    // A profile is written when its process exits; the windows are the counted seconds of that mode's rounds.
    for (const m of LOCK_MODES) {
      await Promise.all(modeFleets[m].map((f) => f.child.kill()));
      const p = summarizeProfiles(lockProfileDir(m), rounds.map((r) => r.relay[m].run.window));
      const done = rounds.reduce((a, r) => a + r.relay[m].run.completed, 0);
      if (p) printProfile('Lock processes CPU profile, ' + m + '-verify (' + modeFleets[m].length + ' process' + (modeFleets[m].length > 1 ? 'es' : '') + '), the counted seconds of section c; ' +
        fmt(p.busyMs / Math.max(1, done), 3) + ' ms busy per authorization', p);
    }
  }
}

async function cleanup() {
  for (const c of children.reverse()) await c.kill().catch(() => undefined);
  await cluster?.stop();
  if (!flags.has('keep')) {
    rmSync(work, { recursive: true, force: true });
    rmSync(lockDir, { recursive: true, force: true });
  }
}

mkdirSync(work, { recursive: true });
main().then(cleanup, async (e: unknown) => {
  console.error(e);
  for (const c of children) process.stderr.write('--- ' + c.name + ' log tail:\n' + tail(log(c.name)) + '\n');
  await cleanup();
  process.exit(1);
});

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-1500);
  } catch {
    return '';
  }
}
