/** Owner grants, guest access (online reveal and offline scan strings), revocation, schedules, parcel boxes, owner unlock/lock, feed and live stream. */
import { describe, expect, it } from 'vitest';
import { ACT_ALARM_CLEAR, ACT_GRANT_PUT, ACT_GRANT_REVOKE, chainStep, fromHex } from '@keyway/shared';
import { tzOffsetMinutes } from '@keyway/relay';
import { lockDevice } from '../../relay/src/data/devices';
import { addLock, expectOk, seedWorld, waitUntil, useWorld, type Harness, type World } from '../support/relay-harness';

/** How long the revocation runs against the held device row before that transaction goes on. */
const REVOKE_SETTLE_MS = 300;

describe('grants and owner access', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => { h = hh; w = ww; }, {}, { timezone: 'Europe/Berlin' });

  const window = (fromMs = -60_000, lenMs = 86400_000) => ({ start: new Date(h.clock.now() + fromMs).toISOString(), end: new Date(h.clock.now() + fromMs + lenMs).toISOString() });
  const createGrant = async (body: Record<string, unknown>) => {
    const r = await expectOk(h.api('POST', `/v1/sites/${w.site.id}/grants`, { token: w.owner.token, body: { kind: 'guest', type: 'temporary', window: window(), ...body } }), 201);
    await waitUntil(async () => (await h.api('GET', '/v1/grants/' + r.grant.id, { token: w.owner.token })).body.status === 'active', 3000, 'grant staged');
    return r as { grant: any; accessToken: string };
  };

  it('stages a grant on the lock; the guest opens online, then offline with scan strings, then online again in order', async () => {
    const { grant, accessToken } = await createGrant({ label: 'cleaner', maxUses: 0 });
    expect(accessToken).toMatch(/^kw_guest_/);
    const put = w.lock.commands.find((c) => c.action === ACT_GRANT_PUT && c.payload.grantId === grant.id)!;
    expect(put.payload).toMatchObject({ kind: 2, flags: 3, maxUses: 0 });
    expect(put.payload.credential.length).toBe(1000);
    expect((await expectOk(h.api('GET', '/v1/grant-access', { token: accessToken }))).grant).toMatchObject({ id: grant.id, label: 'cleaner', status: 'active' });

    const open = await h.api('POST', '/v1/grant-access/entry', { token: accessToken });
    expect(open.status, JSON.stringify(open.body)).toBe(200);
    expect(open.body).toMatchObject({ outcome: 'opened', method: 'reveal', grantId: grant.id });
    w.lock.closeDoor();

    const creds = await expectOk(h.api('GET', '/v1/grant-access/credentials?count=3', { token: accessToken }));
    expect(creds.credentials).toHaveLength(3);
    for (const c of creds.credentials) expect(c).toMatch(new RegExp(`^KW1:${grant.id}:[0-9a-f]{64}$`));
    const [c1, c2] = creds.credentials.map((s: string) => fromHex(s.split(':')[2]));
    expect(chainStep(fromHex(w.deviceId), grant.id, c2)).toEqual(c1);

    await w.lock.disconnect();
    expect(w.lock.scan(creds.credentials[0])).toBe(0);
    w.lock.closeDoor();
    expect(w.lock.scan(creds.credentials[0])).toBe(35);
    await w.lock.connect();
    await w.lock.drained();
    await waitUntil(async () => (await h.api('GET', '/v1/grants/' + grant.id, { token: w.owner.token })).body.uses === 2, 3000, 'offline use reported');
    const again = await h.api('POST', '/v1/grant-access/entry', { token: accessToken });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    w.lock.closeDoor();
    const feed = await expectOk(h.api('GET', `/v1/sites/${w.site.id}/activity?kind=denial`, { token: w.owner.token }));
    expect(feed.items[0]).toMatchObject({ reason: 'BAD_CREDENTIAL', grantId: grant.id, actor: { kind: 'guest' } });
  });

  it('revocation reaches the lock and wins: the token stops working and a saved scan string is refused', async () => {
    const { grant, accessToken } = await createGrant({ label: 'dog walker' });
    const creds = await expectOk(h.api('GET', '/v1/grant-access/credentials?count=1', { token: accessToken }));
    const r = await expectOk(h.api('DELETE', '/v1/grants/' + grant.id, { token: w.owner.token }));
    expect(r.status).toBe('revoking');
    await waitUntil(async () => (await h.api('GET', '/v1/grants/' + grant.id, { token: w.owner.token })).body.status === 'revoked', 3000, 'revoke acked');
    expect(w.lock.commands.some((c) => c.action === ACT_GRANT_REVOKE && c.payload.grantId === grant.id && c.code === 0)).toBe(true);
    expect(w.lock.grants.has(grant.id)).toBe(false);
    expect((await h.api('POST', '/v1/grant-access/entry', { token: accessToken })).status).toBe(401);
    expect(w.lock.scan(creds.credentials[0])).toBe(31);
  });

  it('a revocation committed between the guest entry\'s checks and its record refuses the entry: no reveal, no entry in the feed after the revocation', async () => {
    const { grant, accessToken } = await createGrant({ label: 'neighbour' });
    const store = h.relay.ctx.store;
    const tx = store.tx;
    const reveals = w.lock.reveals.length;
    // The lock not holding the revocation yet (its GRANT_REVOKE refused once with BUSY, retried
    // later): the relay's own check is then all that keeps the revoked guest out.
    w.lock.busyFor = 1;
    // The owner revokes, and is answered, while the entry, its checks passed on the grant as it
    // read it, is about to record the request: the interleaving PostgreSQL's READ COMMITTED allows.
    const revoke: { answer?: { status: number; body: any } } = {};
    store.tx = async (fn) => {
      if (!revoke.answer && /guestEntry/.test(new Error().stack ?? '')) revoke.answer = await h.api('DELETE', '/v1/grants/' + grant.id, { token: w.owner.token });
      return tx(fn);
    };
    let r;
    try {
      r = await h.api('POST', '/v1/grant-access/entry', { token: accessToken });
    } finally {
      store.tx = tx;
    }
    expect(revoke.answer?.status, JSON.stringify(revoke.answer?.body)).toBe(200);
    expect(revoke.answer?.body.status).toBe('revoking');
    expect(r.body.error?.code, JSON.stringify(r.body)).toBe('KW_GRANT_REVOKED');
    expect(w.lock.reveals.length).toBe(reveals);
    const feed = await expectOk(h.api('GET', `/v1/sites/${w.site.id}/activity`, { token: w.owner.token }));
    const ofGrant = feed.items.filter((i: any) => i.grantId === grant.id).map((i: any) => i.kind);
    expect(ofGrant.slice(0, ofGrant.indexOf('grant.revoked'))).not.toContain('entry.requested');
    // The refusal is in the owner's feed, after the revocation, as the relay's other refusals are.
    const refused = feed.items.find((i: any) => i.grantId === grant.id && i.kind === 'entry.refused');
    expect(refused?.reason, JSON.stringify(feed.items.slice(0, 5))).toBe('KW_GRANT_REVOKED');
    expect(ofGrant.indexOf('entry.refused')).toBeLessThan(ofGrant.indexOf('grant.revoked'));
  });

  it('a revocation while a transaction of the lock holds its device row waits for it, and neither fails (no deadlock on PostgreSQL)', async () => {
    const { grant } = await createGrant({ label: 'plumber' });
    // What the lock's event intake does with an ACK: the device row first, then the grant row.
    let held!: () => void;
    const release = new Promise<void>((r) => (held = r));
    let deviceLocked!: () => void;
    const locked = new Promise<void>((r) => (deviceLocked = r));
    const lockSide = h.relay.ctx.store.tx(async (q) => {
      await lockDevice(q, w.deviceId);
      deviceLocked();
      await release;
      await q.updateTable('grants').set({ updated_at: h.clock.now() }).where('id', '=', grant.id).execute();
      return 'committed';
    });
    await locked;
    const revoke = h.api('DELETE', '/v1/grants/' + grant.id, { token: w.owner.token });
    // Long enough for the revocation to take every row lock it can before it must wait.
    await new Promise((r) => setTimeout(r, REVOKE_SETTLE_MS));
    held();
    expect(await lockSide).toBe('committed');
    const r = await revoke;
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.status).toBe('revoking');
  });

  it('weekly schedules are in the site time zone and enforced; one-time grants are used up', async () => {
    const now = h.clock.now();
    const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
    const offset = tzOffsetMinutes('Europe/Berlin', now);
    const local = new Date(now + offset * 60_000);
    const today = days[(local.getUTCDay() + 6) % 7];
    const tomorrow = days[(local.getUTCDay() + 7) % 7];
    const off = await createGrant({ type: 'weekly', schedule: [{ days: [tomorrow], start: '00:00', end: '00:01' }], window: window(-60_000, 14 * 86400_000) });
    const put = w.lock.commands.find((c) => c.action === ACT_GRANT_PUT && c.payload.grantId === off.grant.id)!;
    expect(put.payload.tzOffset).toBe(offset);
    expect(off.grant.schedule).toEqual([{ days: [tomorrow], start: '00:00', end: '00:01' }]);
    const r = await h.api('POST', '/v1/grant-access/entry', { token: off.accessToken });
    expect(r.body.error.code).toBe('KW_OUTSIDE_SCHEDULE');
    const on = await createGrant({ type: 'weekly', schedule: [{ days: [today], start: '00:00', end: '24:00' }] });
    expect((await h.api('POST', '/v1/grant-access/entry', { token: on.accessToken })).status).toBe(200);
    w.lock.closeDoor();

    const once = await createGrant({ type: 'one-time', label: 'plumber', kind: 'service' });
    expect(once.grant.maxUses).toBe(1);
    expect((await h.api('POST', '/v1/grant-access/entry', { token: once.accessToken })).status).toBe(200);
    w.lock.closeDoor();
    await waitUntil(async () => (await h.api('GET', '/v1/grants/' + once.grant.id, { token: w.owner.token })).body.uses === 1, 3000, 'use counted');
    expect((await h.api('POST', '/v1/grant-access/entry', { token: once.accessToken })).body.error.code).toBe('KW_USES_EXHAUSTED');
    const future = await createGrant({ window: window(3600_000) });
    expect((await h.api('POST', '/v1/grant-access/entry', { token: future.accessToken })).body.error.code).toBe('KW_OUTSIDE_WINDOW');
  });

  it('parcel box: a registered tracking barcode opens the box once, without the network', async () => {
    const box = await addLock(h, w.installer, w.site.id, 'box');
    const p = await expectOk(h.api('POST', '/v1/parcels', { token: w.backend.token, body: { siteId: w.site.id, trackingNumber: ' 1Z999AA10123456784 ', window: window() } }), 201);
    expect(p).toMatchObject({ deviceId: box.deviceId, trackingNumber: '1Z999AA10123456784', status: 'registered' });
    await waitUntil(async () => (await h.api('GET', '/v1/parcels/' + p.id, { token: w.backend.token })).body.staged, 3000, 'parcel staged');
    const put = box.lock.commands.find((c) => c.action === ACT_GRANT_PUT)!;
    expect(put.payload).toMatchObject({ kind: 4, maxUses: 1 });
    expect(JSON.stringify(put.payload)).not.toContain('1Z999AA10123456784');
    await box.lock.disconnect();
    expect(box.lock.scan('1Z999AA10123456785')).toBe(35);
    expect(box.lock.scan('1Z999AA10123456784')).toBe(0);
    box.lock.closeDoor();
    expect(box.lock.scan('1Z999AA10123456784')).toBe(34);
    await box.lock.connect();
    const opened = await waitUntil(async () => { const r = await h.api('GET', '/v1/parcels/' + p.id, { token: w.backend.token }); return r.body.status === 'opened' ? r.body : null; }, 3000, 'parcel opened');
    expect(opened.openedSeq).toBeGreaterThan(0);
    expect((await h.api('GET', '/v1/parcels/' + p.id, { token: w.owner.token })).status).toBe(200);
    await box.lock.close();
  });

  it('owner unlocks and locks from anywhere; the feed shows it page by page and the SSE stream live', async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${h.base}/v1/sites/${w.site.id}/stream`, { headers: { authorization: 'Bearer ' + w.owner.token }, signal: ctrl.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const pump = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          text += new TextDecoder().decode(value);
        }
      } catch {
        // aborted
      }
    })();
    const u = await h.api('POST', `/v1/devices/${w.deviceId}/unlock`, { token: w.owner.token, body: { cameraRequired: true }, headers: { 'idempotency-key': 'owner-unlock-1' } });
    expect(u.status, JSON.stringify(u.body)).toBe(200);
    expect(u.body).toMatchObject({ outcome: 'opened', method: 'command' });
    const l = await h.api('POST', `/v1/devices/${w.deviceId}/lock`, { token: w.owner.token });
    expect(l.body.outcome).toBe('locked');
    await waitUntil(() => text.includes('event: activity') && text.includes('"kind":"lock"'), 3000, 'live activity');
    expect(text).toMatch(/^event: hello/);
    ctrl.abort();
    await pump;

    const page1 = await expectOk(h.api('GET', `/v1/sites/${w.site.id}/activity?limit=5`, { token: w.owner.token }));
    expect(page1.items).toHaveLength(5);
    const page2 = await expectOk(h.api('GET', `/v1/sites/${w.site.id}/activity?limit=5&before=${page1.nextBefore}`, { token: w.owner.token }));
    expect(page2.items[0].id).toBeLessThan(page1.items[4].id);
    const unlocks = await expectOk(h.api('GET', `/v1/sites/${w.site.id}/activity?kind=unlock&limit=200`, { token: w.owner.token }));
    const ownerUnlock = unlocks.items.find((i: any) => i.actor?.kind === 'owner');
    expect(ownerUnlock).toMatchObject({ actor: { kind: 'owner', id: w.owner.id }, details: { action: 'UNLOCK', source: 'command' } });
    expect(ownerUnlock.clip).toMatch(/^clip:/);
  });

  it('a jammed lock refuses entries until the owner clears the alarm', async () => {
    w.lock.jamNext = true;
    const u = await h.api('POST', `/v1/devices/${w.deviceId}/unlock`, { token: w.owner.token });
    expect(u.status).toBe(502);
    expect(u.body.error).toMatchObject({ code: 'KW_LOCK_FAULT', mayHaveRun: true, details: { reason: 'JAM' } });
    await waitUntil(async () => (await h.api('GET', '/v1/devices/' + w.deviceId, { token: w.owner.token })).body.status.flags.jammed, 3000, 'jammed flag');
    const refused = await h.api('POST', `/v1/devices/${w.deviceId}/unlock`, { token: w.owner.token });
    expect(refused.body.error).toMatchObject({ code: 'KW_LOCK_UNAVAILABLE', details: { jammed: true } });
    const c = await h.api('POST', `/v1/devices/${w.deviceId}/alarms/clear`, { token: w.owner.token, body: { alarm: 0 } });
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    await waitUntil(async () => !(await h.api('GET', '/v1/devices/' + w.deviceId, { token: w.owner.token })).body.status.flags.jammed, 3000, 'cleared');
    expect((await h.api('POST', `/v1/devices/${w.deviceId}/lock`, { token: w.owner.token })).status).toBe(200);
  });

  it('an alarm clear whose lock is re-registered to another owner\'s site meanwhile is 404, and the lock is sent nothing', async () => {
    const other = await seedWorld(h);
    const store = h.relay.ctx.store;
    const tx = store.tx;
    const setSite = (siteId: number) => store.q.updateTable('devices').set({ site_id: siteId }).where('id', '=', w.deviceId).execute();
    const clears = w.lock.commands.filter((c) => c.action === ACT_ALARM_CLEAR).length;
    // The re-registration (the lock moved to the other owner's site) commits while the request,
    // the lock read as this owner's, is about to issue the command.
    let moved = false;
    store.tx = async (fn) => {
      if (!moved && /ownerClearAlarm/.test(new Error().stack ?? '')) {
        moved = true;
        await setSite(other.site.id);
      }
      return tx(fn);
    };
    let r;
    try {
      r = await h.api('POST', `/v1/devices/${w.deviceId}/alarms/clear`, { token: w.owner.token, body: { alarm: 0 } });
    } finally {
      store.tx = tx;
      await setSite(w.site.id);
      await other.lock.close();
    }
    expect(moved).toBe(true);
    expect(r.status, JSON.stringify(r.body)).toBe(404);
    expect(w.lock.commands.filter((c) => c.action === ACT_ALARM_CLEAR).length).toBe(clears);
  });
});
