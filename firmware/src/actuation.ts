/**
 * Moving the bolt on behalf of a request (docs/product.md#courier-delivery, #security-properties, #reliability-properties): evidence first (camera
 * trigger, acknowledgement, pre-roll), then the commit hook (spend the credential), then
 * the motor under the bolt state machine, then the OPERATION event and relock scheduling.
 * Fail-secure on evidence: no acknowledgement, no movement, a CAMERA_FAILURE denial.
 */
import {
  ACT_LOCK, ACTOR_AUTO, AL_CAMERA_FAULT, AL_JAM, AL_MOTOR_FAULT, BOLT_UNKNOWN, BOLT_UNLOCKED, EV_CAMERA, EV_OPERATION, RC_BUSY, RC_CAMERA_FAILURE,
  RC_DOOR_OPEN, RC_JAM, RC_MOTOR_FAULT, RC_OK, SRC_AUTO, captureLine, parseClipLine
} from '@keyway/shared';
import { isMoving, startMove, stepBolt, stopBolt } from './bolt-machine';
import { relockOnCloseSetting } from './settings-store';
import type { Lock, MoveRequest } from './lock-state';
import { noteCamera, noteOperation } from './receipts';
import { alarm, emit, publishStatus, publishStatusSoon, stateEvent } from './reporting';

/** `done(result, moved)`: moved is true when the motor ran and an OPERATION event records it. */
export type ActuationDone = (result: number, moved: boolean) => void;

export function actuate(lock: Lock, req: MoveRequest, done: ActuationDone): void {
  if (lock.acting || isMoving(lock.bolt)) {
    done(RC_BUSY, false);
    return;
  }
  if (req.target > 0 && lock.doorOpen) {
    done(RC_DOOR_OPEN, false);
    return;
  }
  lock.acting = true;
  publishStatusSoon(lock);
  if (!req.camera) {
    commitAndMove(lock, req, done);
    return;
  }
  const capture = lock.log ? lock.log.seq + 1 : 0;
  captureEvidence(lock, capture, function (ok: boolean, clip: Uint8Array | null) {
    // The clip hash goes into the hash-chained log: the evidence is covered by the chain (and by the receipt that names this event).
    const cam = emit(lock, EV_CAMERA, ok ? RC_OK : RC_CAMERA_FAILURE, capture, req.actorKind, req.actorRef, clip || []);
    if (!ok) {
      if (lock.cameraOk) alarm(lock, AL_CAMERA_FAULT, req.ref, []);
      lock.cameraOk = false;
      lock.acting = false;
      publishStatus(lock);
      done(RC_CAMERA_FAILURE, false);
      return;
    }
    lock.cameraOk = true;
    noteCamera(lock, cam);
    lock.ports.timers.setTimeout(function () {
      commitAndMove(lock, req, done);
    }, lock.opt.prerollMs);
  });
}

/**
 * A line from the camera link: a CLIP for the capture in flight completes it with the clip
 * hash (docs/protocol.md §6.1); any other line (a stale capture, junk) is ignored.
 */
export function onCameraLine(lock: Lock, line: string): void {
  const p = parseClipLine(line);
  if (p && lock.cameraWaiter && p.capture === lock.cameraCapture) lock.cameraWaiter(p.hash);
}

/** Names the capture on the camera link, pulses the trigger and waits for the camera's answer. */
function captureEvidence(lock: Lock, capture: number, cb: (ok: boolean, clip: Uint8Array | null) => void): void {
  const t = lock.ports.timers;
  const hw = lock.ports.hw;
  let finished = false;
  let timer = 0;
  lock.cameraCapture = capture;
  lock.cameraWaiter = function (clip: Uint8Array | null) {
    if (finished) return;
    finished = true;
    lock.cameraWaiter = null;
    lock.cameraCapture = 0;
    t.clearTimeout(timer);
    cb(true, clip);
  };
  if (lock.ports.camera) lock.ports.camera.write(captureLine(capture));
  hw.cameraTrigger(true);
  t.setTimeout(function () {
    hw.cameraTrigger(false);
  }, lock.opt.cameraPulseMs);
  timer = t.setTimeout(function () {
    if (finished) return;
    finished = true;
    lock.cameraWaiter = null;
    lock.cameraCapture = 0;
    cb(false, null);
  }, lock.opt.cameraAckTimeoutMs);
}

