/** Base64 (RFC 4648, with padding) for the provisioning console's text lines. Portable ES5. */
import { codedError } from './bytes';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function base64Encode(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i] << 16) | ((i + 1 < b.length ? b[i + 1] : 0) << 8) | (i + 2 < b.length ? b[i + 2] : 0);
    s += ALPHABET.charAt((n >> 18) & 63) + ALPHABET.charAt((n >> 12) & 63);
    s += i + 1 < b.length ? ALPHABET.charAt((n >> 6) & 63) : '=';
    s += i + 2 < b.length ? ALPHABET.charAt(n & 63) : '=';
  }
  return s;
}

export function base64Decode(s: string): Uint8Array {
  if (typeof s !== 'string' || s.length % 4 !== 0) throw codedError('BAD_BASE64', 'base64 length must be a multiple of 4');
  let pad = 0;
  if (s.length > 0 && s.charAt(s.length - 1) === '=') pad++;
  if (s.length > 1 && s.charAt(s.length - 2) === '=') pad++;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const c = s.charAt(i + k);
      let v = ALPHABET.indexOf(c);
      if (c === '=' && i + 4 === s.length && k >= 4 - pad) v = 0;
      else if (v < 0) throw codedError('BAD_BASE64', 'not a base64 character');
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = (n >> 16) & 0xff;
    if (o < out.length) out[o++] = (n >> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  return out;
}
