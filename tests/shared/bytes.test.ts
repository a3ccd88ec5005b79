import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesEqual, concatBytes, fromHex, toHex, utf8Decode, utf8Encode } from '@keyway/shared';

describe('hex', () => {
  it('round-trips and rejects bad input with a code', () => {
    expect(toHex(fromHex('00ff10Ab'))).toBe('00ff10ab');
    expect(() => fromHex('abc')).toThrow(expect.objectContaining({ code: 'BAD_HEX' }));
    expect(() => fromHex('zz')).toThrow(expect.objectContaining({ code: 'BAD_HEX' }));
  });
  it('matches Buffer for random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      expect(toHex(b)).toBe(Buffer.from(b).toString('hex'));
      expect(bytesEqual(fromHex(toHex(b)), b)).toBe(true);
    }));
  });
});

describe('utf8', () => {
  it('matches TextEncoder/TextDecoder on well-formed strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
      const ours = utf8Encode(s);
      expect(toHex(ours)).toBe(toHex(new TextEncoder().encode(s)));
      expect(utf8Decode(ours)).toBe(s);
    }));
  });
  it('rejects overlong, surrogate and truncated sequences', () => {
    for (const bad of ['c080', 'eda080', 'e282', 'f8888080', '80']) {
      expect(() => utf8Decode(fromHex(bad))).toThrow(expect.objectContaining({ code: 'BAD_UTF8' }));
    }
  });
});

describe('bytesEqual / concat', () => {
  it('compares lengths and contents', () => {
    expect(bytesEqual(fromHex('0102'), fromHex('0102'))).toBe(true);
    expect(bytesEqual(fromHex('0102'), fromHex('0103'))).toBe(false);
    expect(bytesEqual(fromHex('0102'), fromHex('010200'))).toBe(false);
    expect(toHex(concatBytes([fromHex('01'), fromHex(''), fromHex('0203')]))).toBe('010203');
  });
});
