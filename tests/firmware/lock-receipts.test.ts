/**
 * Receipts the lock signs itself (docs/protocol.md §6.2), on the real firmware in the simulator:
 * the lock makes its own key once and keeps it, signs a checkpoint after an entry once the door
 * is closed and the bolt thrown, and the receipt verifies offline against the lock's key and its
 * event chain, under tweetnacl too. Any changed byte of the receipt or of the chain fails.
 */
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import {
  ACT_UNLOCK, BOLT_LOCKED, BOLT_UNLOCKED, DOOR_CLOSED, EV_CAMERA, EV_OPERATION,
  checkReceipt, decodeReceipt, toHex
} from '@keyway/shared';
import {
  PV_HELLO, PV_INFO, base64Decode, base64Encode, decodeProvFrame, decodeStruct, encodeProvFrame, provInfo
} from '@keyway/shared';
import { createProvisioningSession, loadRecord, provisionFrame, readEvent, type Lock } from '@keyway/firmware';
import { createSimulatedLock } from '@keyway/hardware';
import { seededRandom } from '../support/engine-env';
import { BOARD, harness, lockConfig, provisionedFiles, unlockPayload, type Harness } from '../support/lock-harness';
import { courierEntry } from '../support/courier-entry';

function chain(h: Harness, from: number, to: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let s = from; s <= to; s++) out.push(readEvent(h.sim.lock.log!, s)!);
  return out;
}

function withReceipts(h: Harness): Uint8Array[] {
  const got: Uint8Array[] = [];
  h.sim.lock.onReceipt = (b) => got.push(b);
  return got;
}

describe('lock: its own key', () => {
  it('is made once at the first provisioned boot, stored, and kept across reboots', () => {
    const h = harness();
    const key = h.sim.lock.signer!;
    expect(key).not.toBeNull();
    const rec = loadRecord(h.sim.lock.ports.storage, 'kwlk').data!;
    expect(rec.length).toBe(64);
    // The stored seed is an ordinary Ed25519 seed: tweetnacl derives the same public key.
    expect(toHex(nacl.sign.keyPair.fromSeed(rec.subarray(0, 32)).publicKey)).toBe(toHex(key.publicKey));
    h.reboot();
    h.run(3000);
    expect(toHex(h.sim.lock.signer!.publicKey)).toBe(toHex(key.publicKey));
  });

  it('is made in slices, with the event loop running in between, and is new for a new flash', () => {
    // On the virtual clock no time passes inside a slice: a zero budget makes every step a slice.
    const h = harness({ options: { verifyBudgetMs: 0 } });
    const first = toHex(h.sim.lock.signer!.publicKey);
    h.sim.lock.ports.storage.erase('kwlk0');
    h.sim.lock.ports.storage.erase('kwlk1');
    h.reboot();
    // the first slice ran synchronously at boot; the rest waits for the event loop
    expect(h.sim.lock.signer).toBeNull();
    expect(h.sim.lock.signing).toBe(1);
    h.run(1000);
    expect(h.sim.lock.signing).toBe(0);
    expect(toHex(h.sim.lock.signer!.publicKey)).not.toBe(first);
  });
});

/** The INFO reply to a HELLO on the provisioning console. */
function hello(lock: Lock) {
  const line = provisionFrame(lock, createProvisioningSession(), base64Encode(encodeProvFrame({ type: PV_HELLO, seq: 1, payload: new Uint8Array(0) })));
  const f = decodeProvFrame(base64Decode(line.slice('KWP:'.length)));
  expect(f.type).toBe(PV_INFO);
  return decodeStruct(provInfo, f.payload);
}

describe('lock: its key before and across provisioning', () => {
  it('a fresh, unprovisioned lock makes its key and reports it on the provisioning console', () => {
    const sim = createSimulatedLock({ board: BOARD, files: {}, random: seededRandom() });
    sim.loop.advance(2000);
    expect(sim.lock.config).toBeNull();
    const pub = sim.lock.signer!.publicKey;
    const info = hello(sim.lock);
    expect(info.provisioned).toBe(0);
    expect(toHex(info.lockKey)).toBe(toHex(pub));
    sim.stop();
  });

  it('keeps its key when provisioned into a new identity, while the old identity\'s state is wiped', () => {
    const h = harness();
    const key = toHex(h.sim.lock.signer!.publicKey);
    expect(toHex(hello(h.sim.lock).lockKey)).toBe(key);
    const other = lockConfig([h.signer], new Uint8Array([9, 9, 9, 9, 9, 9, 9, 9]));
    const files = provisionedFiles(other);
    // the new configuration replaces the old one in the same flash
    for (const name of Object.keys(files)) h.sim.storage.files[name] = files[name];
    h.reboot();
    h.run(3000);
    expect(toHex(h.sim.lock.config!.deviceId)).toBe('0909090909090909');
    expect(toHex(h.sim.lock.signer!.publicKey)).toBe(key);
    expect(h.sim.lock.log!.seq).toBeLessThan(5); // the old log is gone
  });
});

