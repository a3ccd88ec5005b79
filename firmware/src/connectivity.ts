/**
 * The lock's link to the relay (docs/firmware.md): Wi-Fi join where the board has it, then the MQTT
 * session with the lock's own credentials, last will = offline marker, command topic at
 * QoS 1, dialling the provisioned relay addresses in order (the next one after a failure). On every (re)connect it republishes its status and flushes queued events in order.
 */
import {
  KIND_COMMAND, KIND_REVEAL, SRC_REVEAL, commandTopic, messageKind, offlineCodec, stateTopic, utf8Decode
} from '@keyway/shared';
import { onCommandBytes } from './command-handler';
import { onReveal } from './door-entry';
import type { Lock } from './lock-state';
import type { LockConfig } from './config';
import { createMqttClient, mqttStart, mqttStop, type MqttBroker, type MqttSettings } from './mqtt/mqtt-client';
import { publishReceipt } from './receipts';
import { flushEvents, publishStatus } from './reporting';

/** The longest wait between connection attempts while the relay is away (a battery budget). */
export const MQTT_BACKOFF_MAX_MS = 60000;
/** One attempt's limit from socket open to CONNACK (TCP, TLS and CONNECT take well under this). */
export const MQTT_CONNECT_TIMEOUT_MS = 10000;

export function randomUnit(lock: Lock): number {
  const b = lock.ports.random(2);
  return ((b[0] << 8) | b[1]) / 65536;
}

/** The configuration's relay addresses as the MQTT client dials them. */
export function brokersOf(cfg: LockConfig): MqttBroker[] {
  const out: MqttBroker[] = [];
  for (let i = 0; i < cfg.brokers.length; i++) out.push({ host: utf8Decode(cfg.brokers[i].host), port: cfg.brokers[i].port });
  return out;
}

/** The MQTT client's settings for this lock's configuration (also used by bench/firmware-owner.mts). */
export function mqttSettings(lock: Lock, cfg: LockConfig): MqttSettings {
  return {
    brokers: brokersOf(cfg), tls: cfg.mqttTls === 1,
    clientId: lock.deviceHex, username: utf8Decode(cfg.mqttUser), password: utf8Decode(cfg.mqttPass),
    keepAlive: lock.opt.keepAliveS, willTopic: stateTopic(lock.deviceHex), willPayload: offlineCodec.encode({ deviceId: cfg.deviceId }),
    subscribe: commandTopic(lock.deviceHex), maxPacket: 1024, retryMs: 5000, backoffMinMs: 1000, backoffMaxMs: MQTT_BACKOFF_MAX_MS,
    connectTimeoutMs: MQTT_CONNECT_TIMEOUT_MS
  };
}

export function connect(lock: Lock): void {
  const cfg = lock.config;
  const net = lock.ports.net;
  if (!cfg || !net || lock.mqtt) return;
  const start = function () {
    const m = createMqttClient(net, lock.ports.timers, function () {
      return randomUnit(lock);
    }, mqttSettings(lock, cfg), function (_topic: string, payload: Uint8Array) {
      onCommandTopic(lock, payload);
    }, function () {
      // Messages still queued in the client are resent by it; continue after the last queued one.
      lock.sendingSeq = lock.log ? Math.max(lock.log.acked, lock.sendingSeq) : 0;
      publishStatus(lock);
      flushEvents(lock);
      publishReceipt(lock);
    }, function () {
      // Offline: events stay queued in flash; grants keep working.
    });
    lock.mqtt = m;
    mqttStart(m);
  };
  if (cfg.wifiSsid.length > 0) {
    net.join(utf8Decode(cfg.wifiSsid), utf8Decode(cfg.wifiPass), function (err: string | null) {
      if (err) lock.ports.log('wifi: ' + err);
      start();
    });
  } else start();
}

/** Leaves the relay: gracefully (DISCONNECT) or as a power cut would (the broker sends the will). */
export function disconnect(lock: Lock, graceful?: boolean): void {
  if (lock.mqtt) mqttStop(lock.mqtt, graceful);
  lock.mqtt = null;
}

/** Routes a message from the command topic by its tag; anything else is dropped. */
export function onCommandTopic(lock: Lock, payload: Uint8Array): void {
  const kind = messageKind(payload);
  if (kind === KIND_COMMAND) onCommandBytes(lock, payload);
  else if (kind === KIND_REVEAL) onReveal(lock, payload, SRC_REVEAL);
  else lock.ports.log('dropped a message with an unknown tag');
}
