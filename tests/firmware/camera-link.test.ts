/**
 * The lock's side of the camera link (docs/protocol.md §6.1): it names the capture, waits for
 * the camera's CLIP, writes the clip hash into its CAMERA event (inside the hash chain) and
 * only then moves the bolt; a stale, malformed or missing answer does not open the door.
 */
import { describe, expect, it } from 'vitest';
import { BOLT_LOCKED, BOLT_UNLOCKED, EV_CAMERA, EV_DENIAL, EV_OPERATION, FLAG_CAMERA_REQUIRED, RC_CAMERA_FAILURE, RC_OK, clipLine, toHex } from '@keyway/shared';
import { board } from '@keyway/hardware';
import { chainGrant, harness, putGrant, reveal, type Harness } from '../support/lock-harness';

const ESP32 = board('esp32');
const HASH = 'fa0c30dbc4220337417d5f237368ec1b19ce64ceff23a020624935239030362c';

/** A lock on the esp32 profile whose camera link is wired to the test: returns the lines the lock wrote. */
function wired(): { h: Harness; written: string[]; answer(text: string): void } {
  const h = harness({ board: ESP32 });
  h.sim.device.physics.cameraWired = true;
  const serial = h.sim.device.serials[ESP32.cameraSerial!];
  const written: string[] = [];
  serial.onWrite = (d) => written.push(d);
  return { h, written, answer: (t) => serial.inject(t) };
}

function entry(h: Harness) {
  h.trustTime();
  const { grant, chain } = chainGrant({ flags: FLAG_CAMERA_REQUIRED }, 3);
  putGrant(h, grant);
  return { grant, chain };
}

describe('camera link', () => {
  it('names the capture, writes the clip hash into the CAMERA event and moves only after it', () => {
    const { h, written, answer } = wired();
    const { grant, chain } = entry(h);
    const starts = h.sim.device.physics.starts;
    h.deliver(reveal(grant.grantId, chain[2]));
    h.run(50);
    const m = /^CAPTURE (\d+)\r\n$/.exec(written.join(''));
    expect(m).not.toBeNull();
    const capture = Number(m![1]);
    expect(h.sim.device.physics.starts).toBe(starts); // waiting for the camera
    answer(clipLine(capture, HASH));
    h.run(3000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    const cam = h.events(EV_CAMERA).pop()!;
    expect(cam.code).toBe(RC_OK);
    expect(cam.ref).toBe(capture);
    expect(toHex(cam.data)).toBe(HASH);
    const all = h.events();
    expect(all.indexOf(cam)).toBeLessThan(all.findIndex((e) => e.type === EV_OPERATION && e.ref === grant.grantId));
  });

  it('ignores a CLIP for another capture, a malformed one and junk, then fails secure at the timeout', () => {
    const { h, written, answer } = wired();
    const { grant, chain } = entry(h);
    const starts = h.sim.device.physics.starts;
    h.deliver(reveal(grant.grantId, chain[2]));
    h.run(50);
    const capture = Number(/^CAPTURE (\d+)/.exec(written.join(''))![1]);
    answer(clipLine(capture + 1, HASH));
    answer('CLIP ' + capture + ' ' + HASH.toUpperCase() + '\r\n');
    answer('CLIP ' + capture + ' ' + HASH.slice(2) + '\r\n');
    answer('garbage\r\n');
    h.run(3000);
    expect(h.sim.device.physics.starts).toBe(starts);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
    expect(h.events(EV_CAMERA).pop()!.code).toBe(RC_CAMERA_FAILURE);
    expect(h.events(EV_DENIAL).pop()!.code).toBe(RC_CAMERA_FAILURE);
    // A late answer for that capture changes nothing.
    answer(clipLine(capture, HASH));
    h.run(1000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
  });

  it('a camera without the data link still acknowledges by edge: the CAMERA event then has no hash', () => {
    const h = harness({ board: ESP32 });
    const { grant, chain } = entry(h);
    h.deliver(reveal(grant.grantId, chain[2]));
    h.run(3000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    const cam = h.events(EV_CAMERA).pop()!;
    expect(cam.code).toBe(RC_OK);
    expect(cam.data.length).toBe(0);
  });
});
