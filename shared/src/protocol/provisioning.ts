/**
 * The provisioning console (docs/provisioning.md): framed, checksummed messages
 * between the installer's `keyway provision` and a lock over its serial console. A frame is
 * magic ‖ version ‖ type ‖ seq ‖ u16 length ‖ payload ‖ CRC-32, carried base64 in one line:
 * host → lock as `kwProv("<base64>")` evaluated by the Espruino REPL, lock → host as
 * `KWP:<base64>`. Garbled lines fail the CRC and change nothing.
 */
import { codedError, concatBytes } from '../bytes';
import { crc32 } from '../crc32';
import { expectEnd, reader, readBytes, readU16, readU8, writer, written } from '../codec';
import { type Infer, fixedBytes, listOf, lazyStruct, struct, u16, u32, u8, varBytes } from '../schema';
import { DEVICE_ID_LENGTH, HASH_LENGTH, PUBLIC_KEY_LENGTH } from './constants';

export const PROV_MAGIC0 = 0x4b; // 'K'
export const PROV_MAGIC1 = 0x50; // 'P'
/** 2: INFO carries the lock's own public key. A lock and a host of different versions refuse each other's frames. */
export const PROV_VERSION = 2;
export const PROV_MAX_PAYLOAD = 512;
export const PROV_CHUNK = 160;
export const PROV_LINE_PREFIX = 'KWP:';

// Host → lock
export const PV_HELLO = 0x01;
export const PV_BEGIN = 0x02;
export const PV_CHUNK = 0x03;
export const PV_COMMIT = 0x04;
export const PV_READ = 0x05;
export const PV_RESTART = 0x06;
// Lock → host
export const PV_INFO = 0x81;
export const PV_ACK = 0x82;
export const PV_CONFIG = 0x85;

export interface ProvFrame {
  type: number;
  seq: number;
  payload: Uint8Array;
}

export function encodeProvFrame(f: ProvFrame): Uint8Array {
  if (f.payload.length > PROV_MAX_PAYLOAD) throw codedError('BAD_VALUE', 'provisioning payload too long');
  const head = new Uint8Array([PROV_MAGIC0, PROV_MAGIC1, PROV_VERSION, f.type, f.seq >> 8, f.seq & 0xff, f.payload.length >> 8, f.payload.length & 0xff]);
  const body = concatBytes([head, f.payload]);
  const c = crc32(body);
  return concatBytes([body, new Uint8Array([Math.floor(c / 0x1000000) & 0xff, (c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff])]);
}

/** Throws BAD_FRAME (magic, CRC), BAD_VERSION or BAD_LENGTH. */
export function decodeProvFrame(bytes: Uint8Array): ProvFrame {
  const r = reader(bytes);
  if (readU8(r) !== PROV_MAGIC0 || readU8(r) !== PROV_MAGIC1) throw codedError('BAD_FRAME', 'not a provisioning frame');
  if (readU8(r) !== PROV_VERSION) throw codedError('BAD_VERSION', 'unsupported provisioning version');
  const type = readU8(r);
  const seq = readU16(r);
  const len = readU16(r);
  if (len > PROV_MAX_PAYLOAD) throw codedError('BAD_LENGTH', 'payload too long');
  const payload = readBytes(r, len);
  const end = r.pos;
  const want = readBytes(r, 4);
  expectEnd(r);
  const c = crc32(bytes.subarray(0, end));
  if (want[0] !== (Math.floor(c / 0x1000000) & 0xff) || want[1] !== ((c >> 16) & 0xff) || want[2] !== ((c >> 8) & 0xff) || want[3] !== (c & 0xff)) {
    throw codedError('BAD_FRAME', 'checksum mismatch');
  }
  return { type: type, seq: seq, payload: payload };
}

export const provInfo = lazyStruct(function () {
  return struct([
    ['provisioned', u8],
    ['installMode', u8],
    ['deviceId', fixedBytes(DEVICE_ID_LENGTH)],
    ['board', varBytes(32)],
    ['firmware', varBytes(24)],
    ['configHash', fixedBytes(HASH_LENGTH)],
    // The lock's own receipt-signing key (docs/protocol.md §6.2); all zero until the lock has made it.
    ['lockKey', fixedBytes(PUBLIC_KEY_LENGTH)]
  ] as const);
});

export const provBegin = lazyStruct(function () {
  return struct([
    ['length', u16],
    ['crc', u32]
  ] as const);
});

export const provChunk = lazyStruct(function () {
  return struct([
    ['offset', u16],
    ['data', varBytes(PROV_CHUNK)]
  ] as const);
});

export const provAck = lazyStruct(function () {
  return struct([
    ['code', u16]
  ] as const);
});

export const provConfig = lazyStruct(function () {
  return struct([
    ['deviceId', fixedBytes(DEVICE_ID_LENGTH)],
    ['keys', listOf(struct([['id', u32], ['key', fixedBytes(PUBLIC_KEY_LENGTH)]] as const), 4)],
    ['mqttHost', varBytes(64)],
    ['mqttPort', u16],
    ['mqttTls', u8],
    ['mqttUser', varBytes(32)],
    ['wifiSsid', varBytes(32)],
    ['site', varBytes(40)],
    ['configHash', fixedBytes(HASH_LENGTH)]
  ] as const);
});

export type ProvInfo = Infer<typeof provInfo.fields>;
export type ProvBegin = Infer<typeof provBegin.fields>;
export type ProvChunk = Infer<typeof provChunk.fields>;
export type ProvAck = Infer<typeof provAck.fields>;
export type ProvConfig = Infer<typeof provConfig.fields>;

export function encodeStruct(codec: { write(w: any, v: any): void }, v: unknown): Uint8Array {
  const w = writer(128);
  codec.write(w, v);
  return written(w);
}

export function decodeStruct<T>(codec: { read(r: any): T }, b: Uint8Array): T {
  const r = reader(b);
  const v = codec.read(r);
  expectEnd(r);
  return v;
}
