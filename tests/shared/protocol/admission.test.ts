import { heavyRuns } from '../../support/time-scale';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ACT_LOCK, ACT_TIME_SET, ACT_UNLOCK, RC_BAD_FORMAT, RC_BAD_LENGTH, RC_BAD_SIGNATURE, RC_BAD_VERSION, RC_CLOCK_SKEW, RC_EXPIRED,
  RC_NO_TRUSTED_TIME, RC_NOT_PERMITTED, RC_OK, RC_REPLAY, RC_STALE_NONCE, RC_UNKNOWN_ACTION, RC_UNKNOWN_KEY,
  RC_WINDOW_TOO_LONG, RC_WRONG_DEVICE, admitCommand, attachSignature, encodeCommandBody, fromHex, initialReplayState,
  passesStrictChecks, precheckCommand, type AdmissionContext
} from '@keyway/shared';
import { nodeVerifyEd25519, signCommand, signerFromSeed } from '@keyway/shared/node';
import { T0, TEST_DEVICE_ID, TEST_NONCE, TEST_RELAY_SEED, TEST_RELAY_SEED_2, buildVectors } from '../../../scripts/protocol-vectors';

const relay = signerFromSeed(TEST_RELAY_SEED);
const stranger = signerFromSeed(TEST_RELAY_SEED_2);
const vectors = Object.fromEntries(buildVectors().map((v) => [v.name, v]));
/** Strict checks + OpenSSL: a reference verifier for these protocol tests. */
const verify = (m: Uint8Array, s: Uint8Array, p: Uint8Array) => passesStrictChecks(s, p) && nodeVerifyEd25519(m, s, p);

function ctx(over: Partial<AdmissionContext> = {}): AdmissionContext {
  return {
    deviceId: TEST_DEVICE_ID,
    keyFor: (id) => (id === relay.keyId ? relay.publicKey : null),
    now: T0 + 10,
    timeTrusted: true,
    nonce: TEST_NONCE,
    replay: initialReplayState(),
    ...over
  };
}

const unlockPayload = { grantId: 0, actorKind: 1, actorRef: 1, flags: 0, relockAfter: 0 };
function unlock(over: Partial<Parameters<typeof signCommand>[1]> = {}, signer = relay): Uint8Array {
  return signCommand(signer, { deviceId: TEST_DEVICE_ID, action: ACT_UNLOCK, notBefore: T0, notAfter: T0 + 60, counter: 1, payload: unlockPayload, ...over });
}

