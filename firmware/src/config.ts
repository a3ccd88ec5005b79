/**
 * The lock's provisioned identity and settings, persisted as one power-safe record
 * (`kwcfg`). Written at provisioning and on key rotation only.
 */
import {
  DEVICE_ID_LENGTH, PUBLIC_KEY_LENGTH, fixedBytes, listOf, reader, expectEnd, struct, u16, u32, u8, varBytes, writer, written,
  type Infer
} from '@keyway/shared';

export const MAX_TRUSTED_KEYS = 4;

export const trustedKey = struct([
  ['id', u32],
  ['key', fixedBytes(PUBLIC_KEY_LENGTH)]
] as const);

export const configCodec = struct([
  ['version', u8],
  ['deviceId', fixedBytes(DEVICE_ID_LENGTH)],
  ['keys', listOf(trustedKey, MAX_TRUSTED_KEYS)],
  ['mqttHost', varBytes(64)],
  ['mqttPort', u16],
  ['mqttTls', u8],
  ['mqttUser', varBytes(32)],
  ['mqttPass', varBytes(64)],
  ['wifiSsid', varBytes(32)],
  ['wifiPass', varBytes(64)],
  ['site', varBytes(40)]
] as const);

export type TrustedKey = Infer<typeof trustedKey.fields>;
export type LockConfig = Infer<typeof configCodec.fields>;

export const CONFIG_VERSION = 1;

export function encodeConfig(c: LockConfig): Uint8Array {
  const w = writer(256);
  configCodec.write(w, c);
  return written(w);
}

export function decodeConfig(b: Uint8Array): LockConfig {
  const r = reader(b);
  const c = configCodec.read(r);
  expectEnd(r);
  return c;
}
