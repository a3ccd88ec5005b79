/**
 * Byte helpers shared by the relay and the lock. Portable: ES5 only, no Buffer,
 * no TextEncoder (Espruino and Duktape have neither).
 */

const HEX = '0123456789abcdef';

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX.charAt(bytes[i] >> 4) + HEX.charAt(bytes[i] & 15);
  return s;
}

/** Parses lower- or upper-case hex of even length; throws on anything else. */
export function fromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || hex.length % 2 !== 0) throw codedError('BAD_HEX', 'hex string of even length expected');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigit(hex.charCodeAt(2 * i));
    const lo = hexDigit(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw codedError('BAD_HEX', 'not a hex digit at ' + 2 * i);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** UTF-8 encoding of a JS string (lone surrogates become U+FFFD). */
export function utf8Encode(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(out);
}

/** Strict UTF-8 decoding: overlong forms, surrogates and truncated sequences throw. */
export function utf8Decode(b: Uint8Array): string {
  let s = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i++];
    let cp: number;
    let need: number;
    let min: number;
    if (c < 0x80) { s += String.fromCharCode(c); continue; }
    if (c >= 0xc2 && c <= 0xdf) { cp = c & 31; need = 1; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { cp = c & 15; need = 2; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { cp = c & 7; need = 3; min = 0x10000; }
    else throw codedError('BAD_UTF8', 'invalid UTF-8 lead byte');
    if (i + need > b.length) throw codedError('BAD_UTF8', 'truncated UTF-8 sequence');
    for (let k = 0; k < need; k++) {
      const d = b[i++];
      if ((d & 0xc0) !== 0x80) throw codedError('BAD_UTF8', 'invalid UTF-8 continuation byte');
      cp = (cp << 6) | (d & 63);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw codedError('BAD_UTF8', 'invalid UTF-8 code point');
    if (cp >= 0x10000) {
      cp -= 0x10000;
      s += String.fromCharCode(0xd800 + (cp >> 10), 0xdc00 + (cp & 1023));
    } else s += String.fromCharCode(cp);
  }
  return s;
}

/** ASCII bytes of a string whose characters are all < 0x80 (tags, topics); "ram" as bytesEqual. */
export function asciiBytes(s: string): Uint8Array {
  'ram';
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0x7f;
  return out;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += parts[i].length;
  const out = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < parts.length; i++) {
    out.set(parts[i], o);
    o += parts[i].length;
  }
  return out;
}

/**
 * Length-checked comparison whose time does not depend on where the first difference is. "ram":
 * Espruino keeps it pretokenised in RAM, so the loop is not read from flash per byte (the door
 * compares two 32-byte values).
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  'ram';
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export function isAllZero(a: Uint8Array): boolean {
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i];
  return d === 0;
}

/**
 * Copy (Uint8Array.prototype.slice is missing on some interpreters). One native copy of a
 * subarray, not a loop per byte: the lock copies chain values and hashes at the door, and on
 * Espruino running from Storage the loop cost ~0.6 ms per 32 bytes, the native copy ~0.1 ms.
 */
export function copyBytes(a: Uint8Array, start?: number, end?: number): Uint8Array {
  const s = start === undefined ? 0 : start;
  const e = end === undefined ? a.length : end;
  const out = new Uint8Array(e - s);
  out.set(a.subarray(s, e));
  return out;
}

/** An Error carrying a stable machine code; plain Error so it survives every interpreter. */
export interface CodedError extends Error {
  code: string;
}

export function codedError(code: string, message: string): CodedError {
  const e = new Error(code + ': ' + message) as CodedError;
  e.code = code;
  return e;
}
