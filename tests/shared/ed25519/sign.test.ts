// Signing with the lock's key (shared/src/ed25519/sign-task.ts) against tweetnacl and node:crypto:
// Ed25519 signatures are deterministic, so they must match byte for byte.
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { beginSign, publicKeyNow, signingKey, signNow, verifyStrict } from '../../../shared/src/ed25519/index';
import { mulAddModL } from '../../../shared/src/ed25519/scalar';
import { L, bigToLe, leToBig } from '../../support/ed25519-bigint';
import { RFC8032 } from './rfc8032-vectors';

let state = 7;
function rndBytes(n: number): Uint8Array {
  return new Uint8Array(n).map(() => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state >>> 24;
  });
}

const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('hex') : 'null');

function nodeVerifies(msg: Uint8Array, sig: Uint8Array, pub: Uint8Array): boolean {
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub]), format: 'der', type: 'spki' });
  return nodeVerify(null, msg, key, sig);
}

describe('mulAddModL', () => {
  it('matches BigInt (k·a + r) mod L on edge and 3,000 random reduced scalars', () => {
    const edges = [0n, 1n, L - 1n, 2n ** 252n];
    const cases: bigint[][] = [];
    for (const k of edges) for (const a of edges) for (const r of edges) cases.push([k, a, r]);
    for (let n = 0; n < 3000; n++) cases.push([leToBig(rndBytes(32)) % L, leToBig(rndBytes(32)) % L, leToBig(rndBytes(32)) % L]);
    for (const [k, a, r] of cases) {
      expect(leToBig(mulAddModL(bigToLe(k, 32), bigToLe(a, 32), bigToLe(r, 32)))).toBe((k * a + r) % L);
    }
  });
});

describe('lock signing key', () => {
  it('reproduces the RFC 8032 test vectors (public keys and signatures)', () => {
    for (const t of RFC8032) {
      if (!t.seed) continue;
      const seed = Buffer.from(t.seed, 'hex');
      const pub = publicKeyNow(new Uint8Array(seed));
      expect(hex(pub), t.name).toBe(t.pub);
      expect(hex(signNow(new Uint8Array(Buffer.from(t.msg, 'hex')), signingKey(new Uint8Array(seed), pub!))), t.name).toBe(t.sig);
    }
  });

  it('matches tweetnacl byte for byte on 300 random seeds and messages, and verifies under node:crypto and our verifier', () => {
    for (let n = 0; n < 300; n++) {
      const seed = rndBytes(32);
      const msg = rndBytes(n % 200);
      const kp = nacl.sign.keyPair.fromSeed(seed);
      const pub = publicKeyNow(seed)!;
      expect(hex(pub)).toBe(hex(kp.publicKey));
      const sig = signNow(msg, signingKey(seed, pub))!;
      expect(hex(sig)).toBe(hex(nacl.sign.detached(msg, kp.secretKey)));
      expect(nodeVerifies(msg, sig, pub)).toBe(true);
      expect(verifyStrict(msg, sig, pub)).toBe(true);
    }
  });

  it('runs in bounded slices (many steps) and copies the message', () => {
    const seed = rndBytes(32);
    const pub = publicKeyNow(seed)!;
    const msg = rndBytes(100);
    const want = signNow(msg, signingKey(seed, pub));
    const task = beginSign(msg, signingKey(seed, pub));
    msg[0] ^= 1; // the caller reusing its buffer does not change what is signed
    let steps = 1;
    while (!task.step()) steps++;
    expect(steps).toBeGreaterThan(5);
    expect(task.result).toBe(true);
    expect(hex(task.output)).toBe(hex(want));
  });

  it('refuses bad input with no output instead of throwing', () => {
    const seed = rndBytes(32);
    const pub = publicKeyNow(seed)!;
    expect(publicKeyNow(rndBytes(31))).toBeNull();
    expect(signNow('x' as unknown as Uint8Array, signingKey(seed, pub))).toBeNull();
    const key = signingKey(seed, pub);
    key.scalar = new Uint8Array(32).fill(0xff); // not reduced
    expect(signNow(rndBytes(10), key)).toBeNull();
  });
});
