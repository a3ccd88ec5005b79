import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { guardConnection, MqttFrameScanner } from '@keyway/relay';

/** A socket stand-in that records each write batch it is handed (one batch = one system call on a socket). */
class RecordingSocket extends Duplex {
  readonly batches: Buffer[][] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.batches.push([chunk]);
    cb();
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, cb: () => void): void {
    this.batches.push(chunks.map((c) => c.chunk));
    cb();
  }
}

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

  it('sends a packet written in pieces, and others of the same tick, to the socket in one write, bytes unchanged', async () => {
    const socket = new RecordingSocket();
    const guarded = guardConnection(socket, 1024, () => undefined);
    const publish = { cmd: 'publish', topic: 'kw/0011223344556677/cmd', payload: Buffer.alloc(120, 7), qos: 1, messageId: 9, retain: false, dup: false } as const;
    const puback = { cmd: 'puback', messageId: 4 } as const;
    mqttPacket.writeToStream(publish, guarded);
    mqttPacket.writeToStream(puback, guarded);
    await new Promise((r) => setImmediate(r));
    expect(socket.batches).toHaveLength(1);
    expect(Buffer.concat(socket.batches[0])).toEqual(Buffer.concat([mqttPacket.generate(publish), mqttPacket.generate(puback)]));
  });
});
