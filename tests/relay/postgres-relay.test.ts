/**
 * The relay started on PostgreSQL (databaseUrl, as KEYWAY_DATABASE_URL or --database-url set
 * it): no SQLite file is opened, the signing keys are in the database sealed under the data
 * key, and what already runs on the store works end to end — admin bootstrap, owners and
 * sign-in, sites and partners, lock registration, a lock connecting over MQTT and getting
 * trusted time, a courier delivery from booking to the secured receipt, and the activity feed.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRelay } from '@keyway/relay';
import { SEALED_PREFIX } from '../../relay/src/secret-box';
import { startPostgres, type PgCluster } from '../support/postgres';
import { bookDelivery, expectOk, seedWorld, startRelay, waitUntil, type Harness, type World } from '../support/relay-harness';

const DATA_KEY = randomBytes(32).toString('base64');

describe('relay on PostgreSQL', () => {
  let pg: PgCluster;
  let url: string;
  let h: Harness;
  let w: World;

  beforeAll(async () => {
    pg = await startPostgres();
    url = pg.createDatabase('relay_a');
    h = await startRelay({ databaseUrl: url, dataKey: DATA_KEY });
    w = await seedWorld(h);
  });

  afterAll(async () => {
    await w?.lock.close();
    await h?.close();
    await pg?.stop();
  });

  it('opens no SQLite file and keeps no signing key in the data directory', () => {
    expect(h.relay.ctx.store.dialect).toBe('postgres');
    expect(readdirSync(h.dir).filter((f) => f.includes('sqlite'))).toEqual([]);
    expect(existsSync(path.join(h.dir, 'keys'))).toBe(false);
  });

  it('has the lock online with its status stored, and shows its connection in the activity feed', async () => {
    const dev = await waitUntil(async () => {
      const d = await expectOk(h.api('GET', '/v1/devices/' + w.deviceId, { token: w.owner.token }));
      return d.online && d.status ? d : null;
    }, 5000, 'lock online with a status');
    expect(dev.status.firmware).toBeTruthy();
    expect(dev.sync.keyIds).toEqual([h.relay.ctx.keys.current().keyId]);
    const feed = await waitUntil(async () => {
      const r = await expectOk(h.api('GET', `/v1/sites/${w.site.id}/activity?kind=lock.*`, { token: w.owner.token }));
      return r.items.some((a: { kind: string }) => a.kind === 'lock.online') ? r : null;
    }, 5000, 'lock.online in the feed');
    const online = feed.items.find((a: { kind: string }) => a.kind === 'lock.online');
    expect(online.deviceId).toBe(w.deviceId);
  });

  it('books a delivery whose grant reaches the lock, lets the courier in and secures it', async () => {
    const d = await bookDelivery(h, w);
    const res = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'pg-' + d.id } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    w.lock.openDoor();
    w.lock.closeDoor();
    const done = await waitUntil(async () => {
      const v = (await h.api('GET', '/v1/deliveries/' + d.id, { token: w.backend.token })).body;
      return v.status === 'secured' ? v : null;
    }, 5000, 'delivery secured');
    expect(done.receipt.doorOpened).toBe(true);
    const feed = await expectOk(h.api('GET', `/v1/sites/${w.site.id}/activity?kind=delivery.*`, { token: w.owner.token }));
    expect(feed.items.map((a: { kind: string }) => a.kind)).toEqual(expect.arrayContaining(['delivery.booked', 'delivery.entered', 'delivery.secured']));
    expect(feed.items.find((a: { kind: string }) => a.kind === 'delivery.entered').names.trackingNumber).toBe(d.trackingNumber);
  });

  it('rotates the relay key through the database and moves the lock on to it', async () => {
    const r = await expectOk(h.api('POST', '/v1/admin/keys/rotate', { token: h.admin }), 202);
    expect(r.previousKeyId).toBe(w.registration.trustedKeys[0].keyId);
    const rows = await h.relay.ctx.store.q.selectFrom('relay_keys').select(['key_id', 'is_current', 'seed']).orderBy('created_at').execute();
    expect(rows.map((k) => [k.key_id, k.is_current])).toEqual([[r.previousKeyId, 0], [r.keyId, 1]]);
    expect(rows.every((k) => k.seed.startsWith(SEALED_PREFIX))).toBe(true);
    await waitUntil(async () => (await expectOk(h.api('GET', '/v1/devices/' + w.deviceId, { token: w.owner.token }))).signingKeyId === r.keyId, 8000, 'lock on the new key');
    expect([...w.lock.keys.keys()]).toEqual([r.keyId]);
  });

  // Runs after the lock tests: a relay started without a shared bus (no Redis) takes every lock as disconnected.
  it('keeps the signing key in the database with its seed sealed, and a relay sharing the database signs with the same key', async () => {
    const all = await h.relay.ctx.store.q.selectFrom('relay_keys').selectAll().execute();
    const rows = all.filter((k) => k.is_current === 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.seed.startsWith(SEALED_PREFIX)).toBe(true);
    expect(rows[0]!.key_id).toBe(h.relay.ctx.keys.current().keyId);
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-relay-b-'));
    const b = await buildRelay({ dataDir: dir, databaseUrl: url, dataKey: DATA_KEY, logger: false, ports: { http: 0, mqtt: 0, mqtts: 0 } });
    try {
      expect(b.ctx.keys.current().keyId).toBe(rows[0]!.key_id);
      expect(b.adminToken).toBeNull();
    } finally {
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
    // Relay B added no key of its own (an unused old one may have been retired meanwhile).
    const after = (await h.relay.ctx.store.q.selectFrom('relay_keys').select('key_id').execute()).map((k) => k.key_id);
    expect(after).toContain(rows[0]!.key_id);
    expect(after.every((id) => all.some((k) => k.key_id === id))).toBe(true);
  });

  it('refuses to start with another data key, creating nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-relay-c-'));
    const keyIds = async () => (await h.relay.ctx.store.q.selectFrom('relay_keys').select('key_id').execute()).map((k) => k.key_id);
    const before = await keyIds();
    try {
      await expect(buildRelay({ dataDir: dir, databaseUrl: url, dataKey: randomBytes(32).toString('base64'), logger: false })).rejects.toThrow(/DATA_KEY_MISMATCH/);
      expect((await keyIds()).every((id) => before.includes(id))).toBe(true);
      expect(readdirSync(dir).filter((f) => f.includes('sqlite') || f === 'admin-token')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves sites, partners and locks to their owner only', async () => {
    const site = await expectOk(h.api('GET', '/v1/sites/' + w.site.id, { token: w.owner.token }));
    expect(site.partners).toEqual([w.backend.id]);
    expect(site.devices.map((d: { id: string }) => d.id)).toEqual([w.deviceId]);
    const renamed = await expectOk(h.api('PATCH', '/v1/sites/' + w.site.id, { token: w.owner.token, body: { name: 'Cottage' } }));
    expect(renamed.name).toBe('Cottage');
    const other = await seedWorld(h, { connect: false });
    try {
      expect((await h.api('GET', '/v1/sites/' + w.site.id, { token: other.owner.token })).status).toBe(404);
      expect((await h.api('GET', '/v1/devices/' + w.deviceId, { token: other.owner.token })).status).toBe(404);
      const mine = await expectOk(h.api('GET', '/v1/sites', { token: other.owner.token }));
      expect(mine.items.map((s: { id: number }) => s.id)).toEqual([other.site.id]);
    } finally {
      await other.lock.close();
    }
  });

  it('records a refused re-registration, and the owner\'s approval, on the store', async () => {
    const body = { deviceId: w.deviceId, siteId: w.site.id, board: 'test-board', firmware: '0.1.0' };
    const refused = await h.api('POST', '/v1/devices', { token: w.installer, body });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('KW_REREGISTER_NEEDS_PROOF');
    await expectOk(h.api('POST', `/v1/devices/${w.deviceId}/reregistration`, { token: w.owner.token }));
    const feed = await expectOk(h.api('GET', `/v1/sites/${w.site.id}/activity?kind=device.*`, { token: w.owner.token }));
    expect(feed.items.map((a: { kind: string }) => a.kind)).toEqual(['device.reregister_approved', 'device.reregister_refused']);
    expect(feed.items[0].names.person).toBe('Owner ' + w.owner.email.match(/owner(\d+)/)![1]);
  });

  it('stores a webhook\'s signing secret sealed under the data key', async () => {
    const hook = await expectOk(h.api('POST', '/v1/webhooks', { token: w.backend.token, body: { url: 'https://93.184.216.34/hook', events: ['delivery.secured'] } }), 201);
    expect(hook.secret).toMatch(/^whsec_/);
    const row = await h.relay.ctx.store.q.selectFrom('webhooks').select('secret').where('id', '=', hook.id).executeTakeFirstOrThrow();
    expect(row.secret.startsWith(SEALED_PREFIX)).toBe(true);
    expect(row.secret.includes(hook.secret)).toBe(false);
    expect(h.relay.ctx.box.open(row.secret, 'webhooks.secret')).toBe(hook.secret);
  });

});
