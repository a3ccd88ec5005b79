/**
 * Caps the size of incoming MQTT packets before Aedes buffers them (Aedes has no such
 * option). A scanner follows the MQTT framing (one fixed-header byte, a 1–4 byte
 * "remaining length", then the body) across chunk boundaries; a frame announcing more
 * than the limit closes the connection. Written data passes through unchanged.
 */
import { Duplex } from 'node:stream';

export class MqttFrameScanner {
  private state = 0;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly maxPacketSize: number) {}

  /** False once a frame exceeds the limit or has a malformed length. */
  scan(chunk: Uint8Array): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 2) {
        const n = Math.min(this.remaining, chunk.length - i);
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) this.state = 0;
        continue;
      }
      const b = chunk[i++];
      if (this.state === 0) {
        this.state = 1;
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      this.length += (b & 127) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if ((b & 128) === 0) {
        if (1 + this.lengthBytes + this.length > this.maxPacketSize) return false;
        this.remaining = this.length;
        this.state = this.length > 0 ? 2 : 0;
      } else if (this.lengthBytes >= 4) return false;
    }
    return true;
  }
}

class GuardedConnection extends Duplex {
  constructor(private readonly inner: Duplex, maxPacketSize: number, onOversize: () => void) {
    super();
    const scanner = new MqttFrameScanner(maxPacketSize);
    inner.on('data', (chunk: Buffer) => {
      if (!scanner.scan(chunk)) {
        onOversize();
        this.destroy(new Error('MQTT packet larger than ' + maxPacketSize + ' bytes'));
        return;
      }
      if (!this.push(chunk)) inner.pause();
    });
    inner.on('end', () => this.push(null));
    inner.on('error', (err) => this.destroy(err));
    inner.on('close', () => this.destroy());
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.inner.destroyed) return cb();
    this.inner.write(chunk, encoding, cb);
  }

  /**
   * Aedes writes a packet in pieces (header, length, topic, payload) with this stream corked
   * until the next tick; the pieces, and any other packet written in the same tick, leave in
   * one write to the socket instead of one system call (and one TCP segment) each.
   */
  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, cb: (err?: Error | null) => void): void {
    if (this.inner.destroyed) return cb();
    this.inner.cork();
    const last = chunks.length - 1;
    for (let i = 0; i < last; i++) this.inner.write(chunks[i].chunk, chunks[i].encoding);
    this.inner.write(chunks[last].chunk, chunks[last].encoding, cb);
    this.inner.uncork();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.inner.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.inner.destroy();
    cb(err);
  }
}

export function guardConnection(inner: Duplex, maxPacketSize: number, onOversize: () => void): Duplex {
  return new GuardedConnection(inner, maxPacketSize, onOversize);
}
