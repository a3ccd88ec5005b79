/**
 * Owner-signed grants through a real relay (docs/relay.md "Owner-signed grants"): for a lock that
 * reports owner-consent mode, a guest grant is created but not staged; the answer carries the exact
 * GRANT_PUT bytes to sign. A statement over other bytes, for another lock, with another action or
 * already expired is refused and changes nothing; the owner's statement over the grant's bytes is
 * staged as one OWNER_SIGNED command carrying it byte for byte, and never signed twice.
 */
import { describe, expect, it } from 'vitest';
import {
  ACT_GRANT_PUT, ACT_GRANT_REVOKE, ACT_OWNER_SIGNED, ACT_UNLOCK, decodeCommand, decodePayload, encodePayload, fromHex, grantFingerprint, toHex, type Grant
} from '@keyway/shared';
import { signOwnerStatement, signerFromSeed } from '@keyway/shared/node';
import { TEST_OWNER_SEED } from '../../scripts/protocol-vectors';
import { expectOk, useWorld, waitUntil, type Harness, type World } from '../support/relay-harness';

const OWNER = signerFromSeed(TEST_OWNER_SEED);
const HOUR_MS = 3600_000;
let h: Harness;
let w: World;
useWorld((hh, ww) => {
  h = hh;
  w = ww;
});

const nowS = () => Math.floor(h.clock.now() / 1000);
let seq = 0;
function statement(deviceHex: string, action: number, payload: Uint8Array, notAfter = nowS() + 3600): string {
  const s = signOwnerStatement(OWNER, { deviceId: fromHex(deviceHex), seq: ++seq, notAfter, action, payload: decodePayload(action, payload) });
  return toHex(new Uint8Array([...s.signed, ...s.signature]));
}
const commandsOf = (grantId: number) => h.relay.ctx.store.q.selectFrom('commands').select(['counter', 'action', 'purpose', 'bytes']).where('grant_id', '=', grantId)
  .orderBy('counter').execute();
const row = (grantId: number) => h.relay.ctx.store.q.selectFrom('grants').select(['status', 'status_reason', 'owner_statement', 'put_fingerprint']).where('id', '=', grantId)
  .executeTakeFirstOrThrow();

async function consentModeLock(): Promise<void> {
  w.lock.ownerConsent = true;
  await w.lock.publishStatus();
  await waitUntil(async () => (await h.api('GET', '/v1/devices/' + w.deviceId + '/owner-consent', { token: w.owner.token })).body.consentMode, 5000, 'consent mode seen');
}

async function guestGrant(): Promise<{ grant: any; ownerSignature: any }> {
  const window = { start: new Date(h.clock.now() - 60_000).toISOString(), end: new Date(h.clock.now() + HOUR_MS).toISOString() };
  return expectOk(h.api('POST', `/v1/sites/${w.site.id}/grants`, { token: w.owner.token, body: { kind: 'guest', type: 'one-time', label: 'Ada', window } }), 201);
}

