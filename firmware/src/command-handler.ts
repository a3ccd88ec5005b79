/**
 * Signed commands (protocol §3): admission (cheap checks, then the signature, verified in
 * slices so the motor, door, MQTT and watchdog keep running), commit of the replay state
 * and challenge, then the action. An OWNER_SIGNED command (§11) carries an owner statement
 * whose signature is verified the same way after the relay's. Every command ends in exactly one ACK event.
 */
import {
  ACT_ALARM_CLEAR, ACT_CONSENT_MODE_SET, ACT_CONSENT_PUT, ACT_CONSENT_REMOVE, ACT_CONSENTED_GRANT_PUT, ACT_GRANT_PUT, ACT_GRANT_REVOKE,
  ACT_KEY_ROTATE, ACT_LOCK, ACT_OWNER_KEY_ADD, ACT_OWNER_KEY_REMOVE, ACT_OWNER_SIGNED, ACT_OWNER_TIME, ACT_SETTINGS_SET, ACT_TIME_SET, ACT_UNLATCH,
  ACT_UNLOCK, AL_CLOCK_SKEW, EV_ACK, FLAG_CAMERA_REQUIRED, FLAG_RELOCK_ON_CLOSE, RC_BAD_OWNER_SIGNATURE, RC_BAD_SIGNATURE, RC_BUSY,
  RC_CLOCK_SKEW, RC_OK, RC_OWNER_SIGNATURE_REQUIRED, RC_STORAGE_FAILURE, beginVerify, checkReplay, SRC_COMMAND,
  decodePayload, precheckCommand, reasonForDecodeError, runSliced, type SignedCommand
} from '@keyway/shared';
import { applyGrantPut, applyRevoke, grantUnlockCheck } from './grant-actions';
import { applyAlarmClear, applyKeyRotate, applyOwnerTime, applySettings, applyTimeSet } from './admin-actions';
import {
  applyConsentedGrantPut, applyConsentMode, applyConsentPut, applyConsentRemove, applyOwnerKeyAdd, applyOwnerKeyRemove, commitOwnerSeq,
  precheckOwner, recheckOwner, relayOnlyGate, type OwnerAdmission
} from './owner-consent';
import { actuate } from './actuation';
import { recordAttemptFailure } from './door-entry';
import type { Lock } from './lock-state';
import { newNonce, saveReplay } from './persistence';
import { emit, publishStatus, alarm } from './reporting';
import { fitVerifierMemory } from './verifier-memory';

export function onCommandBytes(lock: Lock, bytes: Uint8Array): void {
  if (lock.verifying) {
    if (lock.commandQueue.length >= lock.opt.maxQueuedCommands) {
      const early = precheckCommand(bytes, admissionContext(lock));
      ack(lock, early.command ? early.command.counter : 0, RC_BUSY, early.command ? early.command.action : 0);
      return;
    }
    lock.commandQueue.push(bytes);
    return;
  }
  admit(lock, bytes);
}

function admissionContext(lock: Lock) {
  const cfg = lock.config!;
  return {
    deviceId: cfg.deviceId,
    keyFor: function (id: number): Uint8Array | null {
      for (let i = 0; i < cfg.keys.length; i++) if (cfg.keys[i].id === id) return cfg.keys[i].key;
      return null;
    },
    now: lock.ports.clock.rtc(),
    timeTrusted: lock.timeTrusted,
    nonce: lock.nonce,
    replay: lock.replay
  };
}

function ack(lock: Lock, counter: number, code: number, action: number): void {
  emit(lock, EV_ACK, code, counter, 0, 0, [action]);
}

/**
 * Takes the queued commands in order. One refused at admission (a resent duplicate, a stale
 * window) is answered at once and starts no verification, so the one behind it is admitted
 * next; without this loop a refused command left the rest of the queue waiting forever.
 */
function next(lock: Lock): void {
  lock.verifying = false;
  fitVerifierMemory(lock);
  publishStatus(lock);
  while (!lock.verifying && lock.commandQueue.length > 0) admit(lock, lock.commandQueue.shift()!);
}

