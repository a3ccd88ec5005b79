/**
 * Lock settings end to end against a real relay and a scripted lock over real MQTT
 * (docs/sync.md#lock-settings): the owner's choice reaches the lock as a signed SETTINGS_SET,
 * the lock's status confirms it, and the relay sends it again when the lock missed it or came
 * back without it. Bad values and other owners are refused with no change and nothing sent.
 */
import { describe, expect, it } from 'vitest';
import { ACT_SETTINGS_SET, SETTING_RELOCK_ON_CLOSE } from '@keyway/shared';
import { countRows, seedWorld, useWorld, waitUntil, type Harness, type World } from '../support/relay-harness';

let h: Harness;
let w: World;
useWorld((hh, ww) => {
  h = hh;
  w = ww;
}, { sync: { timeSetRetryMs: 300, revokeAlarmMs: 60_000 }, maintenanceIntervalMs: 3_600_000 });

const settingsUrl = () => '/v1/devices/' + w.deviceId + '/settings';
const get = async () => (await h.api('GET', settingsUrl(), { token: w.owner.token })).body;
const put = (body: unknown, token = w.owner.token) => h.api('PUT', settingsUrl(), { token, body });
const sent = () => w.lock.commands.filter((c) => c.action === ACT_SETTINGS_SET);
/** SETTINGS_SET commands the relay signed for this lock (whether or not the lock answered). */
const signed = () => countRows(h, 'commands', { device_id: w.deviceId, purpose: 'settings_set' });

describe('relay: lock settings', () => {
  it('starts at the shipped defaults, sends the owner\'s choice signed, and shows it applied once the lock reports it', async () => {
    await waitUntil(() => w.lock.timeTrusted, 5000, 'trusted time');
    expect(await get()).toMatchObject({ autoLockS: 30, doorAjarS: 120, relockOnClose: false, revision: 0, state: 'default' });
    const r = await put({ autoLockS: 45, doorAjarS: 300, relockOnClose: true });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ autoLockS: 45, doorAjarS: 300, relockOnClose: true, revision: 1 });
    await waitUntil(() => w.lock.settings.revision === 1, 5000, 'lock holds revision 1');
    expect(w.lock.settings).toEqual({ revision: 1, autoLockS: 45, doorAjarS: 300, flags: SETTING_RELOCK_ON_CLOSE });
    await waitUntil(async () => (await get()).state === 'applied', 5000, 'applied');
    const second = await put({ autoLockS: 10, doorAjarS: 60, relockOnClose: false });
    expect(second.body.revision).toBe(2);
    await waitUntil(async () => (await get()).state === 'applied', 5000, 'revision 2 applied');
    expect(w.lock.settings).toEqual({ revision: 2, autoLockS: 10, doorAjarS: 60, flags: 0 });
    // Both reached the lock signed and admitted (a forged or mis-signed one would be acknowledged with a denial).
    expect(sent().map((c) => [c.payload.revision, c.code])).toEqual([[1, 0], [2, 0]]);
  });

  it('sends the settings again when the lock comes back without them (factory storage) or missed the command', async () => {
    await waitUntil(() => w.lock.timeTrusted, 5000, 'trusted time');
    const rev = (await put({ autoLockS: 20, doorAjarS: 90, relockOnClose: true })).body.revision as number;
    await waitUntil(async () => (await get()).state === 'applied', 5000, 'applied');
    await w.lock.disconnect();
    w.lock.settings = { revision: 0, autoLockS: 30, doorAjarS: 120, flags: 0 };
    await w.lock.connect();
    await waitUntil(() => w.lock.settings.revision === rev, 8000, 'lock given its settings again');
    await waitUntil(async () => (await get()).state === 'applied', 5000, 'applied again');

    // A command the lock swallows: the relay does not give up while the lock reports an older revision.
    w.lock.answer = false;
    const before = await signed();
    await put({ autoLockS: 25, doorAjarS: 90, relockOnClose: true });
    await waitUntil(async () => (await signed()) > before, 5000, 'signed');
    await new Promise((res) => setTimeout(res, 300));
    expect((await get()).state).toBe('pending');
    expect(w.lock.settings.revision).toBe(rev);
    w.lock.answer = true;
    await w.lock.disconnect();
    await w.lock.connect();
    await waitUntil(() => w.lock.settings.revision === rev + 1, 8000, 'resent after reconnect');
    await waitUntil(async () => (await get()).state === 'applied', 5000, 'applied after resend');
  });

  it('lifts its revision above one the lock already holds (the relay database went back in time)', async () => {
    await waitUntil(() => w.lock.timeTrusted, 5000, 'trusted time');
    await w.lock.disconnect();
    w.lock.settings = { revision: 7, autoLockS: 600, doorAjarS: 600, flags: 0 };
    await w.lock.connect();
    await put({ autoLockS: 15, doorAjarS: 45, relockOnClose: false });
    await waitUntil(() => w.lock.settings.autoLockS === 15, 8000, 'the owner\'s values reach the lock');
    expect(w.lock.settings.revision).toBeGreaterThan(7);
    await waitUntil(async () => (await get()).state === 'applied', 5000, 'applied');
  });

  const bad: Array<[string, Record<string, unknown>]> = [
    ['auto-lock below 5 s', { autoLockS: 4, doorAjarS: 60, relockOnClose: false }],
    ['auto-lock above 1 h', { autoLockS: 3601, doorAjarS: 60, relockOnClose: false }],
    ['door-left-open below 30 s', { autoLockS: 30, doorAjarS: 29, relockOnClose: false }],
    ['door-left-open above 1 h', { autoLockS: 30, doorAjarS: 3601, relockOnClose: false }],
    ['a fraction', { autoLockS: 30.5, doorAjarS: 60, relockOnClose: false }],
    ['a string', { autoLockS: '30', doorAjarS: 60, relockOnClose: false }],
    ['a missing field', { autoLockS: 30, doorAjarS: 60 }],
    ['an unknown field', { autoLockS: 30, doorAjarS: 60, relockOnClose: false, revision: 99 }]
  ];
  it('refuses bad values with KW_VALIDATION, and another owner with KW_NOT_FOUND, changing nothing and sending nothing', async () => {
    await waitUntil(() => w.lock.timeTrusted, 5000, 'trusted time');
    await put({ autoLockS: 20, doorAjarS: 90, relockOnClose: true });
    await waitUntil(async () => (await get()).state === 'applied', 5000, 'applied');
    const before = await get();
    const n = await signed();
    for (const [name, body] of bad) {
      const r = await put(body);
      expect(r.status, name).toBe(400);
      expect(r.body.error.code, name).toBe('KW_VALIDATION');
    }
    const other = (await seedWorld(h, { connect: false })).owner;
    const r = await put({ autoLockS: 20, doorAjarS: 90, relockOnClose: true }, other.token);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('KW_NOT_FOUND');
    expect((await h.api('GET', settingsUrl(), { token: other.token })).status).toBe(404);
    await new Promise((res) => setTimeout(res, 300));
    expect(await get()).toEqual(before);
    expect(await signed()).toBe(n);
  });
});
