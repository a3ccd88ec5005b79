/**
 * MQTT 3.1.1 packet encoding and incremental parsing for the lock (OASIS MQTT 3.1.1 §2–§3).
 * Only what a lock needs: CONNECT/CONNACK, PUBLISH/PUBACK (QoS 0/1), SUBSCRIBE/SUBACK,
 * PINGREQ/PINGRESP, DISCONNECT. Portable ES5; bytes are Uint8Array.
 */
import { utf8Encode, utf8Decode } from '@keyway/shared';

export const CONNECT = 1;
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const SUBSCRIBE = 8;
export const SUBACK = 9;
export const PINGREQ = 12;
export const PINGRESP = 13;
export const DISCONNECT = 14;

export interface Packet {
  type: number;
  flags: number;
  body: Uint8Array;
}

export interface ConnectOptions {
  clientId: string;
  username: string;
  password: string;
  keepAlive: number;
  willTopic: string;
  willPayload: Uint8Array;
}

function lengthBytes(n: number): number[] {
  // §2.2.3 remaining length: 7 bits per byte, at most 4 bytes.
  const out: number[] = [];
  do {
    let d = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) d |= 0x80;
    out.push(d);
  } while (n > 0);
  return out;
}

function packet(first: number, parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += parts[i].length;
  const len = lengthBytes(n);
  const out = new Uint8Array(1 + len.length + n);
  out[0] = first;
  for (let i = 0; i < len.length; i++) out[1 + i] = len[i];
  let o = 1 + len.length;
  for (let i = 0; i < parts.length; i++) {
    out.set(parts[i], o);
    o += parts[i].length;
  }
  return out;
}

function str(s: string): Uint8Array {
  return bin(utf8Encode(s));
}

function bin(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + b.length);
  out[0] = b.length >> 8;
  out[1] = b.length & 0xff;
  out.set(b, 2);
  return out;
}

function u16(v: number): Uint8Array {
  return new Uint8Array([v >> 8, v & 0xff]);
}

export function encodeConnect(o: ConnectOptions): Uint8Array {
  // §3.1.2: clean session, will QoS 1 retained, username and password.
  const flags = 0x80 | 0x40 | 0x20 | 0x08 | 0x04 | 0x02;
  const header = new Uint8Array([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, flags, o.keepAlive >> 8, o.keepAlive & 0xff]);
  return packet(0x10, [header, str(o.clientId), str(o.willTopic), bin(o.willPayload), str(o.username), str(o.password)]);
}

export function encodePublish(topic: string, payload: Uint8Array, qos: number, retain: boolean, id: number, dup: boolean): Uint8Array {
  const first = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 1 : 0);
  return qos > 0 ? packet(first, [str(topic), u16(id), payload]) : packet(first, [str(topic), payload]);
}

export function encodePuback(id: number): Uint8Array {
  return packet(0x40, [u16(id)]);
}

export function encodeSubscribe(id: number, topic: string, qos: number): Uint8Array {
  return packet(0x82, [u16(id), str(topic), new Uint8Array([qos])]);
}

export function encodePingreq(): Uint8Array {
  return new Uint8Array([0xc0, 0]);
}

export function encodeDisconnect(): Uint8Array {
  return new Uint8Array([0xe0, 0]);
}

export interface Parser {
  buf: Uint8Array;
  len: number;
  maxPacket: number;
}

/** What the parser first takes for bytes it must hold; it doubles up to what `maxPacket` needs. */
const PARSER_FIRST_BYTES = 64;
/** The parser's buffer while it holds nothing: at rest, and between packets, it keeps no bytes. */
const NO_BYTES = new Uint8Array(0);

export function createParser(maxPacket: number): Parser {
  return { buf: NO_BYTES, len: 0, maxPacket: maxPacket };
}

/**
 * Feeds bytes; returns the complete packets. Throws MQTT_TOO_LARGE or MQTT_MALFORMED,
 * after which the caller drops the connection.
 */
export function feed(p: Parser, data: Uint8Array): Packet[] {
  if (p.len + data.length > p.buf.length) {
    let cap = p.buf.length > 0 ? p.buf.length : PARSER_FIRST_BYTES;
    while (cap < p.len + data.length) cap *= 2;
    if (cap > p.maxPacket * 2 + 8) cap = p.maxPacket * 2 + 8;
    if (p.len + data.length > cap) throw new Error('MQTT_TOO_LARGE');
    const nb = new Uint8Array(cap);
    nb.set(p.buf.subarray(0, p.len));
    p.buf = nb;
  }
  p.buf.set(data, p.len);
  p.len += data.length;
  const out: Packet[] = [];
  for (;;) {
    if (p.len < 2) break;
    let mult = 1;
    let rem = 0;
    let i = 1;
    let done = false;
    while (i < p.len && i <= 4) {
      const d = p.buf[i];
      rem += (d & 0x7f) * mult;
      mult *= 128;
      i++;
      if ((d & 0x80) === 0) {
        done = true;
        break;
      }
    }
    if (!done) {
      if (i > 4) throw new Error('MQTT_MALFORMED');
      break;
    }
    if (rem > p.maxPacket) throw new Error('MQTT_TOO_LARGE');
    if (p.len < i + rem) break;
    const body = new Uint8Array(rem);
    body.set(p.buf.subarray(i, i + rem));
    out.push({ type: p.buf[0] >> 4, flags: p.buf[0] & 15, body: body });
    p.buf.set(p.buf.subarray(i + rem, p.len));
    p.len -= i + rem;
  }
  // Nothing partial left: give the buffer back (it may have grown to a large command's size).
  if (p.len === 0) p.buf = NO_BYTES;
  return out;
}

export interface IncomingPublish {
  topic: string;
  id: number;
  qos: number;
  payload: Uint8Array;
}

export function decodePublish(pk: Packet): IncomingPublish {
  const b = pk.body;
  const qos = (pk.flags >> 1) & 3;
  if (qos > 1 || b.length < 2) throw new Error('MQTT_MALFORMED');
  const tl = (b[0] << 8) | b[1];
  let o = 2 + tl;
  if (o > b.length) throw new Error('MQTT_MALFORMED');
  const topic = utf8Decode(b.subarray(2, o));
  let id = 0;
  if (qos > 0) {
    if (o + 2 > b.length) throw new Error('MQTT_MALFORMED');
    id = (b[o] << 8) | b[o + 1];
    o += 2;
  }
  return { topic: topic, id: id, qos: qos, payload: b.subarray(o) };
}

export function packetId(pk: Packet): number {
  if (pk.body.length < 2) throw new Error('MQTT_MALFORMED');
  return (pk.body[0] << 8) | pk.body[1];
}