/** Verifies one Ed25519 signature in slices on the lock's timers (the motor, door, MQTT and watchdog run in between). */
function verifyOnLock(lock: Lock, msg: Uint8Array, sig: Uint8Array, pub: Uint8Array, done: (ok: boolean) => void): void {
  const t = lock.ports.timers;
  const started = t.millis();
  const native = lock.ports.natives.ed25519Verify;
  if (native) {
    // Answered from a timer, as the sliced one is, so the busy status leaves before the outcome.
    t.setTimeout(function () {
      let ok = false;
      try {
        ok = native(msg, sig, pub) === true;
      } catch (_e) {
        // fails closed: a native that throws rejects, and the lock stays free for the next command
      }
      lock.stats.verifies++;
      lock.stats.verifyMs += t.millis() - started;
      done(ok);
    }, 0);
    return;
  }
  // In owner-consent mode the keys alternate (relay, then owner): the lock keeps no key table and
  // drops the decoded base-point tables after each verification (verifier-memory.ts).
  fitVerifierMemory(lock);
  const task = beginVerify(msg, sig, pub);
  let last = started;
  runSliced(task, {
    now: function () {
      const n = t.millis();
      return n;
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
  }, function (ok: boolean) {
    fitVerifierMemory(lock);
    lock.stats.verifies++;
    lock.stats.verifyMs += t.millis() - started;
    done(ok);
  });
}

function admit(lock: Lock, bytes: Uint8Array): void {
  lock.stats.commands++;
  const a = precheckCommand(bytes, admissionContext(lock));
  if (a.code !== RC_OK) {
    if (a.code === RC_CLOCK_SKEW) alarm(lock, AL_CLOCK_SKEW, a.command ? a.command.counter : 0, []);
    ack(lock, a.command ? a.command.counter : 0, a.code, a.command ? a.command.action : 0);
    return;
  }
  const cmd = a.command!;
  // Owner consent (docs/protocol.md §11): refused before any signature work, so nothing changes.
  const owner = cmd.action === ACT_OWNER_SIGNED ? precheckOwner(lock, cmd.payload) : null;
  const gate = owner ? owner.code : relayOnlyGate(lock, cmd.action, cmd.payload);
  if (gate !== RC_OK) {
    ack(lock, cmd.counter, gate, cmd.action);
    return;
  }
  lock.verifying = true;
  publishStatus(lock);
  verifyOnLock(lock, cmd.signed, cmd.signature, a.publicKey!, function (ok: boolean) {
    if (!ok) {
      recordAttemptFailure(lock);
      ack(lock, cmd.counter, RC_BAD_SIGNATURE, cmd.action);
      next(lock);
      return;
    }
    if (!owner) {
      commitAndRun(lock, cmd, a.usedNonce, null);
      return;
    }
    // Both must agree: the relay's signature over the command, then the owner's over the statement inside it.
    const st = owner.statement!;
    verifyOnLock(lock, st.signed, st.signature, owner.key!, function (ownerOk: boolean) {
      if (!ownerOk) {
        recordAttemptFailure(lock);
        ack(lock, cmd.counter, RC_BAD_OWNER_SIGNATURE, cmd.action);
        next(lock);
        return;
      }
      commitAndRun(lock, cmd, a.usedNonce, owner);
    });
  });
}

/** After the signatures verified: persists the replay state (and the owner sequence), then acts. */
function commitAndRun(lock: Lock, cmd: SignedCommand, usedNonce: boolean, owner: OwnerAdmission | null): void {
  const finish = function (code: number) {
    ack(lock, cmd.counter, code, cmd.action);
    next(lock);
  };
  // Another command may have committed while this one verified: check the windows again.
  const replay = checkReplay(lock.replay, cmd.counter);
  if (replay.code !== RC_OK) {
    finish(replay.code);
    return;
  }
  // The owner state may have changed meanwhile too (the physical recovery): check the gate again.
  const again = owner ? recheckOwner(lock, owner) : relayOnlyGate(lock, cmd.action, cmd.payload);
  if (again !== RC_OK) {
    finish(again);
    return;
  }
  if (!saveReplay(lock, replay.next)) {
    finish(RC_STORAGE_FAILURE);
    return;
  }
  if (usedNonce) newNonce(lock);
  if (!owner) {
    let p: any;
    try {
      p = decodePayload(cmd.action, cmd.payload);
    } catch (e) {
      finish(reasonForDecodeError(e));
      return;
    }
    perform(lock, cmd.action, p, cmd.payload, cmd.counter, false, finish);
    return;
  }
  const seqCode = commitOwnerSeq(lock, owner.statement!.seq);
  if (seqCode !== RC_OK) {
    finish(seqCode);
    return;
  }
  perform(lock, owner.statement!.action, owner.inner, owner.statement!.payload, cmd.counter, true, finish);
}

/**
 * Runs an admitted action with its decoded payload `p` and payload bytes `raw`; `byOwner` when an
 * owner statement carried it. `done` gets the reason code for the ACK.
 */
function perform(lock: Lock, action: number, p: any, raw: Uint8Array, ref: number, byOwner: boolean, done: (code: number) => void): void {
  switch (action) {
    case ACT_UNLOCK:
    case ACT_UNLATCH: {
      const check = grantUnlockCheck(lock, p.grantId);
      if (check.code !== RC_OK) {
        done(check.code);
        return;
      }
      const grant = check.grant;
      actuate(lock, {
        target: -1,
        camera: (p.flags & FLAG_CAMERA_REQUIRED) !== 0 || (grant !== null && (grant.grant.flags & FLAG_CAMERA_REQUIRED) !== 0),
        actorKind: p.actorKind, actorRef: p.actorRef, ref: ref, source: SRC_COMMAND, action: action,
        relockAfter: action === ACT_UNLATCH ? Math.max(1, p.relockAfter) : p.relockAfter || (grant ? grant.grant.relockAfter : 0),
        relockOnClose: (p.flags & FLAG_RELOCK_ON_CLOSE) !== 0 || (grant !== null && (grant.grant.flags & FLAG_RELOCK_ON_CLOSE) !== 0),
        commit: check.commit, grantId: p.grantId
      }, done);
      return;
    }
    case ACT_LOCK:
      actuate(lock, {
        target: 1, camera: false, actorKind: p.actorKind, actorRef: p.actorRef, ref: ref, source: SRC_COMMAND, action: ACT_LOCK,
        relockAfter: 0, relockOnClose: false, commit: null, grantId: 0
      }, done);
      return;
    case ACT_GRANT_PUT:
      done(applyGrantPut(lock, p, raw));
      return;
    case ACT_GRANT_REVOKE:
      done(applyRevoke(lock, p.grantId));
      return;
    case ACT_KEY_ROTATE:
      done(applyKeyRotate(lock, p));
      return;
    case ACT_TIME_SET:
      done(applyTimeSet(lock, p.time));
      return;
    case ACT_ALARM_CLEAR:
      done(applyAlarmClear(lock, p.alarm));
      return;
    case ACT_SETTINGS_SET:
      done(applySettings(lock, p));
      return;
    case ACT_OWNER_KEY_ADD:
      // Relay-only: admitted in install mode (relayOnlyGate); otherwise an enrolled owner signed it.
      done(applyOwnerKeyAdd(lock, p));
      return;
    case ACT_OWNER_KEY_REMOVE:
      done(byOwner ? applyOwnerKeyRemove(lock, p.ownerKeyId) : RC_OWNER_SIGNATURE_REQUIRED);
      return;
    case ACT_CONSENT_MODE_SET:
      done(byOwner ? applyConsentMode(lock, p.on) : RC_OWNER_SIGNATURE_REQUIRED);
      return;
    case ACT_CONSENT_PUT:
      done(byOwner ? applyConsentPut(lock, p) : RC_OWNER_SIGNATURE_REQUIRED);
      return;
    case ACT_CONSENT_REMOVE:
      done(byOwner ? applyConsentRemove(lock, p.consentId) : RC_OWNER_SIGNATURE_REQUIRED);
      return;
    case ACT_CONSENTED_GRANT_PUT:
      done(applyConsentedGrantPut(lock, p, raw));
      return;
    case ACT_OWNER_TIME:
      done(byOwner ? applyOwnerTime(lock, p.time) : RC_OWNER_SIGNATURE_REQUIRED);
      return;
    default:
      done(reasonForDecodeError({ code: 'UNKNOWN_ACTION' }));
  }
}
