/**
 * An MQTT 3.1.1 broker for one simulated lock on the simulator's virtual loop: it accepts the
 * CONNECT, grants the SUBSCRIBE, answers PINGREQ and acknowledges QoS 1 PUBLISHes, each reply
 * one loop turn later, as a socket would deliver it. It counts what it received, so tests can
 * run hours of virtual time against a connected lock in milliseconds. `refuse` makes every
 * connection fail, as a broker that is down.
 */
import type { EspruinoEnv, EspruinoSocket } from '@keyway/firmware';
import type { SimLoop } from '@keyway/hardware';

export interface SimBroker {
  connect: NonNullable<EspruinoEnv['connect']>;
  /** Packets received by type (1 CONNECT, 3 PUBLISH, 8 SUBSCRIBE, 12 PINGREQ, 14 DISCONNECT). */
  received: { [type: number]: number };
  connections: number;
  refuse: boolean;
  /** Drops every open connection, as a broker restart would. */
  dropAll(): void;
}

const CONNECT = 1;
const PUBLISH = 3;
const SUBSCRIBE = 8;
const PINGREQ = 12;

export function simBroker(loop: SimLoop): SimBroker {
  const open: Array<() => void> = [];
  const b: SimBroker = {
    received: {}, connections: 0, refuse: false,
    dropAll() {
      for (const close of open.splice(0)) close();
    },
    connect(_o, _tls, onConnect) {
      const handlers: { [event: string]: Array<(d?: any) => void> } = {};
      let closed = false;
      const emit = (event: string, d?: unknown) => loop.setTimeout(() => {
        if (closed && event !== 'close') return;
        for (const h of handlers[event] ?? []) h(d);
      }, 0);
      const close = () => {
        if (closed) return;
        emit('close');
        closed = true;
      };
      let pending = '';
      const sock: EspruinoSocket = {
        on(event, fn) {
          (handlers[event] ??= []).push(fn);
        },
        end: close,
        write(data) {
          pending += data;
          for (;;) {
            const pk = nextPacket(pending);
            if (!pk) break;
            pending = pending.slice(pk.size);
            b.received[pk.type] = (b.received[pk.type] ?? 0) + 1;
            const reply = answer(pk.type, pk.flags, pk.body);
            if (reply) emit('data', reply);
          }
        }
      };
      if (b.refuse) {
        loop.setTimeout(() => {
          for (const h of handlers.error ?? []) h();
          closed = true;
        }, 0);
        return sock;
      }
      b.connections++;
      open.push(close);
      loop.setTimeout(onConnect, 0);
      return sock;
    }
  };
  return b;
}

function nextPacket(s: string): { type: number; flags: number; body: string; size: number } | null {
  if (s.length < 2) return null;
  let len = 0;
  let mul = 1;
  let i = 1;
  for (;;) {
    if (i >= s.length) return null;
    const c = s.charCodeAt(i++);
    len += (c & 0x7f) * mul;
    mul *= 128;
    if ((c & 0x80) === 0) break;
  }
  if (s.length < i + len) return null;
  const h = s.charCodeAt(0);
  return { type: h >> 4, flags: h & 15, body: s.slice(i, i + len), size: i + len };
}

function answer(type: number, flags: number, body: string): string | null {
  const chr = String.fromCharCode;
  if (type === CONNECT) return chr(0x20, 2, 0, 0);
  if (type === SUBSCRIBE) return chr(0x90, 3, body.charCodeAt(0), body.charCodeAt(1), 1);
  if (type === PINGREQ) return chr(0xd0, 0);
  if (type === PUBLISH && (flags & 6) === 2) {
    const at = 2 + ((body.charCodeAt(0) << 8) | body.charCodeAt(1));
    return chr(0x40, 2, body.charCodeAt(at), body.charCodeAt(at + 1));
  }
  return null;
}
