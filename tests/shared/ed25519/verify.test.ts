// Vectors: RFC 8032 §7.1 (rfc8032-vectors.ts); adversarial inputs from the BigInt reference (adversarial.ts).
import { createPublicKey, generateKeyPairSync, sign, verify as osslVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodePointValid, fastVerifier, forgetKeyTables, SMALL_ORDER_POINTS, toHex, verifyStrict } from '@keyway/shared';
import { cachedKeyTable } from '../../../shared/src/ed25519/key-table';
import { smallOrderPoints } from '../../support/ed25519-bigint';
import { tweetnaclStrictVerifier } from '../../support/tweetnacl-strict';
import { adversarialCases, hexToBytes, offCurveKeys } from './adversarial';
import { RFC8032 } from './rfc8032-vectors';
import { verifierContract } from './verifier-contract';
import { heavyRuns } from '../../support/time-scale';

const TRIPLES = heavyRuns(10_000);

verifierContract(fastVerifier, { propertyRuns: heavyRuns(200) });
verifierContract(tweetnaclStrictVerifier, { propertyRuns: heavyRuns(60) });

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** node:crypto (OpenSSL) verification of raw bytes; a key OpenSSL refuses to load counts as a rejection. */
function openssl(msg: Uint8Array, sig: Uint8Array, pub: Uint8Array): boolean {
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });
    return osslVerify(null, msg, key, sig);
  } catch {
    return false;
  }
}

/** Deterministic pseudo-randomness so a failure can be replayed: rnd(n) is in [0, n). */
function xorshift(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
}

function keyPair() {
  const kp = generateKeyPairSync('ed25519');
  return { priv: kp.privateKey, pub: new Uint8Array(kp.publicKey.export({ format: 'der', type: 'spki' }).subarray(12)) };
}

