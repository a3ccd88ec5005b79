/**
 * The lock's incremental MQTT parser (firmware/src/mqtt/mqtt-codec.ts): packets split across
 * chunks and several in one chunk, the buffer given back once nothing partial is held (so a large
 * command does not keep its size in memory), and refusals of oversized and malformed input.
 */
import { describe, expect, it } from 'vitest';
import { PUBLISH, createParser, decodePublish, feed } from '@keyway/firmware';

const MAX_PACKET = 300;

/** A QoS 1 PUBLISH on `topic` with packet id 7 and `n` payload bytes of value 0xab. */
function publish(topic: string, n: number): Uint8Array {
  const t = new TextEncoder().encode(topic);
  const rem = 2 + t.length + 2 + n;
  const len = rem < 128 ? [rem] : [(rem & 0x7f) | 0x80, rem >> 7];
  return new Uint8Array([0x32, ...len, 0, t.length, ...t, 0, 7, ...new Array(n).fill(0xab)]);
}

describe('MQTT parser', () => {
  it('joins a packet split byte by byte, and holds no buffer once the packet is out', () => {
    const p = createParser(MAX_PACKET);
    expect(p.buf.length).toBe(0);
    const bytes = publish('kw/1', 200);
    for (let i = 0; i < bytes.length - 1; i++) {
      expect(feed(p, bytes.subarray(i, i + 1))).toEqual([]);
    }
    expect(p.buf.length).toBeGreaterThanOrEqual(bytes.length - 1);
    const out = feed(p, bytes.subarray(bytes.length - 1));
    expect(out.length).toBe(1);
    expect(out[0].type).toBe(PUBLISH);
    const m = decodePublish(out[0]);
    expect(m.topic).toBe('kw/1');
    expect(m.id).toBe(7);
    expect(Array.from(m.payload)).toEqual(new Array(200).fill(0xab));
    expect(p.len).toBe(0);
    expect(p.buf.length).toBe(0);
  });

  it('returns several packets from one chunk and keeps only the partial tail', () => {
    const p = createParser(MAX_PACKET);
    const a = publish('a', 3);
    const b = publish('b', 4);
    const chunk = new Uint8Array([...a, ...b, ...a.subarray(0, 3)]);
    const out = feed(p, chunk);
    expect(out.map((x) => decodePublish(x).topic)).toEqual(['a', 'b']);
    expect(p.len).toBe(3);
    expect(feed(p, a.subarray(3)).map((x) => decodePublish(x).topic)).toEqual(['a']);
    expect(p.buf.length).toBe(0);
  });

  it('refuses a packet over the maximum and a malformed length', () => {
    const p = createParser(MAX_PACKET);
    expect(() => feed(p, publish('kw/1', MAX_PACKET))).toThrow('MQTT_TOO_LARGE');
    const q = createParser(MAX_PACKET);
    expect(() => feed(q, new Uint8Array([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]))).toThrow('MQTT_MALFORMED');
  });
});
