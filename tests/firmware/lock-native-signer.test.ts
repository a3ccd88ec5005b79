/**
 * The simulator's native receipt signer (Natives.ed25519Sign, node:crypto) against the firmware's
 * own sliced pure-JS signer: the same signature bytes for the same key and message, the same
 * receipt from the same entry; and a native that throws, returns the wrong length or is handed a
 * key record that is not the lock's key signs nothing (no receipt, nothing stored, nothing sent).
 */
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import {
  beginSign, fromHex, runSliced, signingKey, toHex
} from '@keyway/shared';
import { publicKeyFromSeed } from '@keyway/shared/node';
import { loadRecord } from '@keyway/firmware';
import { nodeEd25519Signer } from '@keyway/hardware';
import { harness, type Harness } from '../support/lock-harness';
import { courierEntry } from '../support/courier-entry';

/** RFC 8032 §7.1 TEST 1 and TEST 3 seeds, and a lock-sized key. */
const SEEDS = [
  '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
  '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20'
];

function pureJsSign(msg: Uint8Array, seed: Uint8Array): Uint8Array {
  const task = beginSign(msg, signingKey(seed, publicKeyFromSeed(seed)));
  let out: Uint8Array | null = null;
  runSliced(task, { now: () => 0, defer: (fn) => fn(), budgetMs: 1e9 }, () => {
    out = task.output;
  });
  return out!;
}

/** Receipts a lock made in one courier entry, and what it logged. */
function entryReceipts(sign?: (msg: Uint8Array, seed: Uint8Array, pub: Uint8Array) => Uint8Array): { receipts: Uint8Array[]; logs: string[]; h: Harness } {
  const h = harness({ ed25519Sign: sign });
  const receipts: Uint8Array[] = [];
  h.sim.lock.onReceipt = (b) => receipts.push(b);
  const logs: string[] = [];
  const log = h.sim.lock.ports.log;
  h.sim.lock.ports.log = (m) => {
    logs.push(m);
    log(m);
  };
  courierEntry(h);
  return { receipts, logs, h };
}

describe('native receipt signer (simulator only)', () => {
  it('gives byte-identical signatures to the firmware\'s pure-JS signer and to tweetnacl', () => {
    const sign = nodeEd25519Signer();
    for (const hex of SEEDS) {
      const seed = fromHex(hex);
      const pub = publicKeyFromSeed(seed);
      for (const msg of [new Uint8Array(0), fromHex('72'), new Uint8Array(200).map((_, i) => (i * 7) & 0xff)]) {
        const native = toHex(sign(msg, seed, pub));
        expect(native).toBe(toHex(pureJsSign(msg, seed)));
        expect(native).toBe(toHex(nacl.sign.detached(msg, nacl.sign.keyPair.fromSeed(seed).secretKey)));
      }
    }
  });

  it('throws when the public key is not the seed\'s', () => {
    const sign = nodeEd25519Signer();
    const seed = fromHex(SEEDS[0]);
    expect(() => sign(new Uint8Array(1), seed, publicKeyFromSeed(fromHex(SEEDS[1])))).toThrow(/LOCK_KEY_MISMATCH/);
  });

  it('a lock signing natively publishes the same receipt, byte for byte, as one signing in slices', () => {
    const js = entryReceipts();
    const native = entryReceipts(nodeEd25519Signer());
    expect(js.receipts.length).toBe(1);
    expect(native.receipts.map(toHex)).toEqual(js.receipts.map(toHex));
    expect(toHex(loadRecord(native.h.sim.lock.ports.storage, 'kwrc').data!)).toBe(toHex(native.receipts[0]));
  });

  for (const [what, sign] of [
    ['throws', () => {
      throw new Error('native failure');
    }],
    ['returns 63 bytes', () => new Uint8Array(63)],
    ['returns a string', () => 'x'.repeat(64) as unknown as Uint8Array]
  ] as const) {
    it('fails closed when the native ' + what + ': no receipt, none stored, and the lock keeps working', () => {
      const r = entryReceipts(sign);
      expect(r.receipts).toEqual([]);
      expect(r.h.sim.lock.receipt).toBeNull();
      expect(loadRecord(r.h.sim.lock.ports.storage, 'kwrc').data).toBeNull();
      expect(r.logs).toContain('receipt signing failed');
      expect(r.h.sim.lock.signing).toBe(0);
      // the next entry still works
      courierEntry(r.h);
    });
  }

  it('signs nothing when the key record is not the key the lock signs with', () => {
    let calls = 0;
    const h = harness({ ed25519Sign: (m, s, p) => {
      calls++;
      return nodeEd25519Signer()(m, s, p);
    } });
    // Another key in use than the record holds (the record is only read back for the native call).
    const other = fromHex(SEEDS[2]);
    h.sim.lock.signer = signingKey(other, publicKeyFromSeed(other));
    const receipts: Uint8Array[] = [];
    h.sim.lock.onReceipt = (b) => receipts.push(b);
    courierEntry(h);
    expect(calls).toBe(0);
    expect(receipts).toEqual([]);
  });
});
