import { expect, it } from 'vitest';
import type { Store } from '@keyway/relay';
import { claimDueJobs } from '../../../relay/src/data/job-queue';
import { claimKey, completeKey, findKey } from '../../../relay/src/data/idempotency';
import { insertWebhook, insertWebhookJob, webhookJobRetry, webhookJobsById } from '../../../relay/src/data/webhooks';
import { describeEachStore } from '../../support/stores';

const T0 = 1_800_000_000_000;
const LEASE_MS = 10_000;

async function backendWithHook(store: Store): Promise<number> {
  const b = await store.q.insertInto('backends').values({ name: 'b', scopes: '[]', created_at: T0 }).returning('id').executeTakeFirstOrThrow();
  const h = await insertWebhook(store.q, { backend_id: b.id, url: 'http://example.org/h', events: '["*"]', secret: 's', created_at: T0 });
  return h.id;
}

describeEachStore('data layer: claims shared by relay processes', (stores) => {
  it('leases each due job to exactly one of several concurrent claimers, oldest first, and not again before the lease ends', async () => {
    const store = await stores.fresh();
    const hook = await backendWithHook(store);
    for (let i = 0; i < 30; i++) await insertWebhookJob(store.q, { webhookId: hook, event: 'delivery.booked', body: '{"n":' + i + '}', at: T0 + (i < 25 ? 0 : LEASE_MS) });
    const claims = await Promise.all([1, 2, 3, 4].map(() => claimDueJobs(store.q, 'webhook_jobs', T0, T0 + LEASE_MS, 10)));
    const all = claims.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(25);
    for (const c of claims) expect([...c].sort((a, b) => a - b)).toEqual(c);
    expect(await claimDueJobs(store.q, 'webhook_jobs', T0 + 1, T0 + LEASE_MS, 10)).toEqual([]);
    // A retry releases the lease at once; the others come back when their lease ends.
    await webhookJobRetry(store.q, all[0]!, 1, 500, 'HTTP 500', T0 + 1);
    expect(await claimDueJobs(store.q, 'webhook_jobs', T0 + 1, T0 + LEASE_MS, 10)).toEqual([all[0]]);
    const [retried] = await webhookJobsById(store.q, [all[0]!]);
    expect(retried).toMatchObject({ attempts: 1, last_status: 500, last_error: 'HTTP 500', status: 'pending' });
    expect((await claimDueJobs(store.q, 'webhook_jobs', T0 + LEASE_MS - 1, T0 + 2 * LEASE_MS, 100)).length).toBe(0);
    expect((await claimDueJobs(store.q, 'webhook_jobs', T0 + LEASE_MS, T0 + 2 * LEASE_MS, 100)).length).toBe(30);
  });

  it('gives an Idempotency-Key to exactly one of several concurrent requests and stores its answer', async () => {
    const store = await stores.fresh();
    const claim = { principal: 'courier:1', key: 'k1', route: 'POST /v1/deliveries/1/entry', bodyHash: 'h', at: T0 };
    const won = await Promise.all([1, 2, 3, 4, 5].map(() => claimKey(store.q, claim)));
    expect(won.filter(Boolean).length).toBe(1);
    expect(await findKey(store.q, 'courier:1', 'k1')).toMatchObject({ state: 'pending', body_hash: 'h', created_at: T0 });
    await completeKey(store.q, 'courier:1', 'k1', 200, '{"ok":true}');
    expect(await findKey(store.q, 'courier:1', 'k1')).toMatchObject({ state: 'done', status_code: 200, response: '{"ok":true}' });
    expect(await claimKey(store.q, { ...claim, principal: 'courier:2' })).toBe(true);
  });
});
