/**
 * Owner statements through a real relay to a lock over real MQTT (docs/protocol.md §11): the
 * relay carries a statement signed on the owner's device as the payload of an OWNER_SIGNED
 * command byte for byte (it never strips or re-encodes the owner's signature), signs only the
 * envelope, and reports the lock's answer. The scripted lock here implements protocol version 1
 * only, so it refuses what it does not know: a relay never turns an owner request into a plain
 * one to get past such a lock. Malformed statements, statements for another lock and other
 * owners' locks are refused with nothing sent.
 */
import { describe, expect, it } from 'vitest';
import {
  ACT_GRANT_PUT, ACT_OWNER_KEY_ADD, ACT_OWNER_SIGNED, CRED_NONE, GRANT_GUEST, RC_NOT_PERMITTED, fromHex, toHex, verifyStrict
} from '@keyway/shared';
import { signOwnerStatement, signerFromSeed } from '@keyway/shared/node';
import { TEST_OWNER_SEED } from '../../scripts/protocol-vectors';
import { countRows, seedWorld, useWorld, waitUntil, type Harness, type World } from '../support/relay-harness';

const OWNER = signerFromSeed(TEST_OWNER_SEED);
let h: Harness;
let w: World;
useWorld((hh, ww) => {
  h = hh;
  w = ww;
});

const nowS = () => Math.floor(h.clock.now() / 1000);
function grantStatement(deviceHex: string, seq: number) {
  const s = signOwnerStatement(OWNER, {
    deviceId: fromHex(deviceHex), seq, notAfter: nowS() + 3600, action: ACT_GRANT_PUT,
    payload: {
      grantId: 500 + seq, kind: GRANT_GUEST, flags: 0, notBefore: nowS(), notAfter: nowS() + 86400, maxUses: 1, relockAfter: 0, tzOffset: 0, schedule: [],
      credential: { type: CRED_NONE, commitment: new Uint8Array(0), length: 0 }, actorRef: 9
    }
  });
  return new Uint8Array([...s.signed, ...s.signature]);
}
const post = (path: string, body: unknown, token = w.owner.token, device = w.deviceId) =>
  h.api('POST', '/v1/devices/' + device + path, { token, body });
const signedCount = () => countRows(h, 'commands', { device_id: w.deviceId, purpose: ['owner_statement', 'owner_key_add'] });

describe('relay: owner statements', () => {
  it('carries a statement to the lock byte for byte, signs only the envelope, and reports the lock\'s answer', async () => {
    await waitUntil(() => w.lock.timeTrusted, 5000, 'trusted time');
    const statement = grantStatement(w.deviceId, 1);
    const r = await post('/owner-statements', { statement: toHex(statement) });
    // This lock speaks version 1 only: it refuses, and the relay says so instead of downgrading.
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'KW_ENTRY_DENIED', details: { reason: 'NOT_PERMITTED', code: RC_NOT_PERMITTED } });
    const got = w.lock.commands.filter((c) => c.action === ACT_OWNER_SIGNED);
    expect(got).toHaveLength(1);
    // The relay's signature verified at the lock (a bad one is refused before the action), and the
    // payload is the owner's statement itself, whose signature still verifies under the owner key.
    expect(got[0].code).toBe(RC_NOT_PERMITTED);
    const carried = new Uint8Array([...got[0].payload.signed, ...got[0].payload.signature]);
    expect(toHex(carried)).toBe(toHex(statement));
    expect(verifyStrict(got[0].payload.signed, got[0].payload.signature, OWNER.publicKey)).toBe(true);
    // No plain GRANT_PUT was made of it.
    expect(w.lock.commands.filter((c) => c.action === ACT_GRANT_PUT && c.payload?.grantId === 501)).toEqual([]);
  });

  it('enrols an owner key with a relay-signed OWNER_KEY_ADD naming the key and its id', async () => {
    const r = await post('/owner-keys', { publicKey: toHex(OWNER.publicKey) });
    expect(r.status).toBe(409); // the version-1 lock does not know the action
    const got = w.lock.commands.filter((c) => c.action === ACT_OWNER_KEY_ADD);
    expect(got).toHaveLength(1);
    expect(got[0].payload.ownerKeyId).toBe(OWNER.keyId);
    expect(toHex(got[0].payload.ownerKey)).toBe(toHex(OWNER.publicKey));
  });

  it('refuses malformed statements, statements for another lock, bad keys and other owners\' locks, sending nothing', async () => {
    const before = { signed: await signedCount(), received: w.lock.commands.length };
    const good = grantStatement(w.deviceId, 2);
    const v1 = new Uint8Array(good);
    v1[8] = 1;
    const cases: Array<[string, unknown, number, string]> = [
      ['/owner-statements', { statement: toHex(good.subarray(0, good.length - 1)) }, 400, 'KW_OWNER_STATEMENT_INVALID'],
      ['/owner-statements', { statement: toHex(v1) }, 400, 'KW_OWNER_STATEMENT_INVALID'],
      ['/owner-statements', { statement: toHex(grantStatement('0123456789abcdef', 3)) }, 400, 'KW_OWNER_STATEMENT_INVALID'],
      ['/owner-statements', { statement: 'zz' }, 400, 'KW_VALIDATION'],
      ['/owner-statements', { statement: toHex(good), extra: 1 }, 400, 'KW_VALIDATION'],
      ['/owner-keys', { publicKey: '01' + '00'.repeat(31) }, 400, 'KW_OWNER_STATEMENT_INVALID'],
      ['/owner-keys', { publicKey: 'ab' }, 400, 'KW_VALIDATION']
    ];
    for (const [path, body, status, code] of cases) {
      const r = await post(path, body);
      expect([path, r.status, r.body.error?.code]).toEqual([path, status, code]);
    }
    const other = await seedWorld(h, { connect: false });
    try {
      const r = await post('/owner-statements', { statement: toHex(grantStatement(other.deviceId, 4)) }, w.owner.token, other.deviceId);
      expect(r.status).toBe(404);
      const k = await post('/owner-keys', { publicKey: toHex(OWNER.publicKey) }, other.owner.token, w.deviceId);
      expect(k.status).toBe(404);
    } finally {
      await other.lock.close();
    }
    await new Promise((res) => setTimeout(res, 300));
    expect({ signed: await signedCount(), received: w.lock.commands.length }).toEqual(before);
  });
});
