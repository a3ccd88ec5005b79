/**
 * Bounds-checked big-endian reader and writer for the canonical wire encoding
 * (docs/protocol.md §2). Every read past the end throws BAD_LENGTH; decoders call
 * `end()` so trailing bytes are rejected too: one message, one encoding.
 *
 * The functions the lock calls per field carry Espruino's "ram" directive: Espruino keeps them
 * pretokenised in RAM even when the bundle runs from Storage, instead of reading their text from
 * flash at every call (docs/firmware.md, "Code read from Storage"). Functions used from one place
 * only go without it: the minifier moves those into their caller as function expressions, which
 * Espruino would copy to RAM again at every call (tests/tools/es5-bundle.test.ts checks this).
 */
import { codedError } from './bytes';

export interface ByteReader {
  readonly bytes: Uint8Array;
  pos: number;
}

export function reader(bytes: Uint8Array): ByteReader {
  if (!(bytes instanceof Uint8Array)) throw codedError('BAD_FORMAT', 'bytes expected');
  return { bytes: bytes, pos: 0 };
}

function need(r: ByteReader, n: number): void {
  'ram';
  if (r.pos + n > r.bytes.length) throw codedError('BAD_LENGTH', 'message too short');
}

export function readU8(r: ByteReader): number {
  'ram';
  need(r, 1);
  return r.bytes[r.pos++];
}

export function readU16(r: ByteReader): number {
  'ram';
  need(r, 2);
  const b = r.bytes;
  const v = (b[r.pos] << 8) | b[r.pos + 1];
  r.pos += 2;
  return v;
}

export function readI16(r: ByteReader): number {
  const v = readU16(r);
  return v >= 0x8000 ? v - 0x10000 : v;
}

export function readU32(r: ByteReader): number {
  need(r, 4);
  const b = r.bytes;
  const p = r.pos;
  r.pos += 4;
  return b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
}

/** Reads n bytes as a view into the message (no copy). */
export function readBytes(r: ByteReader, n: number): Uint8Array {
  'ram';
  need(r, n);
  const v = r.bytes.subarray(r.pos, r.pos + n);
  r.pos += n;
  return v;
}

/** Requires the exact ASCII tag at the current position. */
export function expectTag(r: ByteReader, tag: Uint8Array): void {
  need(r, tag.length);
  for (let i = 0; i < tag.length; i++) {
    if (r.bytes[r.pos + i] !== tag[i]) throw codedError('BAD_TAG', 'wrong domain-separation tag');
  }
  r.pos += tag.length;
}

export function expectEnd(r: ByteReader): void {
  if (r.pos !== r.bytes.length) throw codedError('BAD_LENGTH', 'trailing bytes after message');
}

export interface ByteWriter {
  buf: Uint8Array;
  pos: number;
}

export function writer(capacity: number): ByteWriter {
  return { buf: new Uint8Array(capacity), pos: 0 };
}

function room(w: ByteWriter, n: number): void {
  'ram';
  if (w.pos + n <= w.buf.length) return;
  let cap = w.buf.length * 2;
  while (cap < w.pos + n) cap *= 2;
  const nb = new Uint8Array(cap);
  nb.set(w.buf);
  w.buf = nb;
}

function checkInt(v: number, max: number, what: string): void {
  'ram';
  if (typeof v !== 'number' || v !== Math.floor(v) || v < 0 || v > max) throw codedError('BAD_VALUE', what + ' out of range');
}

export function writeU8(w: ByteWriter, v: number): void {
  'ram';
  checkInt(v, 0xff, 'u8');
  room(w, 1);
  w.buf[w.pos++] = v;
}

export function writeU16(w: ByteWriter, v: number): void {
  'ram';
  checkInt(v, 0xffff, 'u16');
  room(w, 2);
  w.buf[w.pos++] = v >> 8;
  w.buf[w.pos++] = v & 0xff;
}

export function writeI16(w: ByteWriter, v: number): void {
  if (v < -0x8000 || v > 0x7fff) throw codedError('BAD_VALUE', 'i16 out of range');
  writeU16(w, v < 0 ? v + 0x10000 : v);
}

export function writeU32(w: ByteWriter, v: number): void {
  checkInt(v, 0xffffffff, 'u32');
  room(w, 4);
  w.buf[w.pos++] = Math.floor(v / 0x1000000) & 0xff;
  w.buf[w.pos++] = (v >> 16) & 0xff;
  w.buf[w.pos++] = (v >> 8) & 0xff;
  w.buf[w.pos++] = v & 0xff;
}

/** Writes exactly n bytes; a value of another length is a programming error. */
export function writeFixed(w: ByteWriter, b: Uint8Array, n: number, what: string): void {
  'ram';
  if (!(b instanceof Uint8Array) || b.length !== n) throw codedError('BAD_VALUE', what + ' must be ' + n + ' bytes');
  room(w, n);
  w.buf.set(b, w.pos);
  w.pos += n;
}

export function writeBytes(w: ByteWriter, b: Uint8Array): void {
  'ram';
  room(w, b.length);
  w.buf.set(b, w.pos);
  w.pos += b.length;
}

export function written(w: ByteWriter): Uint8Array {
  return w.buf.subarray(0, w.pos);
}
