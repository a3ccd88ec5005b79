/**
 * The lock's side of the provisioning console (docs/provisioning.md). The new
 * configuration is staged in RAM chunk by chunk and written only on COMMIT, as one
 * power-safe record: a pulled cable or a power cut leaves the previous configuration.
 * A provisioned lock accepts a new configuration only in install mode (long press of the
 * inside button), so nobody can re-provision it from the serial port alone.
 */
import {
  PROV_LINE_PREFIX, PV_ACK, PV_BEGIN, PV_CHUNK, PV_COMMIT, PV_CONFIG, PV_HELLO, PV_INFO, PV_READ,
  PV_RESTART, RC_BAD_FORMAT, RC_BAD_KEY, RC_BAD_LENGTH, RC_NOT_PERMITTED, RC_OK, RC_STORAGE_FAILURE, asciiBytes, base64Decode,
  base64Encode, bytesEqual, crc32, decodeProvFrame, decodeStruct, decodePointValid, encodeProvFrame, encodeStruct, hash32,
  isAcceptablePublicKey, isAllZero, keyIdOf, provBegin, provChunk, provConfig, provInfo, provAck
} from '@keyway/shared';
import { CONFIG_VERSION, decodeConfig, encodeConfig, type LockConfig } from './config';
import type { Lock } from './lock-state';
import { saveConfig } from './persistence';

export interface ProvisioningSession {
  staged: Uint8Array | null;
  received: number;
  crc: number;
}

export function createProvisioningSession(): ProvisioningSession {
  return { staged: null, received: 0, crc: 0 };
}

function reply(type: number, seq: number, payload: Uint8Array): string {
  return PROV_LINE_PREFIX + base64Encode(encodeProvFrame({ type: type, seq: seq, payload: payload }));
}

function ack(seq: number, code: number): string {
  return reply(PV_ACK, seq, encodeStruct(provAck, { code: code }));
}

export function inInstallMode(lock: Lock): boolean {
  return lock.installUntil > lock.ports.timers.millis();
}

function configHash(lock: Lock): Uint8Array {
  return lock.config ? hash32(encodeConfig(lock.config)) : new Uint8Array(32);
}

/** Checks a staged configuration before it may replace the current one. */
export function validateConfig(c: LockConfig): number {
  if (c.version !== CONFIG_VERSION || isAllZero(c.deviceId) || c.brokers.length === 0) return RC_BAD_FORMAT;
  for (let i = 0; i < c.brokers.length; i++) {
    if (c.brokers[i].port === 0 || c.brokers[i].host.length === 0) return RC_BAD_FORMAT;
  }
  if (c.keys.length === 0) return RC_BAD_KEY;
  for (let i = 0; i < c.keys.length; i++) {
    const k = c.keys[i];
    if (k.id !== keyIdOf(k.key) || !isAcceptablePublicKey(k.key) || !decodePointValid(k.key)) return RC_BAD_KEY;
  }
  return RC_OK;
}

/** Handles one base64 frame from the host; returns the reply line. Never throws. */
export function provisionFrame(lock: Lock, s: ProvisioningSession, line: string): string {
  let f;
  try {
    f = decodeProvFrame(base64Decode(line));
  } catch (_e) {
    return ack(0, RC_BAD_FORMAT);
  }
  try {
    return handle(lock, s, f.type, f.seq, f.payload);
  } catch (_e) {
    return ack(f.seq, RC_BAD_FORMAT);
  }
}

function handle(lock: Lock, s: ProvisioningSession, type: number, seq: number, payload: Uint8Array): string {
  if (type === PV_HELLO) {
    return reply(PV_INFO, seq, encodeStruct(provInfo, {
      provisioned: lock.config ? 1 : 0, installMode: inInstallMode(lock) ? 1 : 0,
      deviceId: lock.config ? lock.config.deviceId : new Uint8Array(8), board: asciiBytes(lock.board.id),
      firmware: asciiBytes(lock.opt.firmwareVersion), configHash: configHash(lock),
      lockKey: lock.signer ? lock.signer.publicKey : new Uint8Array(32)
    }));
  }
  if (type === PV_BEGIN) {
    if (lock.config && !inInstallMode(lock)) return ack(seq, RC_NOT_PERMITTED);
    const b = decodeStruct(provBegin, payload);
    if (b.length < 1 || b.length > 1024) return ack(seq, RC_BAD_LENGTH);
    s.staged = new Uint8Array(b.length);
    s.received = 0;
    s.crc = b.crc;
    return ack(seq, RC_OK);
  }
  if (type === PV_CHUNK) {
    const c = decodeStruct(provChunk, payload);
    const st = s.staged;
    if (!st) return ack(seq, RC_NOT_PERMITTED);
    if (c.offset + c.data.length > st.length) return ack(seq, RC_BAD_LENGTH);
    if (c.offset < s.received) {
      // A retransmission of a chunk already taken: fine if identical.
      return ack(seq, bytesEqual(st.subarray(c.offset, c.offset + c.data.length), c.data) ? RC_OK : RC_BAD_FORMAT);
    }
    if (c.offset !== s.received) return ack(seq, RC_BAD_LENGTH);
    st.set(c.data, c.offset);
    s.received += c.data.length;
    return ack(seq, RC_OK);
  }
  if (type === PV_COMMIT) {
    const st = s.staged;
    s.staged = null;
    if (!st || s.received !== st.length) return ack(seq, RC_BAD_LENGTH);
    if (crc32(st) !== s.crc) return ack(seq, RC_BAD_FORMAT);
    if (lock.config && !inInstallMode(lock)) return ack(seq, RC_NOT_PERMITTED);
    let c: LockConfig;
    try {
      c = decodeConfig(st);
    } catch (_e) {
      return ack(seq, RC_BAD_FORMAT);
    }
    const v = validateConfig(c);
    if (v !== RC_OK) return ack(seq, v);
    if (lock.config && bytesEqual(encodeConfig(lock.config), st)) return ack(seq, RC_OK); // re-run: nothing to do
    return ack(seq, saveConfig(lock, c) ? RC_OK : RC_STORAGE_FAILURE);
  }
  if (type === PV_READ) {
    const c = lock.config;
    if (!c) return ack(seq, RC_NOT_PERMITTED);
    return reply(PV_CONFIG, seq, encodeStruct(provConfig, {
      // The summary names the first address; the hash covers the whole list.
      deviceId: c.deviceId, keys: c.keys, mqttHost: c.brokers[0].host, mqttPort: c.brokers[0].port, mqttTls: c.mqttTls,
      mqttUser: c.mqttUser, wifiSsid: c.wifiSsid, site: c.site, configHash: configHash(lock)
    }));
  }
  if (type === PV_RESTART) {
    lock.ports.timers.setTimeout(function () {
      lock.ports.reboot();
    }, 200);
    return ack(seq, RC_OK);
  }
  return ack(seq, RC_BAD_FORMAT);
}

