/**
 * The lock's own Ed25519 key (docs/firmware.md, "Receipts"): made on the lock at its first boot,
 * from its random source mixed by SHA-512 the way challenges are (boot count, counters, timer
 * jitter, an ADC reading, the current challenge, the device id if any), and kept as one
 * power-safe record (seed ‖ public key) that belongs to the board: re-provisioning keeps it. The
 * seed never leaves the lock: nothing reads the record back out; the public key is reported on
 * the provisioning console (INFO) and in every signed receipt. It is computed in slices, like a
 * verification.
 */
import {
  SEED_LENGTH, beginPublicKey, beginSign, concatBytes, copyBytes, bytesEqual, runSliced, sha512, signingKey, type SigningKey, type SignTask
} from '@keyway/shared';
import type { Lock } from './lock-state';
import { LOCK_KEY_RECORD } from './persistence';
import { loadRecord, saveRecord, type RecordSlot } from './record-store';
import type { StoragePort } from './ports';
import { fitVerifierMemory } from './verifier-memory';

export { LOCK_KEY_RECORD };

function u32Bytes(v: number): Uint8Array {
  return new Uint8Array([Math.floor(v / 0x1000000) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
}

export function loadLockKey(storage: StoragePort): { key: SigningKey | null; rec: RecordSlot } {
  const r = loadRecord(storage, LOCK_KEY_RECORD);
  const d = r.data;
  const key = d && d.length === 2 * SEED_LENGTH ? signingKey(copyBytes(d, 0, SEED_LENGTH), copyBytes(d, SEED_LENGTH, 2 * SEED_LENGTH)) : null;
  return { key: key, rec: r.slot };
}

/** Runs a signing task in slices on the lock's timers (the motor, door and MQTT run in between). */
export function runOnLock(lock: Lock, task: SignTask, done: (out: Uint8Array | null) => void): void {
  const t = lock.ports.timers;
  lock.signing++;
  let last = t.millis();
  runSliced(task, {
    now: function () {
      return t.millis();
    },
    defer: function (fn: () => void) {
      const n = t.millis();
      if (n - last > lock.stats.maxSliceMs) lock.stats.maxSliceMs = n - last;
      t.setTimeout(function () {
        last = t.millis();
        fn();
      }, 0);
    },
    budgetMs: lock.opt.verifyBudgetMs
  }, function () {
    lock.signing--;
    fitVerifierMemory(lock);
    done(task.output);
  });
}

/**
 * Signs `body` with the lock's key: natively where the platform offers it (Natives.ed25519Sign;
 * the seed is read back from the key record for that call only and must match the key in use),
 * else in slices. `done(null)` when nothing could be signed; called from a timer either way.
 */
export function signOnLock(lock: Lock, body: Uint8Array, signer: SigningKey, done: (sig: Uint8Array | null) => void): void {
  const native = lock.ports.natives.ed25519Sign;
  if (!native) {
    runOnLock(lock, beginSign(body, signer), done);
    return;
  }
  lock.signing++;
  lock.ports.timers.setTimeout(function () {
    lock.signing--;
    let sig: Uint8Array | null = null;
    try {
      const d = loadRecord(lock.ports.storage, LOCK_KEY_RECORD).data;
      const pub = d && d.length === 2 * SEED_LENGTH ? copyBytes(d, SEED_LENGTH, 2 * SEED_LENGTH) : null;
      if (pub && bytesEqual(pub, signer.publicKey)) {
        const out = native(body, copyBytes(d!, 0, SEED_LENGTH), pub);
        if (out instanceof Uint8Array && out.length === 2 * SEED_LENGTH) sig = out;
      }
    } catch (_e) {
      // fails closed: a native that throws signs nothing
    }
    done(sig);
  }, 0);
}

/** Makes the lock's key if it has none; `done(ok)` once it is stored. */
export function ensureLockKey(lock: Lock, done: (ok: boolean) => void): void {
  if (lock.signer || lock.signing > 0) {
    done(lock.signer !== null);
    return;
  }
  const p = lock.ports;
  const mix = concatBytes([
    p.random(2 * SEED_LENGTH), u32Bytes(lock.bootCount), u32Bytes(lock.nonceCount), u32Bytes(Math.floor(p.timers.millis() * 1000) % 0x100000000),
    u32Bytes(Math.round(p.hw.batteryMv() * 1000) % 0x100000000), lock.nonce, lock.config ? lock.config.deviceId : new Uint8Array(0)
  ]);
  const seed = copyBytes(sha512(mix), 0, SEED_LENGTH);
  runOnLock(lock, beginPublicKey(seed), function (pub: Uint8Array | null) {
    if (lock.signer) {
      done(true); // made meanwhile by an earlier call
      return;
    }
    if (!pub || !saveRecord(p.storage, lock.signerRec, concatBytes([seed, pub]))) {
      p.log('lock key could not be made or stored');
      done(false);
      return;
    }
    lock.signer = signingKey(seed, pub);
    done(true);
  });
}
