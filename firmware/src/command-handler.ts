/**
 * Signed commands (protocol §3): admission (cheap checks, then the signature, verified in
 * slices so the motor, door, MQTT and watchdog keep running), commit of the replay state
 * and challenge, then the action. Every command ends in exactly one ACK event.
 */
import {
  ACT_ALARM_CLEAR, ACT_GRANT_PUT, ACT_GRANT_REVOKE, ACT_KEY_ROTATE, ACT_LOCK, ACT_SETTINGS_SET, ACT_TIME_SET, ACT_UNLATCH, ACT_UNLOCK,
  AL_CLOCK_SKEW, EV_ACK, FLAG_CAMERA_REQUIRED, FLAG_RELOCK_ON_CLOSE, RC_BAD_SIGNATURE, RC_BUSY, RC_CLOCK_SKEW, RC_OK, RC_STORAGE_FAILURE, beginVerify, checkReplay,
  SRC_COMMAND, decodePayload, precheckCommand, reasonForDecodeError, runSliced, type SignedCommand
} from '@keyway/shared';
import { applyGrantPut, applyRevoke, grantUnlockCheck } from './grant-actions';
import { applyAlarmClear, applyKeyRotate, applySettings, applyTimeSet } from './admin-actions';
import { actuate } from './actuation';
import { recordAttemptFailure } from './door-entry';
import type { Lock } from './lock-state';
import { newNonce, saveReplay } from './persistence';
import { emit, publishStatus, alarm } from './reporting';

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
  publishStatus(lock);
  while (!lock.verifying && lock.commandQueue.length > 0) admit(lock, lock.commandQueue.shift()!);
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
  lock.verifying = true;
  publishStatus(lock);
  const t = lock.ports.timers;
  const started = t.millis();
  const task = beginVerify(cmd.signed, cmd.signature, a.publicKey!);
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
    lock.stats.verifies++;
    lock.stats.verifyMs += t.millis() - started;
    if (!ok) {
      recordAttemptFailure(lock);
      ack(lock, cmd.counter, RC_BAD_SIGNATURE, cmd.action);
      next(lock);
      return;
    }
    // Another command may have committed while this one verified: check the window again.
    const replay = checkReplay(lock.replay, cmd.counter);
    if (replay.code !== RC_OK) {
      ack(lock, cmd.counter, replay.code, cmd.action);
      next(lock);
      return;
    }
    if (!saveReplay(lock, replay.next)) {
      ack(lock, cmd.counter, RC_STORAGE_FAILURE, cmd.action);
      next(lock);
      return;
    }
    if (a.usedNonce) newNonce(lock);
    execute(lock, cmd, function (code: number) {
      ack(lock, cmd.counter, code, cmd.action);
      next(lock);
    });
  });
}

/** Runs an admitted command; `done` gets the reason code for the ACK. */
function execute(lock: Lock, cmd: SignedCommand, done: (code: number) => void): void {
  let p: any;
  try {
    p = decodePayload(cmd.action, cmd.payload);
  } catch (e) {
    done(reasonForDecodeError(e));
    return;
  }
  switch (cmd.action) {
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
        actorKind: p.actorKind, actorRef: p.actorRef, ref: cmd.counter, source: SRC_COMMAND, action: cmd.action,
        relockAfter: cmd.action === ACT_UNLATCH ? Math.max(1, p.relockAfter) : p.relockAfter || (grant ? grant.grant.relockAfter : 0),
        relockOnClose: (p.flags & FLAG_RELOCK_ON_CLOSE) !== 0 || (grant !== null && (grant.grant.flags & FLAG_RELOCK_ON_CLOSE) !== 0),
        commit: check.commit, grantId: p.grantId
      }, done);
      return;
    }
    case ACT_LOCK:
      actuate(lock, {
        target: 1, camera: false, actorKind: p.actorKind, actorRef: p.actorRef, ref: cmd.counter, source: SRC_COMMAND, action: ACT_LOCK,
        relockAfter: 0, relockOnClose: false, commit: null, grantId: 0
      }, done);
      return;
    case ACT_GRANT_PUT:
      done(applyGrantPut(lock, p, cmd.payload));
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
    default:
      done(reasonForDecodeError({ code: 'UNKNOWN_ACTION' }));
  }
}