function commitAndMove(lock: Lock, req: MoveRequest, done: ActuationDone): void {
  if (req.commit) {
    const c = req.commit();
    if (c !== RC_OK) {
      lock.acting = false;
      publishStatus(lock);
      done(c, false);
      return;
    }
  }
  moveBolt(lock, req, function (result: number) {
    lock.acting = false;
    noteOperation(lock, req, result === RC_OK, emit(lock, EV_OPERATION, result, req.ref, req.actorKind, req.actorRef, [req.action, req.source]));
    if (result === RC_OK && req.target < 0) scheduleRelock(lock, req);
    done(result, true);
  });
}

/** Runs the bolt state machine with a tick timer until it reports a result. */
export function moveBolt(lock: Lock, req: MoveRequest, done: (result: number) => void): void {
  const hw = lock.ports.hw;
  const t = lock.ports.timers;
  const started = startMove(lock.bolt, req.target, t.millis(), hw.boltSwitches());
  if (started !== RC_OK) {
    done(started);
    return;
  }
  if (!isMoving(lock.bolt)) {
    stateEvent(lock);
    done(RC_OK);
    return;
  }
  lock.move = req;
  lock.moveDone = done;
  hw.motor(lock.bolt.drive);
  stateEvent(lock);
  tick(lock);
}

function tick(lock: Lock): void {
  const hw = lock.ports.hw;
  const t = lock.ports.timers;
  lock.tickTimer = 0;
  const before = lock.bolt.drive;
  const step = stepBolt(lock.bolt, t.millis(), hw.boltSwitches(), hw.motorCurrent(), lock.opt.motor);
  if (lock.bolt.drive !== before) hw.motor(lock.bolt.drive);
  if (step.result < 0) {
    lock.tickTimer = t.setTimeout(function () {
      tick(lock);
    }, lock.opt.tickMs);
    return;
  }
  hw.motor(0);
  const done = lock.moveDone;
  lock.moveDone = null;
  lock.move = null;
  lock.jammed = step.result === RC_JAM;
  if (step.result === RC_JAM) alarm(lock, AL_JAM, 0, [lock.bolt.phase]);
  if (step.result === RC_MOTOR_FAULT) alarm(lock, AL_MOTOR_FAULT, 0, [hw.boltSwitches()]);
  stateEvent(lock);
  if (done) done(step.result);
}

/** Stops the motor now, whatever is happening (used on shutdown and faults). */
export function emergencyStop(lock: Lock): void {
  if (lock.tickTimer) lock.ports.timers.clearTimeout(lock.tickTimer);
  lock.tickTimer = 0;
  stopBolt(lock.bolt, lock.ports.hw.boltSwitches());
  lock.ports.hw.motor(0);
}

/**
 * After an unlock: relock when the door closes (if asked) or after relockAfter seconds. The timer's
 * callback is `relockDue` bound to the lock, not a closure: a closure made here would keep this
 * call's scope (the move request and what it refers to) for as long as the bolt stays open, which
 * on Espruino was ~165 variables (docs/firmware.md, "Memory").
 */
function scheduleRelock(lock: Lock, req: MoveRequest): void {
  cancelRelock(lock);
  lock.relockOnClose = req.relockOnClose || relockOnCloseSetting(lock.settings);
  const secs = req.relockAfter > 0 ? req.relockAfter : lock.settings.autoLockS;
  lock.relockTimer = lock.ports.timers.setTimeout(relockDue.bind(null, lock), secs * 1000);
}

function relockDue(lock: Lock): void {
  lock.relockTimer = 0;
  if (lock.doorOpen) return; // the door monitor relocks on close
  autoLock(lock);
}

export function cancelRelock(lock: Lock): void {
  if (lock.relockTimer) lock.ports.timers.clearTimeout(lock.relockTimer);
  lock.relockTimer = 0;
}

/** Automatic relock (actor AUTO): after an unlock, and at boot for a bolt found open or in between. */
export function autoLock(lock: Lock): void {
  if (lock.bolt.phase !== BOLT_UNLOCKED && lock.bolt.phase !== BOLT_UNKNOWN) return;
  cancelRelock(lock);
  lock.relockOnClose = false;
  actuate(lock, {
    target: 1, camera: false, actorKind: ACTOR_AUTO, actorRef: 0, ref: 0, source: SRC_AUTO, action: ACT_LOCK, relockAfter: 0,
    relockOnClose: false, commit: null, grantId: 0
  }, function () {
    // The OPERATION event records the outcome; a jam raised its alarm.
  });
}