describe('verifyStrict', () => {
  it('the eight small-order encodings recomputed from the curve equal SMALL_ORDER_POINTS', () => {
    expect(smallOrderPoints().map((p) => toHex(p)).sort()).toEqual([...SMALL_ORDER_POINTS].sort());
  });

  it(`agrees with node:crypto on ${TRIPLES} random triples (10,000 outside CI), half of them tampered`, () => {
    const rnd = xorshift(0x2545f491);
    const keys = Array.from({ length: 40 }, keyPair);
    let tampered = 0;
    let accepted = 0;
    const disagreements: string[] = [];
    for (let i = 0; i < TRIPLES; i++) {
      const k = keys[rnd(keys.length)];
      const msg = new Uint8Array(rnd(200)).map(() => rnd(256));
      const sig = new Uint8Array(sign(null, msg, k.priv));
      let pub = k.pub;
      const mode = rnd(8);
      if (mode === 1 && msg.length > 0) msg[rnd(msg.length)] ^= 1 + rnd(255);
      else if (mode === 2) sig[rnd(32)] ^= 1 + rnd(255); // R
      else if (mode === 3) sig[32 + rnd(32)] ^= 1 + rnd(255); // S
      else if (mode === 4) {
        pub = new Uint8Array(pub);
        pub[rnd(32)] ^= 1 + rnd(255);
      } else if (mode === 5) sig.set(new Uint8Array(32).map(() => rnd(256)), 32); // random S, often >= L
      if (mode >= 1 && mode <= 5) tampered++;
      const ours = verifyStrict(msg, sig, pub);
      const theirs = openssl(msg, sig, pub);
      if (ours) accepted++;
      if (ours !== theirs) disagreements.push(`#${i} mode ${mode}: ours ${ours}, openssl ${theirs}, key ${toHex(pub)}`);
    }
    expect(disagreements).toEqual([]);
    expect(tampered).toBeGreaterThan(TRIPLES * 0.4);
    expect(accepted).toBeGreaterThan(TRIPLES * 0.3);
  });

  it('keeps the last key\'s table: 3,000 triples on one relay key (a second key now and then) agree with node:crypto', () => {
    const rnd = xorshift(0x1234567);
    const relay = keyPair();
    const other = keyPair();
    forgetKeyTables();
    const disagreements: string[] = [];
    let hits = 0;
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const k = rnd(10) === 0 ? other : relay;
      const msg = new Uint8Array(1 + rnd(120)).map(() => rnd(256));
      const sig = new Uint8Array(sign(null, msg, k.priv));
      let pub = k.pub;
      const mode = rnd(6);
      if (mode === 1) msg[rnd(msg.length)] ^= 1 + rnd(255);
      else if (mode === 2) sig[rnd(64)] ^= 1 + rnd(255);
      else if (mode === 3) {
        pub = new Uint8Array(pub);
        pub[rnd(32)] ^= 1 + rnd(255);
      } else if (mode === 4) pub = (k === relay ? other : relay).pub; // the other key's cached table must not be used
      if (cachedKeyTable(pub)) hits++;
      const ours = verifyStrict(msg, sig, pub);
      if (ours) accepted++;
      if (ours !== openssl(msg, sig, pub)) disagreements.push(`#${i} mode ${mode}: ours ${ours}`);
    }
    expect(disagreements).toEqual([]);
    expect(hits).toBeGreaterThan(1000); // the other key (mode 4, 1 in 10) takes the one slot
    expect(accepted).toBeGreaterThan(1000);
  });

  describe('deliberately stricter than OpenSSL', () => {
    // OpenSSL checks S < L and compares R byte for byte (so a non-canonical R fails there too),
    // but takes any curve point as the key and as R: small-order keys, the identity written
    // non-canonically, and a small-order R all pass its cofactorless equation. We reject them.
    const OPENSSL_ACCEPTS = /^(identity key|small-order key|small-order R = identity|non-canonical identity key)/;
    const loose = adversarialCases().filter((c) => c.loose);
    it('covers at least ten inputs the loose equation accepts', () => {
      expect(loose.length).toBeGreaterThanOrEqual(10);
      expect(loose.filter((c) => OPENSSL_ACCEPTS.test(c.name)).length).toBeGreaterThanOrEqual(10);
    });
    for (const c of loose) {
      const theirs = OPENSSL_ACCEPTS.test(c.name);
      it(c.name + (theirs ? ' (OpenSSL accepts)' : ' (OpenSSL rejects too)'), () => {
        expect(verifyStrict(c.msg, c.sig, c.pub)).toBe(false);
        expect(openssl(c.msg, c.sig, c.pub)).toBe(theirs);
      });
    }
  });

  it('never throws, whatever it is given', () => {
    const t = RFC8032[0];
    const weird: unknown[] = [undefined, null, NaN, {}, { length: 64 }, new Proxy({}, { get: () => { throw new Error('boom'); } })];
    for (const w of weird) {
      expect(() => verifyStrict(w as Uint8Array, hexToBytes(t.sig), hexToBytes(t.pub))).not.toThrow();
      expect(verifyStrict(hexToBytes(t.msg), w as Uint8Array, w as Uint8Array)).toBe(false);
    }
  });
});

describe('decodePointValid', () => {
  it('accepts real public keys and every small-order point (they are on the curve)', () => {
    for (const t of RFC8032) expect(decodePointValid(hexToBytes(t.pub))).toBe(true);
    for (const p of SMALL_ORDER_POINTS) expect(decodePointValid(hexToBytes(p))).toBe(true);
  });
  it('rejects off-curve, non-canonical and malformed encodings', () => {
    for (const k of offCurveKeys(8)) expect(decodePointValid(k)).toBe(false);
    const nonCanonical = adversarialCases().filter((c) => c.name.startsWith('non-canonical key') || c.name.includes('negative zero" key'));
    expect(nonCanonical.length).toBeGreaterThan(5);
    for (const c of nonCanonical) expect(decodePointValid(c.pub), c.name).toBe(false);
    for (const bad of [new Uint8Array(31), new Uint8Array(33), [1, 2, 3], 'ab', null]) expect(decodePointValid(bad as Uint8Array)).toBe(false);
  });
});
