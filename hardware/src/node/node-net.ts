/**
 * Espruino-style sockets (`require("net").connect` / `require("tls").connect`) on Node's
 * net and tls, carrying binary strings: the simulated fleet's locks talk to a real broker.
 */
import net from 'node:net';
import tls from 'node:tls';
import { createHash } from 'node:crypto';
import type { EspruinoEnv, EspruinoSocket } from '@keyway/firmware';

export interface NodeNetOptions {
  /** Trust this CA (PEM) for TLS; by default the system store. */
  ca?: string | Buffer;
  /** Accept any certificate (tests with self-signed relays only). */
  insecure?: boolean;
  /**
   * Hand the socket what the firmware wrote during one turn of the event loop as one write
   * (setImmediate), not one system call per MQTT packet: the same bytes in the same order, for
   * benches whose many simulated locks should not spend their CPU in socket writes. `end()`
   * sends what is pending first. Default: each write goes out at once.
   */
  coalesceWrites?: boolean;
}

export function nodeConnect(options: NodeNetOptions = {}): NonNullable<EspruinoEnv['connect']> {
  return (o, useTls, onConnect) => {
    const handlers: Record<string, Array<(d?: any) => void>> = {};
    const emit = (ev: string, d?: any) => (handlers[ev] ?? []).forEach((fn) => fn(d));
    const sock: net.Socket = useTls
      ? tls.connect({ host: o.host, port: o.port, ca: options.ca, rejectUnauthorized: !options.insecure, servername: o.host }, onConnect)
      : net.connect({ host: o.host, port: o.port }, onConnect);
    sock.setNoDelay(true);
    sock.on('data', (b: Buffer) => emit('data', b.toString('latin1')));
    sock.on('close', () => emit('close'));
    sock.on('error', (e) => emit('error', e));
    let pending: string[] = [];
    const flush = () => {
      const out = pending.length === 1 ? pending[0] : pending.join('');
      pending = [];
      if (out && !sock.destroyed) sock.write(Buffer.from(out, 'latin1'));
    };
    const s: EspruinoSocket = {
      write: (d: string) => {
        if (sock.destroyed) return;
        if (!options.coalesceWrites) {
          sock.write(Buffer.from(d, 'latin1'));
          return;
        }
        if (pending.length === 0) setImmediate(flush);
        pending.push(d);
      },
      end: () => {
        flush();
        sock.destroy();
      },
      on: (ev, fn) => {
        (handlers[ev] ??= []).push(fn);
      }
    };
    return s;
  };
}

/** Espruino's crypto.SHA512 stand-in, for fleets of many simulated locks. */
export function nodeSha512(data: Uint8Array): ArrayBuffer {
  const d = createHash('sha512').update(data).digest();
  return d.buffer.slice(d.byteOffset, d.byteOffset + d.length);
}
