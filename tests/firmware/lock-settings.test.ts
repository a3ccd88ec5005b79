/**
 * SETTINGS_SET on the real firmware in the simulator (docs/protocol.md §3.8): valid settings
 * are stored power-safely, applied and reported in the status; each bad input is refused with
 * a clear code and changes nothing (settings, stored record, status, bolt).
 */
import { describe, expect, it } from 'vitest';
import {
  ACT_SETTINGS_SET, ACT_UNLOCK, AL_DOOR_AJAR, BOLT_LOCKED, BOLT_UNLOCKED, EV_ALARM, RC_BAD_LENGTH, RC_BAD_SETTING, RC_BAD_SIGNATURE, RC_OK,
  RC_STALE_SETTINGS, RC_STORAGE_FAILURE, RC_UNKNOWN_KEY, SETTING_RELOCK_ON_CLOSE, attachSignature, encodeCommandBody, type SettingsPayload
} from '@keyway/shared';
import { signCommand, signerFromSeed } from '@keyway/shared/node';
import { SETTINGS_RECORD } from '../../firmware/src/settings-store';
import { DEVICE_ID, harness, unlockPayload, type Harness } from '../support/lock-harness';

const GOOD: SettingsPayload = { revision: 2, autoLockS: 8, doorAjarS: 45, flags: SETTING_RELOCK_ON_CLOSE };

function settingsFiles(h: Harness): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(h.sim.storage.files)) if (k.indexOf(SETTINGS_RECORD) === 0) out[k] = h.sim.storage.files[k];
  return out;
}

function send(h: Harness, p: SettingsPayload): number {
  h.deliver(h.command(ACT_SETTINGS_SET, p, { notAfter: h.now() + 3600 }));
  h.run(2000);
  return h.lastAck()!.code;
}

function trusted(): Harness {
  const h = harness();
  h.trustTime();
  return h;
}

/** Sends `bytes`, expects `code`, and that the settings, their record and the status did not change. */
function expectRefused(h: Harness, bytes: Uint8Array, code: number): void {
  const before = { settings: { ...h.sim.lock.settings }, files: settingsFiles(h), rev: h.status().settingsRev, bolt: h.sim.lock.bolt.phase };
  h.deliver(bytes);
  h.run(2000);
  expect(h.lastAck()!.code).toBe(code);
  expect({ settings: { ...h.sim.lock.settings }, files: settingsFiles(h), rev: h.status().settingsRev, bolt: h.sim.lock.bolt.phase }).toEqual(before);
}