describe('relay: owner-signed grants', () => {
  it('a lock not in owner-consent mode gets the grant as before, with nothing to sign', async () => {
    const r = await guestGrant();
    expect(r.ownerSignature).toBeUndefined();
    await waitUntil(async () => (await commandsOf(r.grant.id)).length === 1, 5000, 'GRANT_PUT issued');
    expect((await commandsOf(r.grant.id))[0].action).toBe(ACT_GRANT_PUT);
  });

  it('holds the grant until the owner signed its exact bytes, refuses any other statement with nothing changed, then stages the statement byte for byte', async () => {
    await consentModeLock();
    const r = await guestGrant();
    const id = r.grant.id as number;
    expect(r.grant.status).toBe('pending');
    expect(r.grant.statusReason).toBe('waiting: owner signature');
    expect(r.ownerSignature).toMatchObject({ deviceId: w.deviceId, action: ACT_GRANT_PUT });
    // The bytes to sign are the grant the lock will stage: this one, one entry, its window.
    const bytes = fromHex(r.ownerSignature.payload);
    const grant = decodePayload(ACT_GRANT_PUT, bytes) as Grant;
    expect([grant.grantId, grant.maxUses, grant.notAfter]).toEqual([id, 1, Math.ceil(Date.parse(r.grant.window.end) / 1000)]);
    expect(r.ownerSignature.notAfter).toBe(grant.notAfter);
    expect(await expectOk(h.api('GET', '/v1/grants/' + id + '/owner-signature', { token: w.owner.token }))).toEqual(r.ownerSignature);
    // Nothing goes to the lock before the owner signed.
    await new Promise((res) => setTimeout(res, 200));
    expect(await commandsOf(id)).toEqual([]);

    const wider = encodePayload(ACT_GRANT_PUT, { ...grant, maxUses: 0 });
    const unlock = encodePayload(ACT_UNLOCK, { grantId: id, actorKind: 1, actorRef: 0, flags: 0, relockAfter: 0 });
    const bad: Array<[string, string, number, string]> = [
      ['more uses than the grant', statement(w.deviceId, ACT_GRANT_PUT, wider), 400, 'NOT_THE_GRANT'],
      ['another action', statement(w.deviceId, ACT_UNLOCK, unlock), 400, 'NOT_THE_GRANT'],
      ['another lock', statement('0123456789abcdef', ACT_GRANT_PUT, bytes), 400, 'WRONG_DEVICE'],
      ['expired', statement(w.deviceId, ACT_GRANT_PUT, bytes, nowS() - 1), 400, 'OWNER_EXPIRED'],
      ['not a statement', r.ownerSignature.payload, 400, 'BAD_LENGTH']
    ];
    const before = await row(id);
    for (const [what, st, status, reason] of bad) {
      const res = await h.api('POST', '/v1/grants/' + id + '/owner-statement', { token: w.owner.token, body: { statement: st } });
      expect([what, res.status, res.body.error?.code], JSON.stringify(res.body)).toEqual([what, status, 'KW_OWNER_STATEMENT_INVALID']);
      if (reason !== 'BAD_LENGTH') expect(res.body.error.details.reason).toBe(reason);
      expect(await row(id)).toEqual(before);
      expect(await commandsOf(id)).toEqual([]);
    }
    // A backend's token cannot sign an owner's grant.
    const other = await h.api('POST', '/v1/grants/' + id + '/owner-statement', { token: w.backend.token, body: { statement: statement(w.deviceId, ACT_GRANT_PUT, bytes) } });
    expect([other.status, other.body.error?.code]).toEqual([403, 'KW_FORBIDDEN']);

    const good = statement(w.deviceId, ACT_GRANT_PUT, bytes);
    const signed = await expectOk(h.api('POST', '/v1/grants/' + id + '/owner-statement', { token: w.owner.token, body: { statement: good } }));
    expect(signed.statusReason).toBeNull();
    await waitUntil(async () => (await commandsOf(id)).length === 1, 5000, 'OWNER_SIGNED issued');
    const cmd = (await commandsOf(id))[0];
    expect([cmd.action, cmd.purpose]).toEqual([ACT_OWNER_SIGNED, 'grant_put']);
    expect(toHex(decodeCommand(new Uint8Array(cmd.bytes)).payload)).toBe(good);
    // The sync expects the lock to report the fingerprint of the grant bytes the owner signed.
    expect((await row(id)).put_fingerprint).toBe(toHex(grantFingerprint(bytes)));
    // This scripted lock speaks version 1: it refuses OWNER_SIGNED, and the relay never downgrades it to a GRANT_PUT.
    await waitUntil(async () => (await row(id)).status === 'failed', 5000, 'the lock\'s refusal');
    expect((await commandsOf(id)).map((c) => c.action)).toEqual([ACT_OWNER_SIGNED]);

    // Signed once: a second statement for the same grant is a conflict.
    const again = await h.api('POST', '/v1/grants/' + id + '/owner-statement', { token: w.owner.token, body: { statement: statement(w.deviceId, ACT_GRANT_PUT, bytes) } });
    expect([again.status, again.body.error?.code]).toEqual([409, 'KW_CONFLICT']);
    expect((await commandsOf(id)).map((c) => c.action)).toEqual([ACT_OWNER_SIGNED]);
  });

  it('a parcel registered by a backend for a box in owner-consent mode waits for the owner, whose registration carries the bytes to sign', async () => {
    await consentModeLock();
    const window = { start: new Date(h.clock.now() - 60_000).toISOString(), end: new Date(h.clock.now() + HOUR_MS).toISOString() };
    const byBackend = await expectOk(h.api('POST', '/v1/parcels', { token: w.backend.token, body: { siteId: w.site.id, deviceId: w.deviceId, trackingNumber: 'PKG-1', window } }), 201);
    expect(byBackend.ownerSignature).toBeUndefined();
    expect((await row(byBackend.grantId)).status_reason).toBe('waiting: owner signature');
    const byOwner = await expectOk(h.api('POST', '/v1/parcels', { token: w.owner.token, body: { siteId: w.site.id, deviceId: w.deviceId, trackingNumber: 'PKG-2', window } }), 201);
    expect(decodePayload(ACT_GRANT_PUT, fromHex(byOwner.ownerSignature.payload)).grantId).toBe(byOwner.grantId);
    // The owner's device reads the backend's parcel request too.
    const req = await expectOk(h.api('GET', '/v1/grants/' + byBackend.grantId + '/owner-signature', { token: w.owner.token }));
    expect(decodePayload(ACT_GRANT_PUT, fromHex(req.payload)).grantId).toBe(byBackend.grantId);
    await new Promise((res) => setTimeout(res, 200));
    expect([...(await commandsOf(byBackend.grantId)), ...(await commandsOf(byOwner.grantId))].filter((c) => c.action !== ACT_GRANT_REVOKE)).toEqual([]);
  });
});
