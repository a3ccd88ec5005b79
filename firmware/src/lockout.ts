/**
 * Failed-attempt lockout (docs/product.md#security-properties; protocol §8): five failures within ten minutes lock
 * out at-door entry for one minute, doubling per further failure up to an hour. Pure.
 */
export const LOCKOUT_THRESHOLD = 5;
export const LOCKOUT_WINDOW_MS = 10 * 60 * 1000;
export const LOCKOUT_MIN_MS = 60 * 1000;
export const LOCKOUT_MAX_MS = 60 * 60 * 1000;

export interface LockoutState {
  failures: number[];
  until: number;
  level: number;
}

export function initialLockout(): LockoutState {
  return { failures: [], until: 0, level: 0 };
}

export function lockedOut(s: LockoutState, now: number): boolean {
  return s.until > now;
}

/** Records a failure; returns true when this failure (re)starts a lockout. */
export function recordFailure(s: LockoutState, now: number): boolean {
  const recent: number[] = [];
  for (let i = 0; i < s.failures.length; i++) if (now - s.failures[i] < LOCKOUT_WINDOW_MS) recent.push(s.failures[i]);
  recent.push(now);
  while (recent.length > LOCKOUT_THRESHOLD) recent.shift();
  s.failures = recent;
  if (recent.length < LOCKOUT_THRESHOLD) return false;
  const ms = Math.min(LOCKOUT_MAX_MS, LOCKOUT_MIN_MS * Math.pow(2, s.level));
  s.level++;
  s.until = now + ms;
  return true;
}

export function clearLockout(s: LockoutState): void {
  s.failures = [];
  s.until = 0;
  s.level = 0;
}
