/**
 * Staged grants and entry without a signature at the door (protocol §4–§5), on the real
 * firmware: reveals over MQTT, `KW1:` codes and parcel barcodes on the scanner, grant time
 * rules, uses, revocation winning, camera evidence, lockout after repeated failures.
 */
import { describe, expect, it } from 'vitest';
import {
  ACT_GRANT_REVOKE, ACT_UNLOCK, AL_REPEATED_FAILURES, BOLT_LOCKED, BOLT_UNLOCKED, CRED_BARCODE, EV_ALARM,
  EV_CAMERA, EV_DENIAL, EV_OPERATION, FLAG_CAMERA_REQUIRED, GRANT_PARCEL, RC_BAD_CREDENTIAL, RC_CAMERA_FAILURE, RC_GRANT_STORE_FULL,
  RC_LOCKOUT, RC_NO_TRUSTED_TIME, RC_OK, RC_OUTSIDE_SCHEDULE, RC_OUTSIDE_WINDOW, RC_REVOKED, RC_UNKNOWN_GRANT,
  RC_USES_EXHAUSTED, RC_WRONG_DEVICE, SRC_BARCODE, SRC_REVEAL, ST_CAMERA_OK, barcodeCommitment, encodeReveal, fromHex, toHex
} from '@keyway/shared';
import { BOX_BOARD, DEVICE_ID, T0, chainGrant, harness, plainGrant, putGrant, reveal, unlockPayload, type Harness } from '../support/lock-harness';

function lastDenial(h: Harness) {
  return h.events(EV_DENIAL).pop();
}

function relock(h: Harness) {
  h.run(40_000); // default auto-relock after 30 s when the door never opens
  expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
}

