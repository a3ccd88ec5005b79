/**
 * The lock's command pipeline against the real firmware on the simulator: every admission
 * rule and every denial reason, each expecting a clear ACK code and no change of state.
 */
import { describe, expect, it } from 'vitest';
import {
  ACT_ALARM_CLEAR, ACT_GRANT_REVOKE, ACT_KEY_ROTATE, ACT_LOCK, ACT_TIME_SET, ACT_UNLOCK, AL_CLOCK_SKEW, BOLT_LOCKED,
  BOLT_UNLOCKED, EV_ACK, EV_ALARM, EV_CAMERA, EV_OPERATION, FLAG_CAMERA_REQUIRED, RC_CAMERA_FAILURE, ST_TIME_TRUSTED, RC_BAD_FORMAT, RC_BAD_LENGTH, RC_BAD_SIGNATURE, RC_BAD_VERSION, RC_BUSY,
  RC_CLOCK_SKEW, RC_DOOR_OPEN, RC_EXPIRED, RC_KEY_STORE_FULL, RC_LAST_KEY, RC_NO_TRUSTED_TIME, RC_NOT_PERMITTED, RC_OK,
  RC_REPLAY, RC_STALE_NONCE, RC_UNKNOWN_ACTION, RC_UNKNOWN_KEY, RC_WINDOW_TOO_LONG, RC_WRONG_DEVICE, attachSignature,
  encodeCommandBody, fromHex, keyIdOf
} from '@keyway/shared';
import { signCommand, signerFromSeed, strictNodeVerifier } from '@keyway/shared/node';
import { DEVICE_ID, T0, harness, unlockPayload, type Harness } from '../support/lock-harness';

function snapshot(h: Harness) {
  const l = h.sim.lock;
  return { bolt: l.bolt.phase, replay: { ...l.replay }, keys: l.config!.keys.length, motorStarts: h.sim.device.physics.starts, trusted: l.timeTrusted };
}

/** Denied with `code`; nothing changes, and unless the command was authentic its counter is not spent. */
function expectDenied(h: Harness, bytes: Uint8Array, code: number, authentic = false) {
  const before = snapshot(h);
  if (authentic) before.replay = undefined as never;
  const acks = h.events(EV_ACK).length;
  h.deliver(bytes);
  h.run(3000);
  const ack = h.events(EV_ACK)[acks];
  expect(ack, 'an ACK event').toBeDefined();
  expect(ack.code).toBe(code);
  const after = snapshot(h);
  if (authentic) after.replay = undefined as never;
  expect(after).toEqual(before);
}

