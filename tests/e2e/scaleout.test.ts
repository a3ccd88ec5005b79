/**
 * More locks than one machine holds (docs/product.md#performance-targets): two relay processes share one Redis (Debian's
 * redis-server, started here; mqemitter-redis + aedes-persistence-redis) and one database. A lock
 * connected to relay B receives the command a courier's request through relay A authorized, and
 * its events are processed exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { board } from '@keyway/hardware';
import { seedWorld, type DemoWorld } from '../../tools/src/stack/seed';
import { start, type Child } from '../support/processes';
import { api, eventually, startFleetProcess, startRelayProcess, type FleetProcess, type RelayProcess } from '../support/e2e-world';

let dir = '';
let redis: Child;
let a: RelayProcess;
let b: RelayProcess;
let fleet: FleetProcess;
let world: DemoWorld;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kw-scale-'));
  const port = await freePort();
  redis = start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  await eventually('redis up', async () => redis.stdout().includes('Ready to accept connections'), 10_000);
  const url = 'redis://127.0.0.1:' + port;
  const data = path.join(dir, 'relay');
  a = await startRelayProcess(data, { redis: url, relayId: 'relay-a' });
  b = await startRelayProcess(data, { redis: url, relayId: 'relay-b' });
  // Register the lock through B, so it connects to B's broker.
  world = await seedWorld({
    base: b.base, adminToken: a.adminToken!, dataDir: data, doors: 1, parcelBox: false, timezone: 'UTC',
    boards: { door: board('espruino-wifi'), box: board('espruino-wifi-parcelbox') }
  });
  fleet = await startFleetProcess(world, dir);
}, 90_000);

afterAll(async () => {
  await fleet?.close();
  await a?.child.kill();
  await b?.child.kill();
  await redis?.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('two relay processes behind one Redis', () => {
  it('a lock on relay B opens for a courier entry authorized through relay A, and each event is processed once', async () => {
    const lockId = world.locks[0].deviceId;
    const owner = (await api(a.base, '', 'POST', '/v1/auth/login', { email: world.owner.email, password: world.owner.password })).body.token;
    await eventually('lock online (seen through A)', async () => {
      const v = (await api(a.base, owner, 'GET', '/v1/devices/' + lockId)).body;
      return v.online && v.status?.flags?.trustedTime;
    }, 30_000);
    const now = Date.now();
    const d = (await api(a.base, world.backend.token, 'POST', '/v1/deliveries', {
      siteId: world.siteId, trackingNumber: 'SCALE-1', courierId: world.courier.id, inHome: true,
      window: { start: new Date(now - 60_000).toISOString(), end: new Date(now + 3600_000).toISOString() }
    })).body;
    await eventually('staged', async () => (await api(a.base, world.backend.token, 'GET', '/v1/deliveries/' + d.id)).body.staged, 20_000);
    const r = await api(a.base, world.courier.token, 'POST', '/v1/deliveries/' + d.id + '/entry', undefined, { 'idempotency-key': randomUUID() });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await fleet.ask(lockId, 'state')).unlocked).toBe(true);
    await fleet.ask(lockId, 'door open');
    await fleet.ask(lockId, 'door close');
    const receipt = await eventually('receipt via B', async () => (await api(b.base, world.courier.token, 'GET', '/v1/deliveries/' + d.id)).body.receipt, 20_000);
    expect(receipt.eventSeq).toBeGreaterThan(0);
    // Exactly-once: the stored log has each sequence number once, chain intact, no anomalies.
    const events = (await api(b.base, owner, 'GET', '/v1/devices/' + lockId + '/events')).body;
    const seqs = (events.items as Array<{ seq: number }>).map((x) => x.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect((await api(a.base, owner, 'GET', '/v1/devices/' + lockId)).body.log.state).toBe('ok');
  }, 90_000);
});
