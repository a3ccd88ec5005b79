/**
 * The soak's world as separate processes over loopback: the relay (killed with SIGKILL and
 * restarted on the same data and ports), the seeded demo world with many doors, and the locks
 * spread over several fleet processes (the real firmware on the simulator). Every API call is
 * recorded with its answer and times.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { board } from '@keyway/hardware';
import { seedWorld, type DemoWorld } from '../../tools/src/stack/seed';
import { startRelayProcess, type RelayProcess } from './e2e-world';
import { ROOT, TS_NODE, start, type Child } from './processes';

/** Locks per fleet process (each process is one Node event loop). */
export const LOCKS_PER_FLEET = 25;
/** Starts of a killed relay tried before the soak gives up. */
const RELAY_START_ATTEMPTS = 3;
/** A fleet command not answered within this is an error. */
const FLEET_ANSWER_MS = 20_000;
/** An API call not answered within this is recorded as unanswered (status 0). */
const API_TIMEOUT_MS = 15_000;

export interface ApiRecord {
  op: string;
  method: string;
  url: string;
  /** HTTP status, 0 when the relay did not answer. */
  status: number;
  body: any;
  at: number;
  answeredAt: number;
}

export interface FleetClient {
  ask(deviceId: string, command: string): Promise<any>;
  close(): Promise<void>;
}

export interface SoakWorld {
  dir: string;
  dataDir: string;
  relay: RelayProcess;
  world: DemoWorld;
  adminToken: string;
  ownerToken: string;
  api: ApiRecord[];
  call(op: string, token: string, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<ApiRecord>;
  fleet: FleetClient;
  /** Kills the relay with SIGKILL (no clean shutdown). */
  killRelay(): Promise<void>;
  /** Starts it again on the same data and ports. */
  startRelay(): Promise<void>;
  relayUp(): boolean;
  close(): Promise<void>;
}

function fleetProcess(dir: string, locks: DemoWorld['locks'], options: Record<string, unknown>): { child: Child; ask(line: string): Promise<any>; ready: Promise<void> } {
  mkdirSync(dir, { recursive: true });
  const specFile = path.join(dir, 'fleet.json');
  writeFileSync(specFile, JSON.stringify({ locks: locks.map((l) => ({ deviceId: l.deviceId, board: l.board.id, flashFile: l.flashFile })), options }));
  const child = start(TS_NODE[0], [...TS_NODE.slice(1), path.join(ROOT, 'hardware/src/node/fleet-process.ts'), specFile]);
  const waiting: Array<{ resolve(v: any): void; reject(e: Error): void; timer: NodeJS.Timeout }> = [];
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((res) => (onReady = res));
  createInterface({ input: child.proc.stdout! }).on('line', (line) => {
    if (line.startsWith('{"ready"')) return onReady();
    const w = waiting.shift();
    if (!w) return;
    clearTimeout(w.timer);
    w.resolve(JSON.parse(line));
  });
  const ask = (line: string) =>
    new Promise<any>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('fleet did not answer: ' + line)), FLEET_ANSWER_MS);
      waiting.push({ resolve, reject, timer });
      child.send(line);
    });
  return { child, ask, ready };
}

export async function startSoakWorld(o: { locks: number; lockOptions?: Record<string, unknown> }): Promise<SoakWorld> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-soak-'));
  const dataDir = path.join(dir, 'relay');
  // KEYWAY_SOAK_LOGS=1 keeps each relay run's log (warn and above; =info for more).
  const logLevel = process.env.KEYWAY_SOAK_LOGS === 'info' ? 'info' : undefined;
  let relay = await startRelayProcess(dataDir, { logLevel });
  let up = true;
  const adminToken = relay.adminToken!;
  const world = await seedWorld({
    base: relay.base, adminToken, dataDir, doors: o.locks, parcelBox: false, timezone: 'UTC',
    boards: { door: board('esp32'), box: board('espruino-wifi-parcelbox') }
  });
  const fleets: Array<ReturnType<typeof fleetProcess>> = [];
  const owner = new Map<string, ReturnType<typeof fleetProcess>>();
  for (let i = 0; i < world.locks.length; i += LOCKS_PER_FLEET) {
    const part = world.locks.slice(i, i + LOCKS_PER_FLEET);
    const f = fleetProcess(path.join(dir, 'fleet-' + fleets.length), part, o.lockOptions ?? {});
    fleets.push(f);
    for (const l of part) owner.set(l.deviceId, f);
  }
  await Promise.all(fleets.map((f) => f.ready));
  // KEYWAY_SOAK_LOGS keeps the run's directory with each relay run's log.
  const logDir = process.env.KEYWAY_SOAK_LOGS ? dir : null;
  if (logDir) process.stderr.write('soak: relay logs kept in ' + logDir + '\n');
  let relayRuns = 0;
  const keepRelayLog = () => {
    if (logDir) writeFileSync(path.join(logDir, 'relay-' + ++relayRuns + '.log'), s.relay.child.stdout() + s.relay.child.stderr());
  };
  const api: ApiRecord[] = [];
  const call: SoakWorld['call'] = async (op, token, method, url, body, headers = {}) => {
    const at = Date.now();
    let rec: ApiRecord;
    try {
      const res = await fetch(s.relay.base + url, {
        method, signal: AbortSignal.timeout(API_TIMEOUT_MS),
        headers: { ...(token ? { authorization: 'Bearer ' + token } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body)
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // Not JSON: kept as text.
      }
      rec = { op, method, url, status: res.status, body: parsed, at, answeredAt: Date.now() };
    } catch (e) {
      rec = { op, method, url, status: 0, body: String((e as Error).message ?? e), at, answeredAt: Date.now() };
    }
    api.push(rec);
    return rec;
  };
  const login = await fetch(relay.base + '/v1/auth/login', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: world.owner.email, password: world.owner.password })
  });
  const ownerToken = ((await login.json()) as { token: string }).token;
  const fleet: FleetClient = {
    ask: (deviceId, command) => owner.get(deviceId)!.ask(deviceId + ' ' + command),
    close: async () => {
      await Promise.all(fleets.map((f) => f.child.kill()));
    }
  };
  const s: SoakWorld = {
    dir, dataDir, relay, world, adminToken, ownerToken, api, call, fleet,
    async killRelay() {
      up = false;
      await s.relay.child.kill('SIGKILL');
      keepRelayLog();
    },
    async startRelay() {
      const ports = relay.ports;
      // A restart is a fault the soak injects, not the thing under test: on a host loaded enough
      // that the relay misses its start-up time it is tried again (the error says why).
      for (let attempt = 1; ; attempt++) {
        try {
          relay = await startRelayProcess(dataDir, { http: ports.http, mqtt: ports.mqtt, logLevel });
          break;
        } catch (err) {
          if (attempt >= RELAY_START_ATTEMPTS) throw err;
          process.stderr.write(`soak: relay restart attempt ${attempt} failed, trying again: ${String(err).slice(0, 500)}\n`);
        }
      }
      s.relay = relay;
      up = true;
    },
    relayUp: () => up,
    async close() {
      await fleet.close();
      await s.relay.child.kill();
      keepRelayLog();
      if (!logDir) rmSync(dir, { recursive: true, force: true });
    }
  };
  return s;
}