describe('lock: signed settings (SETTINGS_SET)', () => {
  it('a never-configured lock reports revision 0 and the shipped defaults', () => {
    const h = harness();
    expect(h.status().settingsRev).toBe(0);
    expect(h.sim.lock.settings).toEqual({ revision: 0, autoLockS: 30, doorAjarS: 120, flags: 0 });
  });

  it('stores, applies and reports valid settings; they survive a reboot', () => {
    const h = trusted();
    expect(send(h, GOOD)).toBe(RC_OK);
    expect(h.sim.lock.settings).toEqual(GOOD);
    expect(h.status().settingsRev).toBe(2);
    expect(Object.keys(settingsFiles(h)).length).toBeGreaterThan(0);
    h.reboot();
    h.run(3000);
    expect(h.sim.lock.settings).toEqual(GOOD);
    expect(h.status().settingsRev).toBe(2);
  });

  it('the auto-lock delay decides when an unlock that names no delay relocks', () => {
    const h = trusted();
    expect(send(h, { ...GOOD, flags: 0 })).toBe(RC_OK);
    h.deliver(h.command(ACT_UNLOCK, unlockPayload()));
    h.run(2000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    h.run(4000); // 6 s after the unlock: before the 8 s delay
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    h.run(4000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
  });

  it('relock-on-close applies to an unlock that did not ask for it', () => {
    const h = trusted();
    expect(send(h, { ...GOOD, autoLockS: 600 })).toBe(RC_OK);
    h.deliver(h.command(ACT_UNLOCK, unlockPayload()));
    h.run(2000);
    h.sim.device.openDoor();
    h.run(3000);
    h.sim.device.closeDoor();
    h.run(6000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);

    // Without the flag the same sequence leaves the bolt retracted (the door was opened).
    const h2 = trusted();
    expect(send(h2, { ...GOOD, autoLockS: 600, flags: 0 })).toBe(RC_OK);
    h2.deliver(h2.command(ACT_UNLOCK, unlockPayload()));
    h2.run(2000);
    h2.sim.device.openDoor();
    h2.run(3000);
    h2.sim.device.closeDoor();
    h2.run(6000);
    expect(h2.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
  });

  it('the door-left-open alarm follows the configured threshold', () => {
    const h = trusted();
    expect(send(h, { ...GOOD, doorAjarS: 40 })).toBe(RC_OK);
    h.deliver(h.command(ACT_UNLOCK, unlockPayload()));
    h.run(2000);
    h.sim.device.openDoor();
    h.run(35_000);
    expect(h.events(EV_ALARM).map((e) => e.code)).not.toContain(AL_DOOR_AJAR);
    h.run(6000);
    expect(h.events(EV_ALARM).map((e) => e.code)).toContain(AL_DOOR_AJAR);
  });

  const bad: Array<[string, Partial<SettingsPayload>]> = [
    ['revision 0', { revision: 0 }],
    ['auto-lock below 5 s', { autoLockS: 4 }],
    ['auto-lock above 1 h', { autoLockS: 3601 }],
    ['door-left-open below 30 s', { doorAjarS: 29 }],
    ['door-left-open above 1 h', { doorAjarS: 3601 }],
    ['door-left-open 0', { doorAjarS: 0 }],
    ['an unknown flag bit', { flags: 0x02 }],
    ['every flag bit', { flags: 0xff }]
  ];
  for (const [name, over] of bad) {
    it('refuses ' + name + ' with BAD_SETTING and changes nothing', () => {
      const h = trusted();
      expect(send(h, GOOD)).toBe(RC_OK);
      expectRefused(h, h.command(ACT_SETTINGS_SET, { ...GOOD, revision: 3, ...over }), RC_BAD_SETTING);
    });
  }

  it('refuses an older revision with STALE_SETTINGS; the same revision again is accepted', () => {
    const h = trusted();
    expect(send(h, { ...GOOD, revision: 5 })).toBe(RC_OK);
    expectRefused(h, h.command(ACT_SETTINGS_SET, { ...GOOD, revision: 4, autoLockS: 60 }), RC_STALE_SETTINGS);
    expect(send(h, { ...GOOD, revision: 5 })).toBe(RC_OK);
    expect(h.sim.lock.settings.revision).toBe(5);
  });

  it('refuses a short payload, trailing bytes and a forged signature', () => {
    const h = trusted();
    expect(send(h, GOOD)).toBe(RC_OK);
    const good = h.command(ACT_SETTINGS_SET, { ...GOOD, revision: 3 });
    // A payload one byte short, and one with a trailing byte (signed, so they reach the decoder).
    for (const payload of [new Uint8Array(8), new Uint8Array(10)]) {
      const body = encodeCommandBody({
        deviceId: DEVICE_ID, keyId: h.signer.keyId, action: ACT_SETTINGS_SET, notBefore: h.now(), notAfter: h.now() + 60, counter: ++h.counter,
        nonce: new Uint8Array(8), payload
      });
      expectRefused(h, attachSignature(body, h.signer.sign(body)), RC_BAD_LENGTH);
    }
    const forged = good.slice();
    forged[forged.length - 1] ^= 1;
    expectRefused(h, forged, RC_BAD_SIGNATURE);
    const other = signerFromSeed(new Uint8Array(32).fill(9));
    expectRefused(h, signCommand(other, { deviceId: DEVICE_ID, action: ACT_SETTINGS_SET, payload: { ...GOOD, revision: 9 }, notBefore: h.now(), notAfter: h.now() + 60, counter: ++h.counter }), RC_UNKNOWN_KEY);
  });

  it('a failed write refuses with STORAGE_FAILURE and keeps the old settings in force', () => {
    const h = trusted();
    expect(send(h, GOOD)).toBe(RC_OK);
    const write = h.sim.storage.write.bind(h.sim.storage);
    h.sim.storage.write = (name: string, data: string) => (name.indexOf(SETTINGS_RECORD) === 0 ? false : write(name, data));
    expect(send(h, { ...GOOD, revision: 3, autoLockS: 99 })).toBe(RC_STORAGE_FAILURE);
    expect(h.sim.lock.settings).toEqual(GOOD);
    expect(h.status().settingsRev).toBe(2);
  });

  it('a power cut during the settings write leaves the old or the new settings, never a mix', () => {
    const next = { revision: 3, autoLockS: 99, doorAjarS: 600, flags: 0 };
    for (const tear of ['missing', 'erased-tail', 'truncated'] as const) {
      const h = trusted();
      expect(send(h, GOOD)).toBe(RC_OK);
      const bytes = h.command(ACT_SETTINGS_SET, next);
      // The replay record is written first (commit), then the settings record: cut the second.
      h.sim.storage.cutAt = h.sim.storage.writes + 2;
      h.sim.storage.tear = tear;
      h.deliver(bytes);
      h.run(2000);
      expect(h.sim.storage.powered).toBe(false);
      h.reboot();
      h.run(3000);
      expect([GOOD, next]).toContainEqual(h.sim.lock.settings);
      expect(h.sim.lock.settings).toEqual(GOOD);
    }
  });
});
