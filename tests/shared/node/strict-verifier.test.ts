// Vectors: RFC 8032 §7.1 and the adversarial inputs (tests/shared/ed25519/), the same suite the
// lock's portable verifier runs; then side by side with that verifier on random and tampered triples.
import { generateKeyPairSync, sign, verify as osslVerify, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isAcceptablePublicKey, passesStrictChecks, verifyStrict } from '@keyway/shared';
import { DEFAULT_KEY_CACHE_SIZE, strictNodeVerifier } from '@keyway/shared/node';
import { adversarialCases, honestSample } from '../ed25519/adversarial';
import { verifierContract } from '../ed25519/verifier-contract';
import { heavyRuns } from '../../support/time-scale';

verifierContract(strictNodeVerifier(), { propertyRuns: heavyRuns(200) });
// A one-key cache: every change of key evicts, so the contract also runs on the eviction path.
verifierContract(strictNodeVerifier(1), { propertyRuns: heavyRuns(100) });

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** OpenSSL alone, without the strict checks. */
function openssl(msg: Uint8Array, sig: Uint8Array, pub: Uint8Array): boolean {
  try {
    return osslVerify(null, msg, createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' }), sig);
  } catch {
    return false;
  }
}

function keyPair() {
  const kp = generateKeyPairSync('ed25519');
  return { priv: kp.privateKey, pub: new Uint8Array(kp.publicKey.export({ format: 'der', type: 'spki' }).subarray(12)) };
}

describe('strictNodeVerifier: each strictness rule refused, where OpenSSL alone would accept or not', () => {
  const v = strictNodeVerifier();
  for (const c of adversarialCases()) {
    it(c.name, () => {
      expect(v.verify(c.msg, c.sig, c.pub)).toBe(false);
      expect(verifyStrict(c.msg, c.sig, c.pub), 'the portable verifier agrees').toBe(false);
    });
  }

  it('the strict checks are what refuses the inputs OpenSSL accepts (at least ten of them)', () => {
    const opensslAccepts = adversarialCases().filter((c) => openssl(c.msg, c.sig, c.pub)).map((c) => c.name);
    expect(opensslAccepts.length).toBeGreaterThanOrEqual(10);
    expect(opensslAccepts.filter((n) => v.verify(...caseArgs(n)))).toEqual([]);
  });

  function caseArgs(name: string): [Uint8Array, Uint8Array, Uint8Array] {
    const c = adversarialCases().find((x) => x.name === name)!;
    return [c.msg, c.sig, c.pub];
  }
});

describe('strictNodeVerifier against the portable verifier', () => {
  it('gives the same verdict on random triples, most of them tampered, across several keys', () => {
    // A two-key cache over four keys: hits, misses and evictions all happen.
    const v = strictNodeVerifier(2);
    const keys = [keyPair(), keyPair(), keyPair(), keyPair()];
    const disagreements: string[] = [];
    let accepted = 0;
    let state = 0x9e3779b9;
    const rnd = (n: number) => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % n;
    };
    const n = heavyRuns(2000);
    for (let i = 0; i < n; i++) {
      const k = keys[rnd(keys.length)];
      const msg = new Uint8Array(rnd(120));
      for (let j = 0; j < msg.length; j++) msg[j] = rnd(256);
      const sig = new Uint8Array(sign(null, msg, k.priv));
      let pub = k.pub;
      const mode = rnd(6);
      if (mode === 1) sig[rnd(64)] ^= 1 << rnd(8);
      else if (mode === 2 && msg.length > 0) msg[rnd(msg.length)] ^= 1 << rnd(8);
      else if (mode === 3) pub = keys[(keys.indexOf(k) + 1) % keys.length].pub; // another cached key
      else if (mode === 4) {
        pub = new Uint8Array(pub);
        pub[rnd(32)] ^= 1 << rnd(8);
      }
      const ours = v.verify(msg, sig, pub);
      if (ours) accepted++;
      if (ours !== verifyStrict(msg, sig, pub)) disagreements.push(`#${i} mode ${mode}: node ${ours}`);
    }
    expect(disagreements).toEqual([]);
    expect(accepted).toBeGreaterThan(n / 4);
    expect(accepted).toBeLessThan(n);
    expect(v.cachedKeys).toBeLessThanOrEqual(2);
  });
});

describe('strictNodeVerifier key objects', () => {
  it('keeps at most the configured number, least recently used dropped first, and still verifies an evicted key', () => {
    const v = strictNodeVerifier(2);
    const ks = [keyPair(), keyPair(), keyPair()];
    const msg = new Uint8Array([1, 2, 3]);
    const sigs = ks.map((k) => new Uint8Array(sign(null, msg, k.priv)));
    expect(v.verify(msg, sigs[0], ks[0].pub)).toBe(true);
    expect(v.verify(msg, sigs[1], ks[1].pub)).toBe(true);
    expect(v.verify(msg, sigs[0], ks[0].pub)).toBe(true); // key 0 is now the most recent
    expect(v.verify(msg, sigs[2], ks[2].pub)).toBe(true); // evicts key 1
    expect(v.cachedKeys).toBe(2);
    expect(v.verify(msg, sigs[1], ks[1].pub)).toBe(true);
    expect(v.verify(msg, sigs[1], ks[0].pub), 'a signature under another cached key').toBe(false);
    expect(v.cachedKeys).toBe(2);
  });

  it('builds no key object for a key the strict checks refuse', () => {
    const v = strictNodeVerifier();
    const cases = adversarialCases();
    for (const c of cases) v.verify(c.msg, c.sig, c.pub);
    const loadable = new Set(cases.filter((c) => passesStrictChecks(c.sig, c.pub)).map((c) => Buffer.from(c.pub).toString('hex')));
    const refusedKeys = new Set(cases.filter((c) => !isAcceptablePublicKey(c.pub)).map((c) => Buffer.from(c.pub).toString('hex')));
    expect(refusedKeys.size).toBeGreaterThanOrEqual(10);
    expect(v.cachedKeys).toBe(loadable.size);
    for (const k of refusedKeys) expect(loadable.has(k)).toBe(false);
    const h = honestSample();
    expect(v.verify(h.msg, h.sig, h.pub)).toBe(true);
  });

  it('refuses a cache of no keys, and defaults to one per lock of a large site', () => {
    expect(() => strictNodeVerifier(0)).toThrow(/KEY_CACHE_SIZE/);
    expect(() => strictNodeVerifier(1.5)).toThrow(/KEY_CACHE_SIZE/);
    expect(DEFAULT_KEY_CACHE_SIZE).toBeGreaterThanOrEqual(1024);
  });
});
