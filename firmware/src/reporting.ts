/**
 * How the lock tells the world (protocol §6–§7): every fact becomes a hash-chained event,
 * persisted before it is published; events go out in order, up to MQTT_WINDOW in flight, and
 * stay queued in flash while offline. The status is republished on every change, except that
 * the changes of a bolt action (busy, bolt, door, camera) go out in one status once the action
 * has ended (docs/protocol.md §7): its events already tell the relay each step.
 */
import {
  AL_QUEUE_OVERFLOW, AL_STORAGE_RECOVERED, BOLT_LOCKED, EV_ALARM, EV_STATE, ST_BUSY, ST_CAMERA_OK, ST_OWNER_CONSENT, ST_INSTALL_MODE, ST_JAMMED,
  ST_LOCKOUT, ST_LOW_BATTERY, ST_TIME_TRUSTED, asciiBytes, encodeStatus, eventTopic, stateTopic
} from '@keyway/shared';
import { appendEvent, ackEvent, logHead, readEvent } from './event-log';
import { grantCount, heldGrants } from './grant-store';
import { lockedOut } from './lockout';
import { noteState } from './receipts';
import type { Lock, LogPoint } from './lock-state';
import { MQTT_WINDOW, mqttPublish, mqttPublishNow } from './mqtt/mqtt-client';

export function lockTime(lock: Lock): number {
  return lock.timeTrusted ? Math.floor(lock.ports.clock.rtc()) : 0;
}

/** Logs and sends an event; returns its place in the log (null when it could not be stored). */
export function emit(lock: Lock, type: number, code: number, ref: number, actorKind: number, actorRef: number, data: number[] | Uint8Array): LogPoint | null {
  // The action's OPERATION (logged once it is over): the status its changes waited for follows
  // after this slice, even when the event cannot be stored.
  if (lock.statusDue && !lock.acting) publishStatusSoon(lock);
  const log = lock.log;
  if (!log) return null;
  const bytes = appendEvent(log, { type: type, code: code, ref: ref, actorKind: actorKind, actorRef: actorRef, data: data instanceof Uint8Array ? data : new Uint8Array(data) }, lockTime(lock));
  if (!bytes) {
    lock.ports.log('event log write failed');
    return null;
  }
  // No hash here: the log hashes its newest event lazily (logHead), a receipt when it is signed.
  const at: LogPoint = { seq: log.seq, bytes: bytes };
  if (lock.onEvent) lock.onEvent(bytes);
  if (log.unreported && !log.overflowAlarmed) overflowAlarmSoon(lock);
  else log.unreported = false;
  flushEvents(lock);
  return at;
}

/**
 * One QUEUE_OVERFLOW alarm per episode (until the queue drains) while it is in the ring (the log
 * raises another when it overwrites it undelivered); its ref counts losses so far. Raised now for
 * a loss no alarm covers yet; boot calls it right after BOOT (a torn overwrite found by the scan).
 */
export function raiseOverflowAlarm(lock: Lock): void {
  const log = lock.log;
  if (!log || !log.unreported) return;
  log.unreported = false;
  if (log.overflowAlarmed) return;
  log.overflowAlarmed = true;
  log.overflowAlarmSeq = log.seq + 1;
  emit(lock, EV_ALARM, AL_QUEUE_OVERFLOW, log.dropped, 0, 0, []);
}

/**
 * The alarm for a loss the current slice caused is logged after the slice: an entry that
 * overflows the offline queue would otherwise pay for a second event (its chain hash, encoding
 * and flash write) before its slice ends. Until then the loss stays noted in `unreported`.
 */
function overflowAlarmSoon(lock: Lock): void {
  if (lock.alarmTimer) return;
  lock.alarmTimer = lock.ports.timers.setTimeout(function () {
    lock.alarmTimer = 0;
    raiseOverflowAlarm(lock);
  }, 0);
}

export function alarm(lock: Lock, code: number, ref: number, data: number[]): void {
  emit(lock, EV_ALARM, code, ref, 0, 0, data);
}

/** Logs the bolt's phase; its status goes out after the current slice (publishStatusSoon). */
export function stateEvent(lock: Lock): void {
  lock.ports.hw.led(lock.bolt.phase !== BOLT_LOCKED);
  noteState(lock, emit(lock, EV_STATE, 0, 0, 0, 0, [lock.bolt.phase, lock.doorOpen ? 2 : 1]), lock.bolt.phase, lock.doorOpen);
  publishStatusSoon(lock);
}