describe('lock: admission of signed commands', () => {
  it('boots locked, publishes a status with a challenge, and has no trusted time', () => {
    const h = harness();
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
    expect(h.status().flags & ST_TIME_TRUSTED).toBe(0);
    expect(h.status().nonce).toHaveLength(8);
  });

  it('without trusted time refuses counter-only commands and accepts a nonce-bound TIME_SET', () => {
    const h = harness();
    expectDenied(h, h.command(ACT_UNLOCK, unlockPayload()), RC_NO_TRUSTED_TIME);
    h.trustTime();
    expect(h.lastAck()!.code).toBe(RC_OK);
    expect(h.sim.lock.timeTrusted).toBe(true);
    expect(h.status().flags & ST_TIME_TRUSTED).toBe(ST_TIME_TRUSTED);
  });

  it('a signed UNLOCK flagged camera-required does not move without the camera, and fires it first when it answers', () => {
    const h = harness();
    h.trustTime();
    h.sim.device.physics.cameraHealthy = false;
    const starts = h.sim.device.physics.starts;
    h.deliver(h.command(ACT_UNLOCK, unlockPayload({ flags: FLAG_CAMERA_REQUIRED })));
    h.run(3000);
    expect(h.lastAck()!.code).toBe(RC_CAMERA_FAILURE);
    expect(h.events(EV_CAMERA).pop()!.code).toBe(RC_CAMERA_FAILURE);
    expect(h.sim.device.physics.starts).toBe(starts);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);

    // The flag is what decides: the same command without it moves with the camera still down.
    h.deliver(h.command(ACT_UNLOCK, unlockPayload()));
    h.run(3000);
    expect(h.lastAck()!.code).toBe(RC_OK);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    h.deliver(h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 }));
    h.run(3000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);

    h.sim.device.physics.cameraHealthy = true;
    const before = h.events().length;
    h.deliver(h.command(ACT_UNLOCK, unlockPayload({ flags: FLAG_CAMERA_REQUIRED })));
    h.run(3000);
    expect(h.lastAck()!.code).toBe(RC_OK);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    const later = h.events().slice(before);
    const cam = later.findIndex((e) => e.type === EV_CAMERA && e.code === RC_OK);
    const op = later.findIndex((e) => e.type === EV_OPERATION);
    expect(cam).toBeGreaterThanOrEqual(0);
    expect(cam).toBeLessThan(op);
  });

  it('unlocks on a valid signed command and acknowledges with its counter', () => {
    const h = harness();
    h.trustTime();
    const c = h.command(ACT_UNLOCK, unlockPayload());
    h.deliver(c);
    h.run(3000);
    const ack = h.lastAck()!;
    expect(ack.code).toBe(RC_OK);
    expect(ack.ref).toBe(h.counter);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    const op = h.events(EV_OPERATION).pop()!;
    expect(op.code).toBe(RC_OK);
    expect(Array.from(op.data)).toEqual([ACT_UNLOCK, 1]);
  });

  it('refuses bad signatures, unknown keys, other locks, replays, expiry and clock skew without moving', () => {
    const h = harness();
    h.trustTime();
    const good = h.command(ACT_UNLOCK, unlockPayload());
    const bad = Uint8Array.from(good);
    bad[bad.length - 5] ^= 1;
    expectDenied(h, bad, RC_BAD_SIGNATURE);
    const stranger = signerFromSeed(new Uint8Array(32).fill(9));
    expectDenied(h, signCommand(stranger, { deviceId: DEVICE_ID, action: ACT_UNLOCK, payload: unlockPayload(), notBefore: T0, notAfter: T0 + 60, counter: 99 }), RC_UNKNOWN_KEY);
    expectDenied(h, h.command(ACT_UNLOCK, unlockPayload(), { deviceId: fromHex('0000000000000001') }), RC_WRONG_DEVICE);
    expectDenied(h, h.command(ACT_UNLOCK, unlockPayload(), { notBefore: T0 - 600, notAfter: T0 - 500 }), RC_EXPIRED);
    expectDenied(h, h.command(ACT_UNLOCK, unlockPayload(), { notBefore: T0 + 3600, notAfter: T0 + 3660 }), RC_CLOCK_SKEW);
    expect(h.events(EV_ALARM).some((e) => e.code === AL_CLOCK_SKEW)).toBe(true);
    expectDenied(h, h.command(ACT_UNLOCK, unlockPayload(), { notAfter: T0 + 4000 }), RC_WINDOW_TOO_LONG);
    expectDenied(h, h.command(ACT_UNLOCK, unlockPayload(), { nonce: fromHex('0101010101010101') }), RC_STALE_NONCE);
    const lockCmd = h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 });
    h.deliver(lockCmd);
    h.run(2000);
    expect(h.lastAck()!.code).toBe(RC_OK);
    expectDenied(h, lockCmd, RC_REPLAY);
  });

  it('with a native verifier injected (the benches\' node:crypto locks) the same commands run and the same forgeries are refused, by that verifier', () => {
    const node = strictNodeVerifier();
    const seen: boolean[] = [];
    const h = harness({ ed25519Verify: (m, s, p) => {
      const ok = node.verify(m, s, p);
      seen.push(ok);
      return ok;
    } });
    h.trustTime();
    expect(seen).toEqual([true]);
    const good = h.command(ACT_UNLOCK, unlockPayload());
    const bad = Uint8Array.from(good);
    bad[bad.length - 5] ^= 1;
    expectDenied(h, bad, RC_BAD_SIGNATURE);
    expect(seen).toEqual([true, false]);
    h.deliver(good);
    h.run(3000);
    expect(h.lastAck()!.code).toBe(RC_OK);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    expect(seen).toEqual([true, false, true]);
    expect(h.sim.lock.stats.verifies).toBe(3);
  });

  it('a native verifier that throws rejects the command (bad signature, nothing moves) and the lock takes the next one', () => {
    const node = strictNodeVerifier();
    let throwNext = false;
    const h = harness({ ed25519Verify: (m, s, p) => {
      if (throwNext) {
        throwNext = false;
        throw new Error('native failed');
      }
      return node.verify(m, s, p);
    } });
    h.trustTime();
    throwNext = true;
    expectDenied(h, h.command(ACT_UNLOCK, unlockPayload()), RC_BAD_SIGNATURE);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
    h.deliver(h.command(ACT_UNLOCK, unlockPayload()));
    h.run(3000);
    expect(h.lastAck()!.code).toBe(RC_OK);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
  });

  it('refuses malformed, wrong-version, unknown-action and TIME_SET without challenge', () => {
    const h = harness();
    h.trustTime();
    const v = Uint8Array.from(h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 }));
    v[8] = 9;
    expectDenied(h, v, RC_BAD_VERSION);
    expectDenied(h, h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 }).subarray(0, 30), RC_BAD_LENGTH);
    const body = encodeCommandBody({ deviceId: DEVICE_ID, keyId: h.signer.keyId, action: 0x66, notBefore: T0, notAfter: T0 + 60, counter: 500, nonce: new Uint8Array(8), payload: new Uint8Array(0) });
    expectDenied(h, attachSignature(body, h.signer.sign(body)), RC_UNKNOWN_ACTION);
    expectDenied(h, h.command(ACT_TIME_SET, { time: T0 }), RC_NOT_PERMITTED);
    // Valid signature over a payload of the wrong shape: acknowledged as a format error, nothing moves.
    const body2 = encodeCommandBody({ deviceId: DEVICE_ID, keyId: h.signer.keyId, action: ACT_UNLOCK, notBefore: T0, notAfter: T0 + 60, counter: 501, nonce: new Uint8Array(8), payload: new Uint8Array(3) });
    h.deliver(attachSignature(body2, h.signer.sign(body2)));
    h.run(2000);
    expect([RC_BAD_FORMAT, RC_BAD_LENGTH]).toContain(h.lastAck()!.code);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
  });

  it('refuses to throw the bolt with the door open', () => {
    const h = harness();
    h.trustTime();
    h.deliver(h.command(ACT_UNLOCK, unlockPayload()));
    h.run(2000);
    h.sim.device.openDoor();
    h.run(100);
    h.deliver(h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 }));
    h.run(2000);
    expect(h.lastAck()!.code).toBe(RC_DOOR_OPEN);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
  });

  it('answers BUSY when more commands arrive than it queues during a verification', () => {
    // A zero budget makes every verification step its own slice, so the commands overlap.
    const h = harness({ options: { maxQueuedCommands: 1, verifyBudgetMs: 0 } });
    h.trustTime();
    const cmds = [0, 1, 2, 3].map(() => h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 }));
    for (const c of cmds) h.deliver(c);
    h.run(5000);
    const codes = h.events(EV_ACK).slice(-4).map((e) => e.code).sort();
    expect(codes.filter((c) => c === RC_BUSY).length).toBe(2);
    expect(codes.filter((c) => c === RC_OK).length).toBe(2);
  });

  it('keeps draining its queue when a queued command is refused at admission (a resent duplicate before a new command)', () => {
    // The relay resent a command while the lock was still verifying it, then sent the owner's
    // unlock: the duplicate is refused without a verification, and the unlock behind it must
    // still be verified and acted on, not left in the queue.
    const h = harness({ options: { maxQueuedCommands: 4, verifyBudgetMs: 0 } });
    h.trustTime();
    const first = h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 });
    const unlock = h.command(ACT_UNLOCK, unlockPayload());
    const before = h.events(EV_ACK).length;
    h.deliver(first);
    h.deliver(first);
    h.deliver(unlock);
    h.run(5000);
    const acks = h.events(EV_ACK).slice(before).map((e) => e.code);
    expect(acks).toHaveLength(3);
    expect(acks[0]).toBe(RC_OK);
    expect(acks[1]).not.toBe(RC_OK);
    expect(acks[2]).toBe(RC_OK);
    expect(h.sim.lock.commandQueue).toHaveLength(0);
    expect(h.sim.lock.verifying).toBe(false);
    h.run(3000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
  });

  it('rotates keys with a command signed by a trusted key, and refuses to retire the last one', () => {
    const h = harness();
    h.trustTime();
    const next = signerFromSeed(new Uint8Array(32).fill(4));
    h.deliver(h.command(ACT_KEY_ROTATE, { newKeyId: next.keyId, newKey: next.publicKey, retireKeyId: h.signer.keyId }));
    h.run(2000);
    expect(h.lastAck()!.code).toBe(RC_OK);
    expect(h.sim.lock.config!.keys.map((k) => k.id)).toEqual([next.keyId]);
    // The old key no longer works; the new one does.
    expectDenied(h, h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 }), RC_UNKNOWN_KEY);
    const t = h.now();
    h.deliver(signCommand(next, { deviceId: DEVICE_ID, action: ACT_UNLOCK, payload: unlockPayload(), notBefore: t, notAfter: t + 60, counter: ++h.counter }));
    h.run(2000);
    expect(h.lastAck()!.code).toBe(RC_OK);
    const c = signCommand(next, { deviceId: DEVICE_ID, action: ACT_KEY_ROTATE, payload: { newKeyId: 0, newKey: next.publicKey, retireKeyId: next.keyId }, notBefore: t, notAfter: t + 60, counter: ++h.counter });
    h.deliver(c);
    h.run(2000);
    expect(h.lastAck()!.code).toBe(RC_BAD_FORMAT); // key id does not match the key
    expect(keyIdOf(next.publicKey)).toBe(next.keyId);
    expect(h.sim.lock.config!.keys).toHaveLength(1);
    expect(RC_LAST_KEY).toBe(59);
  });

  it('refuses a fifth trusted key and a low-order key', () => {
    const h = harness();
    h.trustTime();
    for (let i = 1; i <= 3; i++) {
      const s = signerFromSeed(new Uint8Array(32).fill(10 + i));
      h.deliver(h.command(ACT_KEY_ROTATE, { newKeyId: s.keyId, newKey: s.publicKey, retireKeyId: 0 }));
      h.run(2000);
      expect(h.lastAck()!.code).toBe(RC_OK);
    }
    const fifth = signerFromSeed(new Uint8Array(32).fill(20));
    expectDenied(h, h.command(ACT_KEY_ROTATE, { newKeyId: fifth.keyId, newKey: fifth.publicKey, retireKeyId: 0 }), RC_KEY_STORE_FULL, true);
    const identity = fromHex('0100000000000000000000000000000000000000000000000000000000000000');
    expectDenied(h, h.command(ACT_KEY_ROTATE, { newKeyId: keyIdOf(identity), newKey: identity, retireKeyId: 0 }), RC_BAD_FORMAT, true);
  });

  it('a far-off TIME_SET is refused once time is trusted (relay clock caught), a small one applied', () => {
    const h = harness();
    h.trustTime();
    const nonce = h.status().nonce;
    const far = T0 + 7200;
    h.deliver(signCommand(h.signer, { deviceId: DEVICE_ID, action: ACT_TIME_SET, payload: { time: far }, notBefore: T0, notAfter: T0 + 60, counter: ++h.counter, nonce }));
    h.run(1000);
    expect(h.lastAck()!.code).toBe(RC_CLOCK_SKEW);
    h.trustTime(T0 + 30);
    expect(h.lastAck()!.code).toBe(RC_OK);
    expect(Math.abs(h.now() - (T0 + 30))).toBeLessThanOrEqual(2);
  });

  it('revoking an unknown grant is fine; ALARM_CLEAR clears a lockout', () => {
    const h = harness();
    h.trustTime();
    h.deliver(h.command(ACT_GRANT_REVOKE, { grantId: 999 }));
    h.run(1000);
    expect(h.lastAck()!.code).toBe(RC_OK);
    h.sim.lock.lockout.until = h.loop.now() + 1e6;
    h.deliver(h.command(ACT_ALARM_CLEAR, { alarm: 0 }));
    h.run(1000);
    expect(h.lastAck()!.code).toBe(RC_OK);
    expect(h.sim.lock.lockout.until).toBe(0);
  });
});
