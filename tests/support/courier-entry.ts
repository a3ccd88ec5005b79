/**
 * One courier entry on the simulated lock, for firmware tests: a camera-required,
 * relock-on-close grant is staged, the courier reveals its first chain value, the bolt opens,
 * the door is opened and closed, and the bolt is thrown again.
 */
import { expect } from 'vitest';
import { BOLT_LOCKED, BOLT_UNLOCKED, FLAG_CAMERA_REQUIRED, FLAG_RELOCK_ON_CLOSE, RC_OK } from '@keyway/shared';
import { chainGrant, putGrant, reveal, type Harness } from './lock-harness';

/** Simulated ms for the bolt to open after the reveal (camera, preroll, motor). */
const OPEN_MS = 3000;
/** Simulated ms the door stays open. */
const DOOR_OPEN_MS = 4000;
/** Simulated ms after the door closes for the relock on close. */
const RELOCK_MS = 8000;

export function courierEntry(h: Harness): void {
  h.trustTime();
  const { grant, chain: values } = chainGrant({ flags: FLAG_CAMERA_REQUIRED | FLAG_RELOCK_ON_CLOSE }, 2);
  expect(putGrant(h, grant)!.code).toBe(RC_OK);
  h.deliver(reveal(grant.grantId, values[1]));
  h.run(OPEN_MS);
  expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
  h.sim.device.openDoor();
  h.run(DOOR_OPEN_MS);
  h.sim.device.closeDoor();
  h.run(RELOCK_MS);
  expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
}
