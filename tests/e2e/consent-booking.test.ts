/**
 * Booking under owner consent, across processes (docs/relay.md "Owner consent"): the relay
 * process, the real firmware on simulated hardware, and the test as owner device, backend and
 * courier. Once the owner's key is enrolled the lock is in owner-consent mode: a booking no
 * standing consent covers is refused with nothing booked; one inside the owner's consent is staged
 * as CONSENTED_GRANT_PUT naming the consent, and the courier gets in. A relay whose database
 * and signing key are in an attacker's hands (its consent record widened by hand) still cannot
 * get a grant past the lock: the lock answers from the consent the owner signed. After the
 * physical recovery the relay forgets its owner record and books plain grants again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  ACT_CONSENT_PUT, ACT_CONSENTED_GRANT_PUT, ACT_GRANT_PUT, CONSENT_CAMERA_REQUIRED, EV_ACK, GRANT_COURIER, RC_CONSENT_EXHAUSTED, RC_OUTSIDE_CONSENT,
  decodeCommand, decodePayload, fromHex, toHex, type Consent
} from '@keyway/shared';
import { signOwnerStatement, signerFromSeed } from '@keyway/shared/node';
import { TEST_OWNER_SEED } from '../../scripts/protocol-vectors';
import { allOnline, eventually, startE2E, type E2E } from '../support/e2e-world';
import { scaled } from '../support/time-scale';

const OWNER = signerFromSeed(TEST_OWNER_SEED);
const DAY_MS = 86_400_000;
const MINUTES_PER_DAY = 1440;
const WINDOW_MS = 20 * 60_000;
const CONSENT_ID = 7;
/** Button holds: install mode (5 s) and, within it, the owner reset (15 s), each a little longer. */
const INSTALL_HOLD_MS = 5300;
const RESET_HOLD_MS = 15_300;
const RELEASE_MARGIN_MS = 300;

let e: E2E;
let lockId = '';
let db: Database.Database;

/** Monday = 0, as the protocol's schedule days (the site and the consent are on UTC). */
const weekday = (ms: number) => (new Date(ms).getUTCDay() + 6) % 7;
/** A window from a minute ago, ending by the end of this UTC day (a consent window may not pass midnight). */
function todayWindow(): { start: string; end: string } {
  const now = Date.now();
  const midnight = Math.ceil(now / DAY_MS) * DAY_MS;
  return { start: new Date(now - 60_000).toISOString(), end: new Date(Math.min(now + WINDOW_MS, midnight)).toISOString() };
}

async function book(window: { start: string; end: string }) {
  return e.api(e.world.backend.token, 'POST', '/v1/deliveries', {
    siteId: e.world.siteId, trackingNumber: 'TRK' + randomUUID().slice(0, 8), courierId: e.world.courier.id, inHome: true, deviceId: lockId, window
  });
}

async function sendStatement(seq: number, action: number, payload: unknown) {
  const s = signOwnerStatement(OWNER, { deviceId: fromHex(lockId), seq, notAfter: Math.floor(Date.now() / 1000) + 3600, action, payload });
  return e.api(e.ownerToken, 'POST', '/v1/devices/' + lockId + '/owner-statements', { statement: toHex(new Uint8Array([...s.signed, ...s.signature])) });
}

const counts = () => db.prepare('SELECT (SELECT COUNT(*) FROM deliveries) AS deliveries, (SELECT COUNT(*) FROM grants) AS grants, (SELECT COUNT(*) FROM commands) AS commands')
  .get() as Record<string, number>;
const grantCommands = (grantId: number) => (db.prepare("SELECT counter, action, bytes FROM commands WHERE grant_id = ? AND purpose = 'grant_put' ORDER BY counter")
  .all(grantId) as Array<{ counter: number; action: number; bytes: Buffer }>);
const grantIdOf = (deliveryId: number) => (db.prepare('SELECT grant_id FROM deliveries WHERE id = ?').get(deliveryId) as { grant_id: number }).grant_id;
/** The lock's own answer (its ACK event) to a command counter, or undefined while it has not answered. */
async function lockAnswer(counter: number): Promise<number | undefined> {
  const ev = (await e.fleet.ask(lockId, 'events')).events as Array<{ type: number; code: number; ref: number }>;
  return ev.find((x) => x.type === EV_ACK && x.ref === counter)?.code;
}