describe('lock: signed receipts', () => {
  it('after a courier entry, signs the log head, the entry and the camera event; verifies offline and under tweetnacl', () => {
    const h = harness();
    const got = withReceipts(h);
    courierEntry(h);
    expect(got.length).toBe(1);
    const rc = decodeReceipt(got[0]);
    const pub = h.sim.lock.signer!.publicKey;
    expect(toHex(rc.lockKey)).toBe(toHex(pub));
    expect(nacl.sign.detached.verify(rc.signed, rc.signature, pub)).toBe(true);
    const op = h.events(EV_OPERATION).find((e) => e.data[0] === ACT_UNLOCK)!;
    const cam = h.events(EV_CAMERA).pop()!;
    expect(rc.entrySeq).toBe(op.seq);
    expect(rc.cameraSeq).toBe(cam.seq);
    expect(rc.grantId).toBe(op.ref);
    expect([rc.bolt, rc.door]).toEqual([BOLT_LOCKED, DOOR_CLOSED]);
    expect(rc.seq).toBeGreaterThan(rc.entrySeq);
    const events = chain(h, rc.cameraSeq, rc.seq);
    const ok = checkReceipt(got[0], pub, events);
    expect(ok.ok, JSON.stringify(ok)).toBe(true);
    // the relay has it pending until acknowledged, in a power-safe record
    expect(toHex(loadRecord(h.sim.lock.ports.storage, 'kwrc').data!)).toBe(toHex(got[0]));
  });

  it('fails on any changed byte of the receipt, any changed or missing event, or another key', () => {
    const h = harness();
    const got = withReceipts(h);
    courierEntry(h);
    const receipt = got[0];
    const pub = h.sim.lock.signer!.publicKey;
    const rc = decodeReceipt(receipt);
    const events = chain(h, rc.cameraSeq, rc.seq);
    for (let i = 0; i < receipt.length; i++) {
      const bad = new Uint8Array(receipt);
      bad[i] ^= 0x01;
      expect(checkReceipt(bad, pub, events).ok, 'receipt byte ' + i).toBe(false);
    }
    for (let e = 0; e < events.length; e++) {
      for (let i = 0; i < events[e].length; i += 3) {
        const copy = events.map((x) => new Uint8Array(x));
        copy[e][i] ^= 0x40;
        expect(checkReceipt(receipt, pub, copy).ok, 'event ' + e + ' byte ' + i).toBe(false);
      }
      const missing = events.filter((_, j) => j !== e);
      expect(checkReceipt(receipt, pub, missing).ok, 'without event ' + e).toBe(false);
    }
    expect(checkReceipt(receipt, pub, [...events].reverse()).ok).toBe(false);
    const other = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(3)).publicKey;
    const wrongKey = checkReceipt(receipt, other, events);
    expect(wrongKey.ok ? '' : wrongKey.fault).toBe('RECEIPT_WRONG_KEY');
    expect(checkReceipt(receipt.subarray(0, receipt.length - 1), pub, events).ok).toBe(false);
  });

  it('a direct unlock (grant 0, no camera) gets a receipt at its relock; the inside button gets none', () => {
    const h = harness();
    const got = withReceipts(h);
    h.trustTime();
    h.deliver(h.command(ACT_UNLOCK, unlockPayload({ relockAfter: 5 })));
    h.run(3000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    h.run(10_000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
    expect(got.length).toBe(1);
    const rc = decodeReceipt(got[0]);
    expect([rc.grantId, rc.cameraSeq]).toEqual([0, 0]);
    expect(checkReceipt(got[0], h.sim.lock.signer!.publicKey, chain(h, rc.entrySeq, rc.seq)).ok).toBe(true);
    // inside button: unlock and lock by hand, no receipt
    h.sim.device.pressButton(500);
    h.run(3000);
    h.sim.device.pressButton(500);
    h.run(3000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
    expect(got.length).toBe(1);
  });

  it('a receipt not yet acknowledged survives a reboot', () => {
    const h = harness();
    const got = withReceipts(h);
    courierEntry(h);
    h.reboot();
    h.run(3000);
    expect(toHex(h.sim.lock.receipt!)).toBe(toHex(got[0]));
  });
});