describe('lock: staged grants and reveals', () => {
  it('a staged grant opens with one reveal per use, in order, and never twice', () => {
    const h = harness();
    h.trustTime();
    const { grant, chain } = chainGrant({}, 3);
    expect(putGrant(h, grant)!.code).toBe(RC_OK);
    h.deliver(reveal(grant.grantId, chain[2]));
    h.run(2000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    const op = h.events(EV_OPERATION).pop()!;
    expect(op.ref).toBe(grant.grantId);
    expect(Array.from(op.data)).toEqual([ACT_UNLOCK, SRC_REVEAL]);
    relock(h);
    // Replay of the spent value fails; skipping ahead fails; the next one works.
    h.deliver(reveal(grant.grantId, chain[2]));
    h.run(500);
    expect(lastDenial(h)!.code).toBe(RC_BAD_CREDENTIAL);
    h.deliver(reveal(grant.grantId, chain[0]));
    h.run(500);
    expect(lastDenial(h)!.code).toBe(RC_BAD_CREDENTIAL);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
    h.deliver(reveal(grant.grantId, chain[1]));
    h.run(2000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
  });

  it('enforces uses, window, schedule and trusted time on the lock', () => {
    const h = harness();
    h.trustTime();
    const { grant, chain } = chainGrant({ maxUses: 1 }, 2);
    putGrant(h, grant);
    h.deliver(reveal(grant.grantId, chain[1]));
    h.run(2000);
    relock(h);
    h.deliver(reveal(grant.grantId, chain[0]));
    h.run(500);
    expect(lastDenial(h)!.code).toBe(RC_USES_EXHAUSTED);

    const later = chainGrant({ grantId: 12, notBefore: T0 + 86400, notAfter: T0 + 2 * 86400 }, 2, 8);
    putGrant(h, later.grant);
    h.deliver(reveal(12, later.chain[1]));
    h.run(500);
    expect(lastDenial(h)!.code).toBe(RC_OUTSIDE_WINDOW);

    // Dog-walker: Tuesdays and Thursdays 12:00-13:00 UTC; T0 is a Friday 08:00 UTC.
    const walker = chainGrant({ grantId: 13, schedule: [{ days: 0b0001010, start: 720, end: 780 }] }, 2, 9);
    putGrant(h, walker.grant);
    h.deliver(reveal(13, walker.chain[1]));
    h.run(500);
    expect(lastDenial(h)!.code).toBe(RC_OUTSIDE_SCHEDULE);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);

    h.reboot(); // time is no longer trusted after a reboot: time-bound grants fail secure
    h.run(2000);
    h.deliver(reveal(13, walker.chain[1]));
    h.run(500);
    expect(lastDenial(h)!.code).toBe(RC_NO_TRUSTED_TIME);
  });

  it('the dog-walker gets in on Tuesday at 12:30 with no network, via a scanned KW1 code', () => {
    const h = harness({ board: BOX_BOARD });
    const tuesdayNoon = Date.UTC(2027, 0, 19, 12, 30) / 1000;
    h.trustTime(tuesdayNoon);
    const walker = chainGrant({ grantId: 13, notBefore: tuesdayNoon - 86400, notAfter: tuesdayNoon + 30 * 86400, schedule: [{ days: 0b0001010, start: 720, end: 780 }] }, 5, 9);
    putGrant(h, walker.grant);
    h.sim.device.scan('KW1:13:' + toHex(walker.chain[4]));
    h.run(2000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    expect(Array.from(h.events(EV_OPERATION).pop()!.data)).toEqual([ACT_UNLOCK, SRC_BARCODE]);
  });

  it('revocation reaches the lock and wins over the grant, even if the grant is sent again', () => {
    const h = harness();
    h.trustTime();
    const { grant, chain } = chainGrant({}, 3);
    putGrant(h, grant);
    h.deliver(h.command(ACT_GRANT_REVOKE, { grantId: grant.grantId }));
    h.run(1000);
    expect(h.lastAck()!.code).toBe(RC_OK);
    h.deliver(reveal(grant.grantId, chain[2]));
    h.run(500);
    expect(lastDenial(h)!.code).toBe(RC_REVOKED);
    expect(putGrant(h, grant)!.code).toBe(RC_REVOKED);
    h.deliver(h.command(ACT_UNLOCK, unlockPayload({ grantId: grant.grantId })));
    h.run(1000);
    expect(h.lastAck()!.code).toBe(RC_REVOKED);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
  });

  it('a grant revoked while the camera records is not spent and does not open (reveal, KW1 scan)', () => {
    // Signed commands run one at a time, so a revocation sent after a signed UNLOCK applies
    // after it; at-door entries need no command and can race with the revocation.
    const present: Array<(h: Harness, g: ReturnType<typeof chainGrant>) => void> = [
      (h, g) => h.deliver(reveal(g.grant.grantId, g.chain[2])),
      (h, g) => h.sim.device.scan('KW1:' + g.grant.grantId + ':' + toHex(g.chain[2]))
    ];
    for (const [i, how] of present.entries()) {
      // A long pre-roll keeps the camera window open while the revocation is verified.
      const h = harness({ board: BOX_BOARD, options: { prerollMs: 5000 } });
      h.trustTime();
      const g = chainGrant({ flags: FLAG_CAMERA_REQUIRED }, 3);
      putGrant(h, g.grant);
      how(h, g);
      h.run(1000);
      expect(h.events(EV_CAMERA).length, `case ${i}`).toBe(1);
      h.deliver(h.command(ACT_GRANT_REVOKE, { grantId: g.grant.grantId }));
      h.run(10_000);
      expect(h.sim.lock.bolt.phase, `case ${i}`).toBe(BOLT_LOCKED);
      expect(h.events(EV_OPERATION), `case ${i}`).toEqual([]);
      expect(h.events().filter((e) => e.code === RC_REVOKED && e.ref === g.grant.grantId).length).toBe(1);
      // Nothing of the grant was written back after it was erased.
      expect(Object.keys(h.sim.storage.files).filter((n) => n.startsWith('kwg'))).toEqual([]);
    }
  });

  it('signed unlocks naming a grant count its uses; unknown grants are refused', () => {
    const h = harness();
    h.trustTime();
    putGrant(h, plainGrant({ grantId: 21, maxUses: 1 }));
    h.deliver(h.command(ACT_UNLOCK, unlockPayload({ grantId: 21 })));
    h.run(2000);
    expect(h.lastAck()!.code).toBe(RC_OK);
    relock(h);
    h.deliver(h.command(ACT_UNLOCK, unlockPayload({ grantId: 21 })));
    h.run(1000);
    expect(h.lastAck()!.code).toBe(RC_USES_EXHAUSTED);
    h.deliver(h.command(ACT_UNLOCK, unlockPayload({ grantId: 404 })));
    h.run(1000);
    expect(h.lastAck()!.code).toBe(RC_UNKNOWN_GRANT);
  });

  it('reveals for another lock are refused', () => {
    const h = harness();
    h.trustTime();
    const { grant, chain } = chainGrant({}, 2);
    putGrant(h, grant);
    h.deliver(encodeReveal({ deviceId: fromHex('0000000000000002'), grantId: grant.grantId, value: chain[1] }));
    h.run(500);
    expect(lastDenial(h)!.code).toBe(RC_WRONG_DEVICE);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
  });

  it('camera required: no acknowledgement, no movement, and the value is not spent', () => {
    const h = harness();
    h.trustTime();
    const { grant, chain } = chainGrant({ flags: FLAG_CAMERA_REQUIRED }, 2);
    putGrant(h, grant);
    h.sim.device.physics.cameraHealthy = false;
    const starts = h.sim.device.physics.starts;
    h.deliver(reveal(grant.grantId, chain[1]));
    h.run(3000);
    expect(lastDenial(h)!.code).toBe(RC_CAMERA_FAILURE);
    expect(h.events(EV_CAMERA).pop()!.code).toBe(RC_CAMERA_FAILURE);
    expect(h.sim.device.physics.starts).toBe(starts);
    expect(h.status().flags & ST_CAMERA_OK).toBe(0); // camera unhealthy in status
    h.sim.device.physics.cameraHealthy = true;
    h.deliver(reveal(grant.grantId, chain[1]));
    h.run(3000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    const cam = h.events(EV_CAMERA).pop()!;
    expect(cam.code).toBe(RC_OK);
    // The camera fired before the bolt moved.
    const opIndex = h.events().findIndex((e) => e.type === EV_OPERATION && e.ref === grant.grantId);
    expect(h.events().indexOf(cam)).toBeLessThan(opIndex);
  });

  it('five bad credentials lock out at-door entry and raise an alarm', () => {
    const h = harness();
    h.trustTime();
    const { grant, chain } = chainGrant({}, 3);
    putGrant(h, grant);
    for (let i = 0; i < 5; i++) {
      h.deliver(reveal(grant.grantId, new Uint8Array(32).fill(i + 1)));
      h.run(200);
    }
    expect(h.events(EV_ALARM).some((e) => e.code === AL_REPEATED_FAILURES)).toBe(true);
    expect(h.status().flags & 4).toBe(4);
    h.deliver(reveal(grant.grantId, chain[2]));
    h.run(500);
    expect(lastDenial(h)!.code).toBe(RC_LOCKOUT);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
    h.run(61_000); // one minute later the backoff has expired
    h.deliver(reveal(grant.grantId, chain[2]));
    h.run(2000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
  });

  it('refuses grants beyond capacity', () => {
    const h = harness();
    h.trustTime();
    for (let i = 0; i < 16; i++) expect(putGrant(h, plainGrant({ grantId: 100 + i }))!.code).toBe(RC_OK);
    expect(putGrant(h, plainGrant({ grantId: 200 }))!.code).toBe(RC_GRANT_STORE_FULL);
  });
});

describe('parcel box: barcode grants', () => {
  function parcelGrant(tracking: string, over = {}) {
    return plainGrant({
      grantId: 31, kind: GRANT_PARCEL, maxUses: 1, flags: 1,
      credential: { type: CRED_BARCODE, commitment: barcodeCommitment(DEVICE_ID, tracking), length: 0 }, ...over
    });
  }

  it('opens once for a registered tracking number, with no network, and never twice', () => {
    const h = harness({ board: BOX_BOARD });
    h.trustTime();
    putGrant(h, parcelGrant('1Z999AA10123456784'));
    h.sim.device.scan('  1Z999AA10123456784 ');
    h.run(3000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    relock(h);
    h.sim.device.scan('1Z999AA10123456784');
    h.run(1000);
    expect(lastDenial(h)!.code).toBe(RC_USES_EXHAUSTED);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
  });

  it('refuses unknown barcodes and garbage lines without crashing', () => {
    const h = harness({ board: BOX_BOARD });
    h.trustTime();
    putGrant(h, parcelGrant('1Z999AA10123456784'));
    h.sim.device.scan('NOT-A-PARCEL');
    h.run(500);
    expect(lastDenial(h)!.code).toBe(RC_BAD_CREDENTIAL);
    h.sim.device.scan('KW1:99999999999:zz');
    h.sim.device.scan('x'.repeat(300));
    h.sim.device.scan('\u0000\u00ff\u0001');
    h.run(500);
    expect(h.sim.loop.errors).toEqual([]);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
  });

  it('refuses a registered parcel outside its window', () => {
    const h = harness({ board: BOX_BOARD });
    h.trustTime();
    putGrant(h, parcelGrant('ABC123', { notBefore: T0 + 3600, notAfter: T0 + 7200 }));
    h.sim.device.scan('ABC123');
    h.run(500);
    expect(lastDenial(h)!.code).toBe(RC_OUTSIDE_WINDOW);
  });
});