/**
 * Publishes stored events after the last one handed to MQTT, in order, keeping at most
 * MQTT_WINDOW in the client at a time (the rest wait in flash: bounded RAM while offline).
 */
export function flushEvents(lock: Lock): void {
  const log = lock.log;
  const m = lock.mqtt;
  if (!log || !m || !m.online) return;
  if (lock.sendingSeq < log.acked) lock.sendingSeq = log.acked;
  while (lock.sendingSeq < log.seq && m.queue.length < MQTT_WINDOW) {
    const seq = lock.sendingSeq + 1;
    lock.sendingSeq = seq;
    const bytes = readEvent(log, seq);
    // Lost to a torn write or overflow: skip it (the relay sees the gap).
    if (!bytes) {
      if (log.acked === seq - 1) ackEvent(log, seq);
      continue;
    }
    mqttPublish(m, eventTopic(lock.deviceHex), bytes, false, function (ok: boolean) {
      if (ok) ackEvent(log, seq);
      flushEvents(lock);
    });
  }
}

export function statusFlags(lock: Lock): number {
  const now = lock.ports.timers.millis();
  let f = 0;
  if (lock.timeTrusted) f |= ST_TIME_TRUSTED;
  if (lock.cameraOk) f |= ST_CAMERA_OK;
  if (lockedOut(lock.lockout, now)) f |= ST_LOCKOUT;
  if (lock.jammed) f |= ST_JAMMED;
  if (lock.installUntil > now) f |= ST_INSTALL_MODE;
  if (lock.ports.hw.batteryMv() < lock.opt.lowBatteryMv) f |= ST_LOW_BATTERY;
  if (lock.acting || lock.verifying) f |= ST_BUSY;
  if (lock.owner.mode === 1) f |= ST_OWNER_CONSENT;
  return f;
}

function trustedKeyIds(lock: Lock): number[] {
  const ids: number[] = [];
  const keys = lock.config ? lock.config.keys : [];
  for (let i = 0; i < keys.length; i++) ids.push(keys[i].id);
  return ids;
}

export function buildStatus(lock: Lock): Uint8Array | null {
  if (!lock.config || !lock.log) return null;
  return encodeStatus({
    deviceId: lock.config.deviceId,
    bolt: lock.bolt.phase,
    door: lock.doorOpen ? 2 : 1,
    flags: statusFlags(lock),
    time: lockTime(lock),
    nonce: lock.nonce,
    replayHigh: lock.replay.high,
    logSeq: lock.log.seq,
    logHead: logHead(lock.log),
    battery: Math.max(0, Math.min(65535, Math.round(lock.ports.hw.batteryMv()))),
    grants: grantCount(lock.grants),
    firmware: asciiBytes(lock.opt.firmwareVersion),
    keyIds: trustedKeyIds(lock),
    held: heldGrants(lock.grants),
    settingsRev: lock.settings.revision
  });
}

export function publishStatus(lock: Lock): void {
  // This status carries every change so far: one waiting for the slice or the action to end is not needed.
  if (lock.statusTimer) lock.ports.timers.clearTimeout(lock.statusTimer);
  lock.statusTimer = 0;
  lock.statusDue = false;
  const s = buildStatus(lock);
  if (!s) return;
  if (lock.onStatus) lock.onStatus(s);
  if (lock.mqtt && lock.mqtt.online) mqttPublishNow(lock.mqtt, stateTopic(lock.deviceHex), s, true);
}

/**
 * Publishes the status from a 0 ms timer, once for any number of changes in the current slice.
 * For an entry at the door the status (encoding it hashes the newest event into the log's
 * chain) then follows the motor start instead of delaying it. During a bolt action it waits
 * for the action's end (emit, on its OPERATION; or a publishStatus on a refusal): one status per
 * door action instead of one per step, each a message the relay stores while the entry's
 * events queue behind it.
 */
export function publishStatusSoon(lock: Lock): void {
  if (lock.acting) {
    lock.statusDue = true;
    return;
  }
  if (lock.statusTimer) return;
  lock.statusTimer = lock.ports.timers.setTimeout(function () {
    lock.statusTimer = 0;
    publishStatus(lock);
  }, 0);
}

export function reportStorageRecovery(lock: Lock, recovered: boolean): void {
  if (recovered) alarm(lock, AL_STORAGE_RECOVERED, 0, []);
}