beforeAll(async () => {
  e = await startE2E({ lockOptions: { relockAfterCloseMs: 1500 } });
  await allOnline(e);
  lockId = e.world.locks[0].deviceId;
  db = new Database(path.join(e.dir, 'relay', 'keyway.sqlite'));
  db.pragma('busy_timeout = 5000');
  // Someone inside holds the button: install mode, so the lock takes the owner's first key.
  await e.fleet.ask(lockId, 'button 5300');
  await eventually('install mode', async () => (await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId)).body.status?.flags?.installMode);
  const r = await e.api(e.ownerToken, 'POST', '/v1/devices/' + lockId + '/owner-keys', { publicKey: toHex(OWNER.publicKey) });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  await eventually('owner-consent mode', async () => (await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId)).body.status?.flags?.ownerConsent);
}, scaled(120_000));

afterAll(async () => {
  db?.close();
  await e?.close();
});

describe('booking under owner consent (real relay, real firmware)', () => {
  it('lists the enrolled owner key, and refuses a booking no consent covers with nothing booked', async () => {
    const v = await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId + '/owner-consent');
    expect(v.body).toMatchObject({ deviceId: lockId, consentMode: true, ownerKeys: [{ keyId: OWNER.keyId, publicKey: toHex(OWNER.publicKey) }], consents: [] });
    const before = counts();
    const r = await book(todayWindow());
    expect(r.status, JSON.stringify(r.body)).toBe(403);
    expect(r.body.error).toMatchObject({ code: 'KW_CONSENT_REQUIRED', details: { deviceId: lockId, partner: e.world.backend.id } });
    expect(counts()).toEqual(before);
    const told = await e.api(e.ownerToken, 'GET', '/v1/notifications');
    expect(JSON.stringify(told.body)).toContain('consent.required');
  }, scaled(60_000));

  it('stages a booking inside the owner\'s consent as CONSENTED_GRANT_PUT naming it, and the courier gets in', async () => {
    const consent: Consent = {
      consentId: CONSENT_ID, kind: GRANT_COURIER, partner: e.world.backend.id, flags: CONSENT_CAMERA_REQUIRED, maxPerWeek: 1, notAfter: 0, tzOffset: 0,
      schedule: [{ days: 1 << weekday(Date.now()), start: 0, end: MINUTES_PER_DAY }]
    };
    const s = await sendStatement(1, ACT_CONSENT_PUT, consent);
    expect(s.status, JSON.stringify(s.body)).toBe(200);
    const v = await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId + '/owner-consent');
    expect(v.body.consents).toMatchObject([{ consentId: CONSENT_ID, partner: e.world.backend.id, maxPerWeek: 1, ownerKeyId: OWNER.keyId }]);

    // Another day of the week is outside the consent: refused before anything is signed.
    const before = counts();
    const tomorrow = Date.now() + DAY_MS;
    const other = await book({ start: new Date(tomorrow).toISOString(), end: new Date(tomorrow + WINDOW_MS).toISOString() });
    expect([other.status, other.body.error?.code]).toEqual([403, 'KW_CONSENT_REQUIRED']);
    expect(counts()).toEqual(before);

    const d = await book(todayWindow());
    expect(d.status, JSON.stringify(d.body)).toBe(201);
    await eventually('grant staged under the consent', async () => (await e.api(e.world.backend.token, 'GET', '/v1/deliveries/' + d.body.id)).body.staged);
    const cmds = grantCommands(grantIdOf(d.body.id));
    expect(cmds.map((c) => c.action)).toEqual([ACT_CONSENTED_GRANT_PUT]);
    const payload = decodePayload(ACT_CONSENTED_GRANT_PUT, decodeCommand(new Uint8Array(cmds[0].bytes)).payload);
    expect(payload).toMatchObject({ consentId: CONSENT_ID, partner: e.world.backend.id, grant: { grantId: grantIdOf(d.body.id), kind: GRANT_COURIER, maxUses: 1 } });
    expect(await lockAnswer(cmds[0].counter)).toBe(0);

    const r = await e.api(e.world.courier.token, 'POST', '/v1/deliveries/' + d.body.id + '/entry', undefined, { 'idempotency-key': randomUUID() });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.outcome).toBe('opened');
    expect((await e.fleet.ask(lockId, 'state')).unlocked).toBe(true);
  }, scaled(90_000));

  it('a relay with a stolen key and a doctored consent record still cannot widen the owner\'s consent: the lock refuses', async () => {
    // The attacker owns the relay: every day, 255 a week, in the relay's own record of the consent.
    db.prepare('UPDATE owner_consents SET max_per_week = 255, schedule = ? WHERE device_id = ? AND consent_id = ?')
      .run(JSON.stringify([{ days: 127, start: 0, end: MINUTES_PER_DAY }]), lockId, CONSENT_ID);
    // A second entry this week: the relay signs it, the lock counts against the owner's 1 a week.
    const again = await book(todayWindow());
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    // Another weekday: outside the owner's signed windows, whatever the relay's record says.
    const tomorrow = Date.now() + DAY_MS;
    const other = await book({ start: new Date(tomorrow).toISOString(), end: new Date(Math.min(tomorrow + WINDOW_MS, Math.ceil(tomorrow / DAY_MS) * DAY_MS)).toISOString() });
    expect(other.status, JSON.stringify(other.body)).toBe(201);
    const answers: Array<[number, number]> = [[again.body.id, RC_CONSENT_EXHAUSTED], [other.body.id, RC_OUTSIDE_CONSENT]];
    for (const [id, code] of answers) {
      const cmds = grantCommands(grantIdOf(id));
      expect(cmds.map((c) => c.action)).toEqual([ACT_CONSENTED_GRANT_PUT]);
      expect(await eventually('the lock answers', async () => lockAnswer(cmds[0].counter).then((c) => (c === undefined ? null : [c])))).toEqual([code]);
      await eventually('grant failed at the relay', async () => {
        const g = db.prepare('SELECT status, status_reason FROM grants WHERE id = ?').get(grantIdOf(id)) as { status: string; status_reason: string };
        return g.status === 'failed' ? g : null;
      });
      expect((await e.api(e.world.backend.token, 'GET', '/v1/deliveries/' + id)).body.staged).toBe(false);
    }
    // Since the owner key was enrolled, the sync never tried a plain GRANT_PUT (the seeded delivery's grant, dropped by the lock, waits for the owner).
    const plain = db.prepare('SELECT COUNT(*) AS n FROM commands WHERE device_id = ? AND action = ? AND created_at > (SELECT MIN(c.created_at) FROM commands c WHERE c.purpose = \'owner_key_add\' AND c.status = \'acked\')')
      .get(lockId, ACT_GRANT_PUT) as { n: number };
    expect(plain.n).toBe(0);
  }, scaled(90_000));

  it('after the physical recovery the relay forgets the owner record and books plain grants again', async () => {
    // Install mode (5 s), then a 15 s hold while it lasts: the lock forgets its owner keys, consents and mode.
    // Each hold is released before the next press (the simulated button is pressed for holdMs of wall time).
    const hold = async (ms: number) => {
      await e.fleet.ask(lockId, 'button ' + ms);
      await new Promise((r) => setTimeout(r, ms + RELEASE_MARGIN_MS));
    };
    await hold(INSTALL_HOLD_MS);
    await eventually('install mode', async () => (await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId)).body.status?.flags?.installMode, 30_000);
    await hold(RESET_HOLD_MS);
    const v = await eventually('owner record cleared', async () => {
      const r = (await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId + '/owner-consent')).body;
      return !r.consentMode && r.ownerKeys.length === 0 && r.consents.length === 0 ? r : null;
    }, 40_000);
    // With the mode off the lock never waits for an owner-confirmed time (docs/protocol.md §11.8).
    expect(v).toEqual({ deviceId: lockId, consentMode: false, ownerTimeNeeded: false, nonce: expect.stringMatching(/^[0-9a-f]{16}$/), ownerKeys: [], consents: [] });
    const d = await book(todayWindow());
    expect(d.status, JSON.stringify(d.body)).toBe(201);
    await eventually('staged', async () => (await e.api(e.world.backend.token, 'GET', '/v1/deliveries/' + d.body.id)).body.staged);
    expect(grantCommands(grantIdOf(d.body.id)).map((c) => c.action)).toEqual([ACT_GRANT_PUT]);
  }, scaled(120_000));
});
