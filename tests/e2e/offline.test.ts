/**
 * docs/product.md#guest-and-service-access and docs/product.md#parcel-box with the relay down: grants are enforced by the lock itself. The
 * dog-walker's weekly grant opens with a scanned credential while the relay process is dead
 * (and one outside its schedule does not); a parcel box opens once for a registered tracking
 * number and never twice. When the relay returns, the queued events arrive in order with an
 * intact hash chain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allOnline, eventually, startE2E, type E2E } from '../support/e2e-world';
import { scaled } from '../support/time-scale';

let e: E2E;
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

beforeAll(async () => {
  e = await startE2E({ doors: 1, parcelBox: true, timezone: 'UTC' });
  await allOnline(e);
}, scaled(90_000));
afterAll(async () => e?.close());

async function grant(days: string[], label: string): Promise<{ id: number; token: string }> {
  const now = Date.now();
  const r = await e.api(e.ownerToken, 'POST', '/v1/sites/' + e.world.siteId + '/grants', {
    kind: 'service', type: 'weekly', label, deviceId: e.world.locks[0].deviceId,
    window: { start: new Date(now - 86400_000).toISOString(), end: new Date(now + 30 * 86400_000).toISOString() },
    schedule: [{ days, start: '00:00', end: '24:00' }]
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await eventually(label + ' grant staged', async () => (await e.api(e.ownerToken, 'GET', '/v1/grants/' + r.body.grant.id)).body.status === 'active');
  return { id: r.body.grant.id, token: r.body.accessToken };
}

describe('grants enforced by the lock while the relay is down', () => {
  it('dog-walker weekly grant and a parcel box work offline; the log catches up afterwards', async () => {
    const door = e.world.locks[0].deviceId;
    const box = e.world.locks[1].deviceId;
    const today = DAYS[new Date().getUTCDay()];
    const tomorrow = DAYS[(new Date().getUTCDay() + 1) % 7];
    const walker = await grant([today], 'Dog walker');
    const wrongDay = await grant([tomorrow], 'Window cleaner');
    const creds = (await e.api(walker.token, 'GET', '/v1/grant-access/credentials?count=2')).body.credentials as string[];
    const other = (await e.api(wrongDay.token, 'GET', '/v1/grant-access/credentials?count=1')).body.credentials as string[];
    expect(creds[0]).toMatch(/^KW1:\d+:[0-9a-f]{64}$/);
    const now = Date.now();
    const parcel = await e.api(e.world.backend.token, 'POST', '/v1/parcels', {
      siteId: e.world.siteId, trackingNumber: '1Z999AA10123456784', deviceId: box,
      window: { start: new Date(now - 60_000).toISOString(), end: new Date(now + 3600_000).toISOString() }
    });
    expect(parcel.status, JSON.stringify(parcel.body)).toBe(201);
    await eventually('parcel grant staged', async () => (await e.api(e.world.backend.token, 'GET', '/v1/parcels/' + parcel.body.id)).body.staged);
    const seqBefore = (await e.fleet.ask(door, 'state')).logSeq as number;

    await e.relay.child.kill('SIGKILL');
    await eventually('locks notice the relay is gone', async () => !(await e.fleet.ask(door, 'state')).online);

    await e.fleet.ask(door, 'scan ' + other[0]);
    await new Promise((r) => setTimeout(r, 500));
    expect((await e.fleet.ask(door, 'state')).bolt).toBe(1);
    const denial = ((await e.fleet.ask(door, 'events')).events as Array<{ type: number; code: number }>).filter((x) => x.type === 4).pop();
    expect(denial?.code).toBe(33); // OUTSIDE_SCHEDULE

    await e.fleet.ask(door, 'scan ' + creds[0]);
    await eventually('door unlocked offline', async () => (await e.fleet.ask(door, 'state')).unlocked);

    await e.fleet.ask(box, 'scan 1Z999AA10123456784');
    await eventually('box unlocked offline', async () => (await e.fleet.ask(box, 'state')).unlocked);
    await e.fleet.ask(box, 'button 100'); // close it again from inside
    await eventually('box locked', async () => (await e.fleet.ask(box, 'state')).bolt === 1);
    await e.fleet.ask(box, 'scan 1Z999AA10123456784');
    await new Promise((r) => setTimeout(r, 500));
    expect((await e.fleet.ask(box, 'state')).bolt).toBe(1);
    const boxDenial = ((await e.fleet.ask(box, 'events')).events as Array<{ type: number; code: number }>).filter((x) => x.type === 4).pop();
    expect(boxDenial?.code).toBe(34); // USES_EXHAUSTED: never twice

    const seqOffline = (await e.fleet.ask(door, 'state')).logSeq as number;
    expect(seqOffline).toBeGreaterThan(seqBefore + 2);

    await e.restartRelay();
    await allOnline(e);
    // Every event made while offline reached the relay, in order, with the chain intact.
    const log = await eventually('offline events at the relay', async () => {
      const b = (await e.api(e.ownerToken, 'GET', '/v1/devices/' + door)).body;
      return b.log && b.log.seq >= seqOffline ? b.log : null;
    });
    expect(log.state).toBe('ok');
    // The box's offline events come in on their own connection: wait for them too.
    const boxSeq = (await e.fleet.ask(box, 'state')).logSeq as number;
    await eventually('the box\'s offline events at the relay', async () => {
      const b = (await e.api(e.ownerToken, 'GET', '/v1/devices/' + box)).body;
      return b.log && b.log.seq >= boxSeq ? b.log : null;
    });
    const feed = (await e.api(e.ownerToken, 'GET', '/v1/sites/' + e.world.siteId + '/activity?limit=100')).body.items as Array<{ reason: string | null; grantId: number | null; kind: string }>;
    expect(feed.some((a) => a.grantId === walker.id && a.kind === 'unlock')).toBe(true);
    expect(feed.some((a) => a.reason === 'OUTSIDE_SCHEDULE')).toBe(true);
    expect(feed.some((a) => a.reason === 'USES_EXHAUSTED')).toBe(true);
  }, scaled(120_000));
});
