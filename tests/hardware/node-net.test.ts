/**
 * The simulator's Espruino-style sockets on Node (hardware/src/node/node-net.ts), on loopback:
 * with coalesceWrites the bytes written in one event-loop turn go to the socket as one write, the
 * same bytes in the same order as without, across turns too; `end()` sends what is pending before
 * closing; nothing is written after the socket is gone.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeConnect } from '@keyway/hardware';
import { scaled } from '../support/time-scale';

interface Peer {
  port: number;
  chunks: Buffer[];
  closed: Promise<void>;
  close(): Promise<void>;
}

async function peer(): Promise<Peer> {
  const chunks: Buffer[] = [];
  let closedResolve: () => void = () => undefined;
  const closed = new Promise<void>((r) => (closedResolve = r));
  const server = net.createServer((c) => {
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('close', () => closedResolve());
    c.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, chunks, closed, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const received = (p: Peer) => Buffer.concat(p.chunks).toString('latin1');
const turn = () => new Promise<void>((r) => setImmediate(r));

/** Counts net.Socket writes in this process (the peer only reads) until restored. */
function countSocketWrites(): { n: number; restore(): void } {
  const original = net.Socket.prototype.write;
  const c = {
    n: 0,
    restore: () => {
      net.Socket.prototype.write = original;
    }
  };
  net.Socket.prototype.write = function (this: net.Socket, ...args: Parameters<typeof original>) {
    c.n++;
    return original.apply(this, args);
  } as typeof original;
  return c;
}

async function until(cond: () => boolean): Promise<void> {
  const end = Date.now() + scaled(5000);
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('node-net sockets', () => {
  const peers: Peer[] = [];
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.close();
  });

  it('coalesceWrites: one turn\'s writes leave as one socket write, byte for byte and in order, turn after turn', async () => {
    const p = await peer();
    peers.push(p);
    let connected = false;
    const s = nodeConnect({ coalesceWrites: true })({ host: '127.0.0.1', port: p.port }, false, () => (connected = true));
    await until(() => connected);
    const writes = countSocketWrites();
    s.write('\u0030\u0000');
    s.write('\u00ff\u0080abc');
    s.write('');
    s.write('\u0040\u0002');
    expect(writes.n).toBe(0);
    await until(() => received(p).length === 9);
    expect(writes.n).toBe(1);
    writes.restore();
    expect(received(p)).toBe('\u0030\u0000\u00ff\u0080abc\u0040\u0002');
    s.write('x');
    await turn();
    s.write('y');
    await until(() => received(p).length === 11);
    expect(received(p).slice(9)).toBe('xy');
    s.end();
    await p.closed;
  });

  it('coalesceWrites: end() sends the pending bytes before closing; writes after it go nowhere', async () => {
    const p = await peer();
    peers.push(p);
    let connected = false;
    const s = nodeConnect({ coalesceWrites: true })({ host: '127.0.0.1', port: p.port }, false, () => (connected = true));
    await until(() => connected);
    s.write('last words');
    s.end();
    s.write('after');
    await p.closed;
    await turn();
    expect(received(p)).toBe('last words');
  });

  it('without coalesceWrites, each write goes out at once: the same bytes in order', async () => {
    const p = await peer();
    peers.push(p);
    let connected = false;
    const s = nodeConnect()({ host: '127.0.0.1', port: p.port }, false, () => (connected = true));
    await until(() => connected);
    const writes = countSocketWrites();
    s.write('\u00ff\u0000');
    s.write('ab');
    expect(writes.n).toBe(2);
    writes.restore();
    await until(() => received(p).length === 4);
    expect(received(p)).toBe('\u00ff\u0000ab');
    s.end();
    await p.closed;
  });
});
