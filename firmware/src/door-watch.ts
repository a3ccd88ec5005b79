/**
 * The door and the inside button (docs/product.md#courier-delivery, docs/product.md#owner-unlock-and-the-inside-button, docs/product.md#security-properties): relock after the door closes,
 * a DOOR_AJAR alarm when it stays open, FORCED_DOOR when it opens with the bolt thrown,
 * and the inside button toggling the bolt (always allowed: whoever presses it is inside).
 */
import {
  ACT_LOCK, ACT_UNLOCK, ACTOR_BUTTON, AL_DOOR_AJAR, AL_FORCED_DOOR, BOLT_LOCKED, BOLT_LOCKING, BOLT_UNLOCKED, SRC_BUTTON
} from '@keyway/shared';
import { actuate, autoLock, cancelRelock } from './actuation';
import type { Lock } from './lock-state';
import { ownerReset } from './owner-consent';
import { alarm, publishStatus, stateEvent } from './reporting';

export function onDoorChange(lock: Lock, open: boolean): void {
  if (open === lock.doorOpen) return;
  lock.doorOpen = open;
  const t = lock.ports.timers;
  stateEvent(lock);
  if (open) {
    if (lock.bolt.phase === BOLT_LOCKED || lock.bolt.phase === BOLT_LOCKING) alarm(lock, AL_FORCED_DOOR, 0, [lock.bolt.phase]);
    // The door opened: the "relock if never opened" timer no longer applies.
    cancelRelock(lock);
    if (lock.ajarTimer) t.clearTimeout(lock.ajarTimer);
    lock.ajarTimer = t.setTimeout(function () {
      lock.ajarTimer = 0;
      if (lock.doorOpen) alarm(lock, AL_DOOR_AJAR, 0, []);
    }, lock.settings.doorAjarS * 1000);
    return;
  }
  if (lock.ajarTimer) t.clearTimeout(lock.ajarTimer);
  lock.ajarTimer = 0;
  if (lock.bolt.phase === BOLT_UNLOCKED && lock.relockOnClose) {
    lock.relockOnClose = false;
    lock.relockTimer = t.setTimeout(function () {
      lock.relockTimer = 0;
      if (!lock.doorOpen) autoLock(lock);
    }, lock.opt.relockAfterCloseMs);
  }
}

export const INSTALL_HOLD_MS = 5000;
/** The owner recovery: a hold this long that starts while the lock is already in install mode. */
export const OWNER_RESET_HOLD_MS = 15000;
export const TOGGLE_MAX_MS = 2000;

/**
 * A short press (under 2 s) toggles the bolt; holding 5 s or more enters install mode for
 * `installModeS` (the physical action re-provisioning requires, docs/provisioning.md); holding
 * it again extends install mode. Holding 15 s or more, starting while the lock is in install
 * mode, is the owner recovery: it forgets every owner key, standing consent and the
 * owner-consent mode (docs/firmware.md, "Owner consent").
 */
export function onButton(lock: Lock, pressed: boolean, atMs: number): void {
  // The edges' own times: on a busy interpreter the release callback can run seconds after the
  // release, and a short press would then read as a hold (install mode instead of a toggle).
  const now = atMs;
  if (pressed) {
    lock.buttonAt = now;
    return;
  }
  if (lock.buttonAt < 0) return;
  const held = now - lock.buttonAt;
  lock.buttonAt = -1;
  if (held >= OWNER_RESET_HOLD_MS && lock.installUntil > now - held) {
    ownerReset(lock);
    return;
  }
  if (held >= INSTALL_HOLD_MS) {
    lock.installUntil = now + lock.opt.installModeS * 1000;
    lock.ports.hw.buzzer(true);
    lock.ports.timers.setTimeout(function () {
      lock.ports.hw.buzzer(false);
    }, 300);
    publishStatus(lock);
    return;
  }
  if (held < TOGGLE_MAX_MS) toggle(lock);
}

function toggle(lock: Lock): void {
  // Jammed or unknown: retract, the direction that always lets people out.
  const unlocking = lock.bolt.phase !== BOLT_UNLOCKED;
  actuate(lock, {
    target: unlocking ? -1 : 1, camera: false, actorKind: ACTOR_BUTTON, actorRef: 0, ref: 0, source: SRC_BUTTON,
    action: unlocking ? ACT_UNLOCK : ACT_LOCK, relockAfter: 0, relockOnClose: true, commit: null, grantId: 0
  }, function () {
    // Outcome is in the OPERATION event.
  });
}
