/**
 * Scale-out (docs/product.md#performance-targets): two relay processes' worth of relays (two buildRelay instances with
 * their own brokers and HTTP servers) share one Redis (mqemitter-redis,
 * aedes-persistence-redis) and one SQLite file in WAL mode. A lock connected to relay B
 * opens for an entry authorized through relay A's API, and each lock event is processed
 * exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRelay, type Relay } from '@keyway/relay';
import { ScriptedLock } from '../support/scripted-lock';
import { waitUntil } from '../support/relay-harness';

const REDIS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

describe.skipIf(!REDIS)('two relays behind one Redis', () => {
  let redis: ChildProcess;
  let dir: string;
  let a: Relay;
  let b: Relay;
  let lock: ScriptedLock;
  const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

  beforeAll(async () => {
    const port = await freePort();
    redis = spawn(REDIS!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitUntil(() => new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    }), 5000, 'redis up');
    dir = mkdtempSync(path.join(tmpdir(), 'kw-scale-'));
    const common = { dataDir: dir, ports: { http: 0, mqtt: 0, mqtts: 0 }, redis: { url: `redis://127.0.0.1:${port}` }, logger: { level: 'info', destination: sink() }, entryTimeoutMs: 4000 };
    a = await buildRelay({ ...common, relayId: 'relay-a' });
    b = await buildRelay({ ...common, relayId: 'relay-b' });
    await a.listen();
    await b.listen();
  }, 30_000);

  afterAll(async () => {
    await lock?.close();
    await a?.close();
    await b?.close();
    redis?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a lock on relay B opens for an entry authorized through relay A, and events are processed once', async () => {
    const admin = a.adminToken!;
    expect(b.adminToken).toBeNull();
    const api = async (relay: Relay, method: string, url: string, token?: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(relay.urls().http + url, {
        method, headers: { ...(token ? { authorization: 'Bearer ' + token } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body ? JSON.stringify(body) : undefined
      });
      return { status: res.status, body: await res.json() as any };
    };
    const owner = (await api(a, 'POST', '/v1/owners', admin, { email: 'scale@example.test', name: 'S', password: 'a long password 1' })).body;
    const login = (await api(b, 'POST', '/v1/auth/login', undefined, { email: 'scale@example.test', password: 'a long password 1' })).body;
    expect(login.owner.id).toBe(owner.id);
    const site = (await api(a, 'POST', '/v1/sites', login.token, { name: 'Scale', timezone: 'UTC', allowInHomeDelivery: true })).body;
    const installer = (await api(a, 'POST', '/v1/installers', admin, { label: 'i' })).body.token;
    const backend = (await api(a, 'POST', '/v1/backends', admin, { name: 'bk', scopes: ['deliveries:write', 'couriers:write', 'entry:request'] })).body;
    await api(a, 'PUT', `/v1/sites/${site.id}/partners/${backend.id}`, login.token);
    const courier = (await api(a, 'POST', '/v1/couriers', backend.token, { name: 'c' })).body;
    const deviceId = '5ca1e0000000000' + '1';
    const reg = (await api(a, 'POST', '/v1/devices', installer, { deviceId, siteId: site.id, board: 'b', firmware: 'f' })).body;
    lock = new ScriptedLock({ url: b.urls().mqtt.tcp, deviceId, password: reg.mqtt.password, trustedKeys: reg.trustedKeys });
    await lock.connect();
    await waitUntil(() => lock.timeTrusted, 5000, 'TIME_SET through relay B');

    const win = { start: new Date(Date.now() - 60_000).toISOString(), end: new Date(Date.now() + 3600_000).toISOString() };
    const d = (await api(a, 'POST', '/v1/deliveries', backend.token, { siteId: site.id, trackingNumber: 'SCALE1', courierId: courier.id, window: win, inHome: true })).body;
    await waitUntil(async () => (await api(a, 'GET', '/v1/deliveries/' + d.id, courier.token)).body.staged, 5000, 'grant staged via relay A → B');
    const entry = await api(a, 'POST', `/v1/deliveries/${d.id}/entry`, courier.token, undefined, { 'idempotency-key': 'scale-1' });
    expect(entry.status, JSON.stringify(entry.body)).toBe(200);
    expect(entry.body.outcome).toBe('opened');
    lock.openDoor();
    lock.closeDoor();
    await waitUntil(async () => (await api(b, 'GET', '/v1/deliveries/' + d.id, courier.token)).body.status === 'secured', 5000, 'secured');
    await lock.drained();
    await new Promise((r) => setTimeout(r, 200));
    const q = a.ctx.store.q;
    const events = await q.selectFrom('events').select(['seq', 'processed_by']).where('device_id', '=', deviceId).orderBy('seq').execute();
    expect(events.map((e) => e.seq)).toEqual(lock.log.map((l) => l.event.seq));
    const secured = await q.selectFrom('activity').select('id').where('delivery_id', '=', d.id).where('kind', '=', 'delivery.secured').execute();
    expect(secured).toHaveLength(1);
    const entered = await q.selectFrom('notifications').select('id').where('delivery_id', '=', d.id).where('kind', '=', 'delivery.entered').execute();
    expect(entered).toHaveLength(1);

    // Each status is handled by B alone (the lock's session is there); A takes in again only the
    // events a request of its own waited for (the entry), and ignores the rest of the bus.
    const bus = async (relay: Relay, kind: string, outcome: string) =>
      (await relay.ctx.metrics.busLockMessages.get()).values.find((v) => v.labels.kind === kind && v.labels.outcome === outcome)?.value ?? 0;
    expect(await bus(a, 'state', 'ignored')).toBeGreaterThan(0);
    expect(await bus(b, 'state', 'ignored')).toBe(0);
    expect(await bus(a, 'event', 'checked')).toBeGreaterThan(0);
    expect(await bus(a, 'event', 'ignored')).toBeGreaterThan(0);
    expect(await bus(a, 'event', 'checked') + await bus(a, 'event', 'ignored')).toBe(lock.log.length);
    expect(await bus(b, 'event', 'checked') + await bus(b, 'event', 'ignored')).toBe(0);
  }, 30_000);
});
