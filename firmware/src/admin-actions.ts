/** KEY_ROTATE, TIME_SET and ALARM_CLEAR (protocol §3.2, §3.4, §3.5). */
import {
  AL_CLOCK_SKEW, AL_JAM, EV_ALARM_CLEARED, RC_BAD_FORMAT, RC_CLOCK_SKEW, RC_KEY_STORE_FULL, RC_LAST_KEY, RC_OK, RC_STORAGE_FAILURE,
  decodePointValid, isAcceptablePublicKey, keyIdOf, type KeyRotatePayload
} from '@keyway/shared';
import { MAX_TRUSTED_KEYS, type TrustedKey } from './config';
import { clearLockout } from './lockout';
import type { Lock } from './lock-state';
import { saveConfig } from './persistence';
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
    version: cfg.version, deviceId: cfg.deviceId, keys: keys, mqttHost: cfg.mqttHost, mqttPort: cfg.mqttPort, mqttTls: cfg.mqttTls,
    mqttUser: cfg.mqttUser, mqttPass: cfg.mqttPass, wifiSsid: cfg.wifiSsid, wifiPass: cfg.wifiPass, site: cfg.site
  };
  return saveConfig(lock, next) ? RC_OK : RC_STORAGE_FAILURE;
}

export function applyTimeSet(lock: Lock, time: number): number {
  const clock = lock.ports.clock;
  if (lock.timeTrusted && Math.abs(time - clock.rtc()) > lock.opt.timeJumpMaxS) {
    alarm(lock, AL_CLOCK_SKEW, 0, []);
    return RC_CLOCK_SKEW;
  }
  clock.setRtc(time);
  lock.timeTrusted = true;
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
