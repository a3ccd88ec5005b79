import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MqttFrameScanner } from '@keyway/relay';

function frame(bodyLength: number): Uint8Array {
  const len: number[] = [];
  let x = bodyLength;
  do {
    let b = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) b |= 128;
    len.push(b);
  } while (x > 0);
  return new Uint8Array([0x30, ...len, ...new Array(bodyLength).fill(0)]);
}

describe('MQTT packet size guard', () => {
  it('passes frames up to the limit, across arbitrary chunking', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 50 }), (sizes, chunk) => {
      const all = sizes.flatMap((s) => [...frame(s)]);
      const s = new MqttFrameScanner(310);
      for (let i = 0; i < all.length; i += chunk) if (!s.scan(new Uint8Array(all.slice(i, i + chunk)))) return false;
      return true;
    }));
  });

  it('refuses a frame announcing more than the limit before its body arrives', () => {
    const s = new MqttFrameScanner(1024);
    expect(s.scan(frame(100))).toBe(true);
    expect(s.scan(frame(2000).subarray(0, 4))).toBe(false);
  });

  it('refuses a malformed five-byte remaining length', () => {
    expect(new MqttFrameScanner(1 << 30).scan(new Uint8Array([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe(false);
  });
});
