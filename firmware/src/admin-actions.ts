/** KEY_ROTATE, TIME_SET, ALARM_CLEAR and SETTINGS_SET (protocol §3.2, §3.4, §3.5, §3.8). */
import {
  AL_CLOCK_SKEW, AL_JAM, EV_ALARM_CLEARED, RC_BAD_FORMAT, RC_CLOCK_SKEW, RC_KEY_STORE_FULL, RC_LAST_KEY, RC_OK, RC_STORAGE_FAILURE,
  decodePointValid, isAcceptablePublicKey, keyIdOf, type KeyRotatePayload, type SettingsPayload
} from '@keyway/shared';
import { MAX_TRUSTED_KEYS, type TrustedKey } from './config';
import { TIME_STEP_BASE_S, relayTimeAllowed } from './clock-guard';
import { clearLockout } from './lockout';
import type { Lock } from './lock-state';
import { consentMode } from './owner-consent';
import { saveConfig } from './persistence';
import { storeSettings } from './settings-store';
import { alarm, emit, publishStatus } from './reporting';

export function applyKeyRotate(lock: Lock, p: KeyRotatePayload): number {
  const cfg = lock.config!;
  if (p.newKeyId !== keyIdOf(p.newKey) || !isAcceptablePublicKey(p.newKey) || !decodePointValid(p.newKey)) return RC_BAD_FORMAT;
  const keys: TrustedKey[] = [];
  let present = false;
  for (let i = 0; i < cfg.keys.length; i++) {
    if (cfg.keys[i].id === p.retireKeyId) continue;
    if (cfg.keys[i].id === p.newKeyId) present = true;
    keys.push(cfg.keys[i]);
  }
  if (!present) keys.push({ id: p.newKeyId, key: p.newKey });
  if (keys.length > MAX_TRUSTED_KEYS) return RC_KEY_STORE_FULL;
  if (keys.length === 0) return RC_LAST_KEY;
  const next = {
    version: cfg.version, deviceId: cfg.deviceId, keys: keys, brokers: cfg.brokers, mqttTls: cfg.mqttTls,
    mqttUser: cfg.mqttUser, mqttPass: cfg.mqttPass, wifiSsid: cfg.wifiSsid, wifiPass: cfg.wifiPass, site: cfg.site
  };
  return saveConfig(lock, next) ? RC_OK : RC_STORAGE_FAILURE;
}

/**
 * TIME_SET (relay-signed, bound to the lock's nonce). In owner-consent mode the relay alone may
 * only correct the clock within what the lock's own reckoning allows (clock-guard.ts), and the
 * anchor of that reckoning stays put, so corrections never add up to a shift.
 */
export function applyTimeSet(lock: Lock, time: number): number {
  const clock = lock.ports.clock;
  const nowMs = lock.ports.timers.millis();
  const guarded = consentMode(lock);
  if ((lock.timeTrusted && Math.abs(time - clock.rtc()) > lock.opt.timeJumpMaxS) ||
    (guarded && !relayTimeAllowed(lock.timeTrusted, lock.anchorRtc, lock.anchorMs, lock.log ? lock.log.newestTime : 0, nowMs, time))) {
    alarm(lock, AL_CLOCK_SKEW, 0, []);
    return RC_CLOCK_SKEW;
  }
  clock.setRtc(time);
  if (!guarded || !lock.timeTrusted || lock.anchorRtc < 0) {
    lock.anchorRtc = time;
    lock.anchorMs = nowMs;
  }
  lock.timeTrusted = true;
  publishStatus(lock);
  return RC_OK;
}

/**
 * OWNER_TIME (docs/protocol.md §11.8): an owner device's clock, signed over this boot's challenge
 * (the caller checked it). It is taken as it is, becomes the anchor the relay's later corrections
 * are judged against, and lets staged grants be used again. A clock the relay had set more than a
 * base step away raises the CLOCK_SKEW alarm, so the owner sees what the relay did.
 */
export function applyOwnerTime(lock: Lock, time: number): number {
  const clock = lock.ports.clock;
  if (lock.timeTrusted && Math.abs(time - clock.rtc()) > TIME_STEP_BASE_S) alarm(lock, AL_CLOCK_SKEW, 0, []);
  clock.setRtc(time);
  lock.anchorRtc = time;
  lock.anchorMs = lock.ports.timers.millis();
  lock.timeTrusted = true;
  lock.ownerTimePending = false;
  publishStatus(lock);
  return RC_OK;
}

export function applyAlarmClear(lock: Lock, which: number): number {
  clearLockout(lock.lockout);
  if (which === 0 || which === AL_JAM) lock.jammed = false;
  emit(lock, EV_ALARM_CLEARED, which, 0, 0, 0, []);
  publishStatus(lock);
  return RC_OK;
}

/**
 * Checks bounds and revision, stores the settings power-safely, and only then applies them:
 * a refused or unwritten setting leaves the lock exactly as it was. The new values take
 * effect from the next unlock or door opening; a relock or door timer already running keeps
 * its delay.
 */
export function applySettings(lock: Lock, p: SettingsPayload): number {
  const code = storeSettings(lock.ports.storage, lock.settingsRec, lock.settings, p);
  if (code !== RC_OK) return code;
  lock.settings = { revision: p.revision, autoLockS: p.autoLockS, doorAjarS: p.doorAjarS, flags: p.flags };
  publishStatus(lock);
  return RC_OK;
}
