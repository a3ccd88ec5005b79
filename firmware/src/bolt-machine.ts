/**
 * The bolt and motor state machine (docs/product.md#reliability-properties; docs/firmware.md). Pure: each call takes the state,
 * `now` (ms) and the sensor readings, and returns the motor drive to apply. Stall is a
 * motor current above the threshold for `stallMs`, or a run longer than `maxRunMs`; on the
 * first stall the motor reverses briefly, pauses, and retries once; a second stall stops
 * the motor and reports JAM. Every path that ends a movement sets the drive to 0.
 */
import {
  BOLT_FAULT, BOLT_JAMMED, BOLT_LOCKED, BOLT_LOCKING, BOLT_UNKNOWN, BOLT_UNLOCKED, BOLT_UNLOCKING,
  RC_BUSY, RC_JAM, RC_MOTOR_FAULT, RC_OK
} from '@keyway/shared';

export const SW_LOCKED = 1;
export const SW_UNLOCKED = 2;

export interface MotorTiming {
  maxRunMs: number;
  stallMa: number;
  stallMs: number;
  reverseMs: number;
  pauseMs: number;
}

export interface BoltState {
  phase: number;
  /** +1 throwing (locking), -1 retracting (unlocking), 0 idle. */
  target: number;
  /** 0 on the first try, 1 on the retry. */
  attempt: number;
  startedAt: number;
  stallSince: number;
  /** 0 driving; 1 reversing after a stall; 2 pausing before the retry. */
  backoff: number;
  backoffUntil: number;
  drive: number;
}

export interface BoltStep {
  /** Set when a movement ended: RC_OK, RC_JAM or RC_MOTOR_FAULT. */
  result: number;
  /** The phase changed during this step. */
  changed: boolean;
}

/** Bolt phase from the limit switches alone (boot, docs/product.md#reliability-properties). */
export function phaseFromSwitches(sw: number): number {
  if ((sw & SW_LOCKED) && (sw & SW_UNLOCKED)) return BOLT_FAULT;
  if (sw & SW_LOCKED) return BOLT_LOCKED;
  if (sw & SW_UNLOCKED) return BOLT_UNLOCKED;
  return BOLT_UNKNOWN;
}

export function initialBolt(sw: number): BoltState {
  return { phase: phaseFromSwitches(sw), target: 0, attempt: 0, startedAt: 0, stallSince: 0, backoff: 0, backoffUntil: 0, drive: 0 };
}

export function isMoving(b: BoltState): boolean {
  return b.phase === BOLT_LOCKING || b.phase === BOLT_UNLOCKING;
}

/**
 * Starts a movement. Returns RC_OK when started or already there (then `drive` stays 0
 * and the phase reflects the switches), RC_BUSY while another movement runs.
 */
export function startMove(b: BoltState, target: number, now: number, sw: number): number {
  if (isMoving(b)) return RC_BUSY;
  const reached = target > 0 ? (sw & SW_LOCKED) !== 0 : (sw & SW_UNLOCKED) !== 0;
  if (reached && phaseFromSwitches(sw) !== BOLT_FAULT) {
    b.phase = target > 0 ? BOLT_LOCKED : BOLT_UNLOCKED;
    b.drive = 0;
    return RC_OK;
  }
  b.phase = target > 0 ? BOLT_LOCKING : BOLT_UNLOCKING;
  b.target = target;
  b.attempt = 0;
  b.startedAt = now;
  b.stallSince = 0;
  b.backoff = 0;
  b.drive = target;
  return RC_OK;
}

function finish(b: BoltState, phase: number, result: number): BoltStep {
  b.phase = phase;
  b.target = 0;
  b.drive = 0;
  b.backoff = 0;
  b.stallSince = 0;
  return { result: result, changed: true };
}

/** Advances a movement given the switches and motor current (mA). Call every tick while moving. */
export function stepBolt(b: BoltState, now: number, sw: number, currentMa: number, t: MotorTiming): BoltStep {
  if (!isMoving(b)) {
    b.drive = 0;
    return { result: -1, changed: false };
  }
  if ((sw & SW_LOCKED) && (sw & SW_UNLOCKED)) return finish(b, BOLT_FAULT, RC_MOTOR_FAULT);
  if (b.backoff === 1) {
    if (now >= b.backoffUntil) {
      b.backoff = 2;
      b.backoffUntil = now + t.pauseMs;
      b.drive = 0;
    }
    return { result: -1, changed: false };
  }
  if (b.backoff === 2) {
    if (now >= b.backoffUntil) {
      b.backoff = 0;
      b.attempt = 1;
      b.startedAt = now;
      b.stallSince = 0;
      b.drive = b.target;
    }
    return { result: -1, changed: false };
  }
  const reached = b.target > 0 ? (sw & SW_LOCKED) !== 0 : (sw & SW_UNLOCKED) !== 0;
  if (reached) return finish(b, b.target > 0 ? BOLT_LOCKED : BOLT_UNLOCKED, RC_OK);
  let stalled = false;
  if (currentMa >= t.stallMa) {
    if (b.stallSince === 0) b.stallSince = now || 1;
    else if (now - b.stallSince >= t.stallMs) stalled = true;
  } else b.stallSince = 0;
  if (now - b.startedAt >= t.maxRunMs) stalled = true;
  if (!stalled) return { result: -1, changed: false };
  if (b.attempt === 0) {
    // Back off: reverse briefly to free the bolt, pause, then retry once.
    b.backoff = 1;
    b.backoffUntil = now + t.reverseMs;
    b.drive = -b.target;
    b.stallSince = 0;
    return { result: -1, changed: false };
  }
  return finish(b, BOLT_JAMMED, RC_JAM);
}

/** Aborts any movement (power-safe stop). */
export function stopBolt(b: BoltState, sw: number): void {
  b.drive = 0;
  b.target = 0;
  b.backoff = 0;
  if (isMoving(b)) b.phase = phaseFromSwitches(sw);
}
