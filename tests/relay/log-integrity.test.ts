/** Verification of each lock's hash-chained log at the relay (docs/protocol.md §6): gaps, breaks, rewinds, duplicates. */
import { describe, expect, it } from 'vitest';
import { AL_LOW_BATTERY, eventTopic } from '@keyway/shared';
import { classifyOld, verifyLink, ZERO_HASH } from '@keyway/relay';
import { countRows, expectOk, waitUntil, useWorld, type Harness, type World } from '../support/relay-harness';

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);

describe('log chain verdicts (pure)', () => {
  it('accepts the first event only with a zero prevHash, then links by hash', () => {
    expect(verifyLink({ seq: 0, head: null }, 1, ZERO_HASH).verdict).toBe('ok');
    expect(verifyLink({ seq: 0, head: null }, 1, H1).verdict).toBe('break');
    expect(verifyLink({ seq: 4, head: H1 }, 5, H1).verdict).toBe('ok');
    expect(verifyLink({ seq: 4, head: H1 }, 5, H2)).toEqual({ verdict: 'break', expectedSeq: 5, expectedPrev: H1 });
    expect(verifyLink({ seq: 4, head: H1 }, 7, H2)).toMatchObject({ verdict: 'gap', expectedSeq: 5 });
    expect(verifyLink({ seq: 0, head: null }, 3, ZERO_HASH).verdict).toBe('gap');
  });

  it('classifies old sequence numbers as duplicate, rewind or late', () => {
    expect(classifyOld(H1, H1)).toBe('duplicate');
    expect(classifyOld(H1, H2)).toBe('rewind');
    expect(classifyOld(null, H2)).toBe('late');
  });
});

describe('log integrity at the relay', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => { h = hh; w = ww; });

  const anomalies = async () => (await expectOk(h.api('GET', `/v1/devices/${w.deviceId}/events?limit=500`, { token: w.owner.token }))).anomalies;
  const activityCount = () => countRows(h, 'activity', { device_id: w.deviceId });

  it('stores a clean log with every link verified', async () => {
    await w.lock.drained();
    const log = await expectOk(h.api('GET', `/v1/devices/${w.deviceId}/events?limit=500`, { token: w.owner.token }));
    expect(log.items.length).toBe(w.lock.log.length);
    expect(log.items.every((e: any) => e.integrity === 'ok')).toBe(true);
    expect(log.items.at(-1)).toMatchObject({ seq: 1, type: 'BOOT', prevHash: ZERO_HASH });
    expect(log.anomalies).toEqual([]);
    const dev = await expectOk(h.api('GET', '/v1/devices/' + w.deviceId, { token: w.owner.token }));
    expect(dev.log).toMatchObject({ seq: w.lock.log.length, state: 'ok' });
  });

  it('ignores a duplicate delivery of the same event (no second effect)', async () => {
    const n = await activityCount();
    const last = w.lock.log.at(-1)!;
    await w.lock.client!.publishAsync(eventTopic(w.deviceId), Buffer.from(last.bytes), { qos: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect(await activityCount()).toBe(n);
    expect(await anomalies()).toEqual([]);
  });

  it('flags a gap (a deleted event), raises an owner alarm, and keeps verifying after it', async () => {
    w.lock.skipNextSeq();
    w.lock.alarm(AL_LOW_BATTERY);
    await w.lock.drained();
    const a = await waitUntil(async () => { const x = await anomalies(); return x.length ? x : null; }, 3000, 'gap flagged');
    expect(a[0]).toMatchObject({ kind: 'gap', details: { missing: 1 } });
    w.lock.alarm(AL_LOW_BATTERY);
    await w.lock.drained();
    const log = await expectOk(h.api('GET', `/v1/devices/${w.deviceId}/events?limit=2`, { token: w.owner.token }));
    expect(log.items.map((e: any) => e.integrity)).toEqual(['ok', 'gap']);
    const notes = await expectOk(h.api('GET', '/v1/notifications', { token: w.owner.token }));
    expect(notes.items.find((n: any) => n.kind === 'log.integrity').body).toMatchObject({ deviceId: w.deviceId, anomaly: 'gap' });
    expect((await expectOk(h.api('GET', '/v1/devices/' + w.deviceId, { token: w.owner.token }))).log.state).toBe('gap');
  });

  it('flags a break (prevHash does not match: reordered or edited)', async () => {
    w.lock.breakNextLink();
    w.lock.alarm(AL_LOW_BATTERY);
    await w.lock.drained();
    await waitUntil(async () => (await anomalies()).some((x: any) => x.kind === 'break'), 3000, 'break flagged');
    const feed = await expectOk(h.api('GET', `/v1/sites/${w.site.id}/activity?kind=log.*`, { token: w.owner.token }));
    expect(feed.items.map((i: any) => i.kind)).toEqual(expect.arrayContaining(['log.gap', 'log.break']));
  });

  it('flags a rewind (a sequence number already seen, with different bytes) and keeps the stored event', async () => {
    const stored = (await expectOk(h.api('GET', `/v1/devices/${w.deviceId}/events?limit=500`, { token: w.owner.token }))).items.find((e: any) => e.seq === 2);
    await w.lock.rewind(2);
    await waitUntil(async () => (await anomalies()).some((x: any) => x.kind === 'rewind' && x.seq === 2), 3000, 'rewind flagged');
    const again = (await expectOk(h.api('GET', `/v1/devices/${w.deviceId}/events?limit=500`, { token: w.owner.token }))).items.find((e: any) => e.seq === 2);
    expect(again.hash).toBe(stored.hash);
    const text = (await h.api('GET', '/metrics', { token: h.admin })).body as string;
    expect(text).toMatch(/keyway_log_anomalies_total\{kind="rewind"\} 1/);
  });

  it('drops malformed events and events naming another device', async () => {
    const n = await activityCount();
    await w.lock.client!.publishAsync(eventTopic(w.deviceId), Buffer.from('KWY-EVT\u0000garbage'), { qos: 1 });
    const other = { ...w.lock.log[0].event, deviceId: new Uint8Array(8).fill(7) };
    const { encodeEvent } = await import('@keyway/shared');
    await w.lock.client!.publishAsync(eventTopic(w.deviceId), Buffer.from(encodeEvent(other)), { qos: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect(await activityCount()).toBe(n);
    expect(h.logs.some((l) => l.includes('lock event for another device dropped'))).toBe(true);
    expect(w.lock.online).toBe(true);
  });
});