describe('command admission (docs/protocol.md §3.3)', () => {
  it('admits the published UNLOCK vector and returns the replay state to persist', () => {
    const a = admitCommand(fromHex(vectors['command-unlock'].hex as string), ctx(), verify);
    expect(a.code).toBe(RC_OK);
    expect(a.replayNext).toEqual({ high: 1, mask: 0 });
    expect(a.usedNonce).toBe(false);
  });

  it('refuses a command for another lock', () => {
    const other = fromHex('fedcba9876543210');
    expect(admitCommand(unlock({ deviceId: other }), ctx(), verify).code).toBe(RC_WRONG_DEVICE);
  });

  it('refuses an unknown key and a known key id with a forged signature', () => {
    expect(admitCommand(unlock({}, stranger), ctx(), verify).code).toBe(RC_UNKNOWN_KEY);
    // Same key id as the relay, signed by someone else.
    const body = encodeCommandBody({ deviceId: TEST_DEVICE_ID, keyId: relay.keyId, action: ACT_UNLOCK, notBefore: T0, notAfter: T0 + 60, counter: 1, nonce: new Uint8Array(8), payload: new Uint8Array(12) });
    const forged = attachSignature(body, stranger.sign(body));
    expect(admitCommand(forged, ctx(), verify).code).toBe(RC_BAD_SIGNATURE);
  });

  it('refuses expired commands, far-future commands and over-long windows', () => {
    expect(admitCommand(unlock({ notBefore: T0 - 400, notAfter: T0 - 100 }), ctx(), verify).code).toBe(RC_EXPIRED);
    expect(admitCommand(unlock({ notBefore: T0 + 3600, notAfter: T0 + 3660 }), ctx(), verify).code).toBe(RC_CLOCK_SKEW);
    expect(admitCommand(unlock({ notBefore: T0, notAfter: T0 + 301 }), ctx(), verify).code).toBe(RC_WINDOW_TOO_LONG);
  });

  it('replays are refused once the state is committed', () => {
    const c = unlock({ counter: 5 });
    const first = admitCommand(c, ctx(), verify);
    expect(first.code).toBe(RC_OK);
    expect(admitCommand(c, ctx({ replay: first.replayNext! }), verify).code).toBe(RC_REPLAY);
  });

  it('without trusted time only a nonce-bound command is admitted', () => {
    expect(admitCommand(unlock(), ctx({ timeTrusted: false }), verify).code).toBe(RC_NO_TRUSTED_TIME);
    const bound = unlock({ nonce: TEST_NONCE, notBefore: 1, notAfter: 61 });
    const a = admitCommand(bound, ctx({ timeTrusted: false, now: 0 }), verify);
    expect(a.code).toBe(RC_OK);
    expect(a.usedNonce).toBe(true);
    // Even then a window longer than the action allows is refused.
    expect(admitCommand(unlock({ nonce: TEST_NONCE, notBefore: 1, notAfter: 1000 }), ctx({ timeTrusted: false }), verify).code).toBe(RC_WINDOW_TOO_LONG);
  });

  it('refuses a stale challenge and TIME_SET without one', () => {
    expect(admitCommand(unlock({ nonce: fromHex('0000000000000001') }), ctx(), verify).code).toBe(RC_STALE_NONCE);
    const t = signCommand(relay, { deviceId: TEST_DEVICE_ID, action: ACT_TIME_SET, notBefore: T0, notAfter: T0 + 60, counter: 2, payload: { time: T0 } });
    expect(admitCommand(t, ctx(), verify).code).toBe(RC_NOT_PERMITTED);
    expect(admitCommand(fromHex(vectors['command-time-set'].hex as string), ctx(), verify).code).toBe(RC_OK);
  });

  it('refuses unknown actions and wrong versions before any signature work', () => {
    let verifies = 0;
    const counting = (m: Uint8Array, s: Uint8Array, p: Uint8Array) => (verifies++, verify(m, s, p));
    const body = encodeCommandBody({ deviceId: TEST_DEVICE_ID, keyId: relay.keyId, action: 0x7e, notBefore: T0, notAfter: T0 + 60, counter: 1, nonce: new Uint8Array(8), payload: new Uint8Array(0) });
    expect(admitCommand(attachSignature(body, relay.sign(body)), ctx(), counting).code).toBe(RC_UNKNOWN_ACTION);
    const v = Uint8Array.from(fromHex(vectors['command-unlock'].hex as string));
    v[8] = 2;
    expect(admitCommand(v, ctx(), counting).code).toBe(RC_BAD_VERSION);
    expect(admitCommand(new Uint8Array(3), ctx(), counting).code).toBe(RC_BAD_LENGTH);
    expect(admitCommand(new Uint8Array(120), ctx(), counting).code).toBe(RC_BAD_FORMAT); // wrong tag
    expect(verifies).toBe(0);
  });

  it('precheck does not verify: a valid-looking command with a bad signature passes precheck only', () => {
    const c = Uint8Array.from(unlock());
    c[c.length - 1] ^= 1;
    expect(precheckCommand(c, ctx()).code).toBe(RC_OK);
    expect(admitCommand(c, ctx(), verify).code).toBe(RC_BAD_SIGNATURE);
  });

  it('every single-bit change of a signed command is refused (property over all bits of two vectors)', () => {
    const inputs = [fromHex(vectors['command-unlock'].hex as string), unlock({ action: ACT_LOCK, payload: { actorKind: 1, actorRef: 2 }, counter: 9 })];
    for (const original of inputs) {
      for (let bit = 0; bit < original.length * 8; bit++) {
        const m = Uint8Array.from(original);
        m[bit >> 3] ^= 1 << (bit & 7);
        const code = admitCommand(m, ctx(), verify).code;
        expect(code, 'bit ' + bit).not.toBe(RC_OK);
      }
    }
  });

  it('random multi-byte corruption is refused (property)', () => {
    const original = fromHex(vectors['command-grant-put'].hex as string);
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(original.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }), (edits) => {
      const m = Uint8Array.from(original);
      for (const [pos, x] of edits) m[pos] ^= x;
      expect(admitCommand(m, ctx(), verify).code).not.toBe(RC_OK);
    }), { numRuns: heavyRuns(1000) });
  });
});
