/**
 * The lock's provisioned identity and settings, persisted as one power-safe record
 * (`kwcfg`, docs/firmware.md#configuration-record). Written at provisioning and on key rotation only.
 * Version 2 holds an ordered list of relay (MQTT broker) addresses; a version 1 record, with one
 * host and port, still loads and becomes a list of one.
 */
import {
  DEVICE_ID_LENGTH, PUBLIC_KEY_LENGTH, codedError, fixedBytes, listOf, reader, expectEnd, struct, u16, u32, u8, varBytes, writer,
  written, type Infer
} from '@keyway/shared';

export const MAX_TRUSTED_KEYS = 4;
/** Relay addresses a lock holds: enough for a relay set across machines, small in flash and RAM. */
export const MAX_BROKERS = 4;
/** The longest broker host name, in bytes. */
export const MAX_BROKER_HOST = 64;

export const trustedKey = struct([
  ['id', u32],
  ['key', fixedBytes(PUBLIC_KEY_LENGTH)]
] as const);

/** One relay's MQTT listener: host name or address (UTF-8) and TCP port (never 0). */
export const brokerAddress = struct([
  ['host', varBytes(MAX_BROKER_HOST)],
  ['port', u16]
] as const);

export const configCodec = struct([
  ['version', u8],
  ['deviceId', fixedBytes(DEVICE_ID_LENGTH)],
  ['keys', listOf(trustedKey, MAX_TRUSTED_KEYS)],
  // Tried in order; a failed attempt or a dropped connection moves on to the next (connectivity.ts).
  ['brokers', listOf(brokerAddress, MAX_BROKERS)],
  // One TLS flag for every address: the relays of one deployment share their listener setup.
  ['mqttTls', u8],
  ['mqttUser', varBytes(32)],
  ['mqttPass', varBytes(64)],
  ['wifiSsid', varBytes(32)],
  ['wifiPass', varBytes(64)],
  ['site', varBytes(40)]
] as const);

/** The version 1 record: a single broker host and port where version 2 has the list. */
const singleHostCodec = struct([
  ['version', u8],
  ['deviceId', fixedBytes(DEVICE_ID_LENGTH)],
  ['keys', listOf(trustedKey, MAX_TRUSTED_KEYS)],
  ['mqttHost', varBytes(MAX_BROKER_HOST)],
  ['mqttPort', u16],
  ['mqttTls', u8],
  ['mqttUser', varBytes(32)],
  ['mqttPass', varBytes(64)],
  ['wifiSsid', varBytes(32)],
  ['wifiPass', varBytes(64)],
  ['site', varBytes(40)]
] as const);

export type TrustedKey = Infer<typeof trustedKey.fields>;
export type BrokerAddress = Infer<typeof brokerAddress.fields>;
export type LockConfig = Infer<typeof configCodec.fields>;
export type SingleHostConfig = Infer<typeof singleHostCodec.fields>;

export const CONFIG_VERSION = 2;
/** Records written before the address list (one `mqttHost`/`mqttPort`). */
export const CONFIG_VERSION_SINGLE_HOST = 1;

export function encodeConfig(c: LockConfig): Uint8Array {
  const w = writer(256);
  configCodec.write(w, c);
  return written(w);
}

/** Encodes a version 1 record (what older provisioning tools send); for tests of the upgrade path. */
export function encodeSingleHostConfig(c: SingleHostConfig): Uint8Array {
  const w = writer(256);
  singleHostCodec.write(w, c);
  return written(w);
}

/** Decodes a version 2 record, or a version 1 record as a version 2 configuration with one address. */
export function decodeConfig(b: Uint8Array): LockConfig {
  const r = reader(b);
  if (b.length > 0 && b[0] === CONFIG_VERSION_SINGLE_HOST) {
    const old = singleHostCodec.read(r);
    expectEnd(r);
    return {
      version: CONFIG_VERSION, deviceId: old.deviceId, keys: old.keys, brokers: [{ host: old.mqttHost, port: old.mqttPort }],
      mqttTls: old.mqttTls, mqttUser: old.mqttUser, mqttPass: old.mqttPass, wifiSsid: old.wifiSsid, wifiPass: old.wifiPass, site: old.site
    };
  }
  if (b.length > 0 && b[0] !== CONFIG_VERSION) throw codedError('BAD_FORMAT', 'unknown configuration version ' + b[0]);
  const c = configCodec.read(r);
  expectEnd(r);
  return c;
}
