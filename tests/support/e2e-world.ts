/**
 * End-to-end world as separate processes over loopback (docs/product.md#real-parts-not-mocks): the relay process
 * (relay/src/main.ts), the simulated locks process (hardware/src/node/fleet-process.ts), and the
 * test itself acting as backend, courier, owner and guest over HTTP. Relays can be killed and
 * restarted on the same data and ports; locks can lose power or network.
 */
import { afterAll, beforeAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { board } from '@keyway/hardware';
import { pollUntil } from '../../tools/src/stack/poll';
import { seedWorld, type DemoWorld } from '../../tools/src/stack/seed';
import { ROOT, TS_NODE, start, type Child } from './processes';
import { scaled } from './time-scale';

export interface RelayProcess {
  child: Child;
  ports: { http: number; mqtt: number; mqtts: number };
  base: string;
  adminToken: string | null;
}

export async function startRelayProcess(dataDir: string, o: { http?: number; mqtt?: number; redis?: string; relayId?: string; entryTimeoutMs?: number; allowPrivateWebhooks?: boolean; logLevel?: string } = {}): Promise<RelayProcess> {
  const args = [...TS_NODE.slice(1), path.join(ROOT, 'relay/src/main.ts'), '--data', dataDir, '--http', String(o.http ?? 0), '--mqtt', String(o.mqtt ?? 0), '--mqtts', '0', '--log-level', o.logLevel ?? 'warn'];
  if (o.redis) args.push('--redis', o.redis);
  if (o.relayId) args.push('--relay-id', o.relayId);
  if (o.allowPrivateWebhooks) args.push('--allow-private-webhooks');
  if (o.entryTimeoutMs) args.push('--entry-timeout', String(o.entryTimeoutMs));
  const child = start(TS_NODE[0], args);
  const end = Date.now() + scaled(30_000);
  for (;;) {
    const line = child.stdout().split('\n').find((l) => l.startsWith('{"ready"'));
    if (line) {
      const r = JSON.parse(line) as { ports: RelayProcess['ports']; adminToken: string | null };
      return { child, ports: r.ports, base: 'http://127.0.0.1:' + r.ports.http, adminToken: r.adminToken };
    }
    if (Date.now() > end || child.proc.exitCode !== null) {
      const exited = child.proc.exitCode !== null;
      if (!exited) await child.kill('SIGKILL');
      throw new Error('relay did not start' + (exited ? ' (exit code ' + child.proc.exitCode + ')' : ' in time') + ': ' + child.stderr().slice(-2000) + child.stdout().slice(-2000));
    }
    await new Promise((res) => setTimeout(res, 50));
  }
}

export interface FleetProcess {
  child: Child;
  /** Sends `<deviceId> <command>` and returns the JSON answer. */
  ask(deviceId: string, command: string): Promise<any>;
  close(): Promise<void>;
}

export async function startFleetProcess(world: DemoWorld, dir: string, options: Record<string, unknown> = {}): Promise<FleetProcess> {
  const specFile = path.join(dir, 'fleet.json');
  writeFileSync(specFile, JSON.stringify({ locks: world.locks.map((l) => ({ deviceId: l.deviceId, board: l.board.id, flashFile: l.flashFile })), options }));
  const child = start(TS_NODE[0], [...TS_NODE.slice(1), path.join(ROOT, 'hardware/src/node/fleet-process.ts'), specFile]);
  const end = Date.now() + scaled(30_000);
  while (!child.stdout().includes('{"ready":true')) {
    if (Date.now() > end || child.proc.exitCode !== null) throw new Error('fleet did not start: ' + child.stderr().slice(-2000));
    await new Promise((res) => setTimeout(res, 50));
  }
  let asked = 0;
  let queue = Promise.resolve();
  const ask = (deviceId: string, command: string) => {
    const run = async () => {
      const want = ++asked;
      child.send(deviceId + ' ' + command);
      const t = Date.now() + scaled(10_000);
      for (;;) {
        const line = child.stdout().split('\n').find((l) => l.startsWith('{"id":' + want + ','));
        if (line) return JSON.parse(line);
        if (Date.now() > t) throw new Error('fleet did not answer: ' + command);
        await new Promise((res) => setTimeout(res, 10));
      }
    };
    const p = queue.then(run);
    queue = p.then(() => undefined, () => undefined);
    return p;
  };
  return { child, ask, close: () => child.kill() };
}

export interface E2E {
  dir: string;
  relay: RelayProcess;
  fleet: FleetProcess;
  world: DemoWorld;
  ownerToken: string;
  api(token: string, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** Kills the relay (SIGKILL: no clean shutdown) and starts it again on the same data and ports. */
  restartRelay(hard?: boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startE2E(o: { doors?: number; parcelBox?: boolean; lockOptions?: Record<string, unknown>; timezone?: string; allowPrivateWebhooks?: boolean } = {}): Promise<E2E> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-e2e-'));
  const dataDir = path.join(dir, 'relay');
  let relay = await startRelayProcess(dataDir, { allowPrivateWebhooks: o.allowPrivateWebhooks });
  const adminToken = relay.adminToken!;
  const world = await seedWorld({
    base: relay.base, adminToken, dataDir, doors: o.doors ?? 1, parcelBox: o.parcelBox ?? false, timezone: o.timezone ?? 'UTC',
    boards: { door: board('esp32'), box: board('espruino-wifi-parcelbox') }
  });
  const fleet = await startFleetProcess(world, dir, o.lockOptions ?? {});
  const api = async (token: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(relay.base + url, {
      method, headers: { ...(token ? { authorization: 'Bearer ' + token } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const login = await api('', 'POST', '/v1/auth/login', { email: world.owner.email, password: world.owner.password });
  const e: E2E = {
    dir, relay, fleet, world, ownerToken: login.body.token, api,
    async restartRelay(hard = true) {
      const ports = relay.ports;
      await relay.child.kill(hard ? 'SIGKILL' : 'SIGTERM');
      relay = await startRelayProcess(dataDir, { http: ports.http, mqtt: ports.mqtt, allowPrivateWebhooks: o.allowPrivateWebhooks });
      e.relay = relay;
    },
    async close() {
      await fleet.close();
      await e.relay.child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return e;
}

export function eventually<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  return pollUntil(what, fn, scaled(timeoutMs)) as Promise<T>;
}

/** Waits until every lock of the world is online at the relay with trusted time. */
export async function allOnline(e: E2E): Promise<void> {
  for (const l of e.world.locks) {
    await eventually(l.label + ' online', async () => {
      const v = (await e.api(e.ownerToken, 'GET', '/v1/devices/' + l.deviceId)).body;
      return v && v.online && v.status?.flags?.trustedTime;
    });
  }
}

/** Registers beforeAll/afterAll that start a world, wait until every lock is online, and close it. */
export function useE2E(o: Parameters<typeof startE2E>[0], ready: (e: E2E) => void): void {
  let e: E2E | undefined;
  beforeAll(async () => {
    e = await startE2E(o);
    await allOnline(e);
    ready(e);
  }, scaled(90_000));
  afterAll(async () => e?.close());
}

/** One HTTP call to a relay with a bearer token; the body is parsed JSON (null when empty). */
export async function api(base: string, token: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + url, {
    method, headers: { authorization: 'Bearer ' + token, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  const t = await res.text();
  return { status: res.status, body: t ? JSON.parse(t) : null };
}
