/**
 * The contract every lock-side Ed25519 verifier meets (shared/src/ed25519/verifier.ts), run
 * against each implementation (docs/conventions.md#tests-in-three-layers): RFC 8032 vectors, the strictness rules of
 * docs/product.md#security-properties on adversarial inputs, malformed input, and a property test that a valid signature
 * verifies while any single-bit change of message, signature or key is rejected.
 */
import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Verifier } from '@keyway/shared';
import { adversarialCases, hexToBytes, honestSample } from './adversarial';
import { RFC8032 } from './rfc8032-vectors';

const PKCS8_PREFIX = '302e020100300506032b657004220420';

export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([Buffer.from(PKCS8_PREFIX, 'hex'), seed]), format: 'der', type: 'pkcs8' });
}

export function rawPublicKey(key: KeyObject): Uint8Array {
  return new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12));
}

function flip(b: Uint8Array, bit: number): Uint8Array {
  const c = new Uint8Array(b);
  c[bit >> 3] ^= 1 << (bit & 7);
  return c;
}

export interface ContractOptions {
  /** fast-check runs of the single-bit property */
  propertyRuns: number;
}

export function verifierContract(v: Verifier, options: ContractOptions): void {
  describe('Verifier contract: ' + v.name, () => {
    it('accepts the RFC 8032 §7.1 vectors', () => {
      for (const t of RFC8032) expect(v.verify(hexToBytes(t.msg), hexToBytes(t.sig), hexToBytes(t.pub)), t.name).toBe(true);
    });

    it('rejects each RFC vector with the first or last bit of R, S, key or message flipped', () => {
      for (const t of RFC8032) {
        const msg = hexToBytes(t.msg);
        const sig = hexToBytes(t.sig);
        const pub = hexToBytes(t.pub);
        for (const bit of [0, 255, 256, 511]) expect(v.verify(msg, flip(sig, bit), pub), t.name + ' sig bit ' + bit).toBe(false);
        for (const bit of [0, 254]) expect(v.verify(msg, sig, flip(pub, bit)), t.name + ' key bit ' + bit).toBe(false);
        if (msg.length > 0) expect(v.verify(flip(msg, msg.length * 8 - 1), sig, pub), t.name + ' msg').toBe(false);
      }
    });

    it('accepts the honest signature the adversarial cases are mutated from', () => {
      const h = honestSample();
      expect(v.verify(h.msg, h.sig, h.pub)).toBe(true);
    });

    it('rejects every adversarial case (non-canonical S, small-order and non-canonical points, off-curve keys)', () => {
      const accepted = adversarialCases().filter((c) => v.verify(c.msg, c.sig, c.pub)).map((c) => c.name);
      expect(accepted).toEqual([]);
    });

    it('rejects wrong lengths', () => {
      const t = RFC8032[1];
      const msg = hexToBytes(t.msg);
      const sig = hexToBytes(t.sig);
      const pub = hexToBytes(t.pub);
      for (const n of [0, 31, 33, 63, 65, 128]) {
        const s = new Uint8Array(n);
        s.set(sig.subarray(0, Math.min(n, 64)));
        expect(v.verify(msg, s, pub), 'signature length ' + n).toBe(false);
      }
      for (const n of [0, 31, 33, 64]) {
        const p = new Uint8Array(n);
        p.set(pub.subarray(0, Math.min(n, 32)));
        expect(v.verify(msg, sig, p), 'key length ' + n).toBe(false);
      }
    });

    it('rejects inputs that are not Uint8Array, without throwing', () => {
      const t = RFC8032[2];
      const msg = hexToBytes(t.msg);
      const sig = hexToBytes(t.sig);
      const pub = hexToBytes(t.pub);
      const others: unknown[] = [undefined, null, 0, 'af82', [], {}, Array.from(sig), new Uint16Array(64), sig.buffer];
      for (const o of others) {
        expect(v.verify(o as Uint8Array, sig, pub)).toBe(false);
        expect(v.verify(msg, o as Uint8Array, pub)).toBe(false);
        expect(v.verify(msg, sig, o as Uint8Array)).toBe(false);
      }
      expect(v.verify(Buffer.from(msg), Buffer.from(sig), Buffer.from(pub)), 'a Buffer is a Uint8Array').toBe(true);
    });

    it('property: a valid signature verifies; any single-bit flip of message, signature or key is rejected', () => {
      fc.assert(fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 96 }),
        fc.constantFrom('msg', 'sig', 'key'),
        fc.nat(),
        (seed, msg, where, n) => {
          const key = privateKeyFromSeed(seed);
          const pub = rawPublicKey(key);
          const sig = new Uint8Array(sign(null, msg, key));
          if (!v.verify(msg, sig, pub)) return false;
          if (where === 'msg') return msg.length === 0 || !v.verify(flip(msg, n % (msg.length * 8)), sig, pub);
          if (where === 'sig') return !v.verify(msg, flip(sig, n % 512), pub);
          return !v.verify(msg, sig, flip(pub, n % 256));
        }
      ), { numRuns: options.propertyRuns });
    });
  });
}
