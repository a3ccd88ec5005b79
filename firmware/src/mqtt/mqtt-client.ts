/**
 * The lock's MQTT session (docs/firmware.md): connect with credentials and a last will, subscribe
 * to its command topic at QoS 1, publish QoS 1 with up to MQTT_WINDOW (4) messages in flight
 * (order preserved) and retry until PUBACK, keep-alive pings, and reconnect with exponential
 * backoff and equal jitter, moving on to the next broker address of its list after a failed attempt
 * or a dropped connection. Transport, timers and randomness are ports, so the same code runs on Espruino
 * sockets, in Node against a real broker, and in tests.
 */
import type { NetPort, SocketPort, TimerPort } from '../ports';
import {
  CONNACK, PINGRESP, PUBACK, PUBLISH, SUBACK, createParser, decodePublish, encodeConnect, encodeDisconnect, encodePingreq,
  encodePuback, encodePublish, encodeSubscribe, feed, packetId, type ConnectOptions, type Parser
} from './mqtt-codec';

/** One broker address; the client tries its list in order, wrapping around. */
export interface MqttBroker {
  host: string;
  port: number;
}

export interface MqttSettings extends ConnectOptions {
  /** At least one; a relay set's addresses, all sharing the lock's session state. */
  brokers: MqttBroker[];
  tls: boolean;
  subscribe: string;
  maxPacket: number;
  retryMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /**
   * How long one attempt may take from opening the socket to CONNACK. A connection attempt into
   * a network that drops packets hangs until this runs out, and the back-off only starts then.
   */
  connectTimeoutMs: number;
}

interface Outgoing {
  topic: string;
  payload: Uint8Array;
  retain: boolean;
  /** Called once the broker acknowledged it (in queue order). */
  done: ((ok: boolean) => void) | null;
  /** Packet id while in flight, 0 when not sent on this connection. */
  id: number;
  acked: boolean;
  timer: number;
}

/** QoS 1 publishes in flight at once: enough to pipeline an entry's events, small for RAM. */
export const MQTT_WINDOW = 4;

export interface MqttClient {
  settings: MqttSettings;
  online: boolean;
  stopped: boolean;
  socket: SocketPort | null;
  parser: Parser;
  queue: Outgoing[];
  nextId: number;
  attempt: number;
  /** Index in `settings.brokers` of the address the current (or next) attempt dials. */
  broker: number;
  reconnectTimer: number;
  pingTimer: number;
  pongTimer: number;
  connectTimer: number;
  lastSent: number;
  connects: number;
  onMessage: (topic: string, payload: Uint8Array) => void;
  onOnline: () => void;
  onOffline: () => void;
  net: NetPort;
  timers: TimerPort;
  random: () => number;
}

export function createMqttClient(
  net: NetPort, timers: TimerPort, random: () => number, settings: MqttSettings,
  onMessage: (topic: string, payload: Uint8Array) => void, onOnline: () => void, onOffline: () => void
): MqttClient {
  return {
    settings: settings, online: false, stopped: false, socket: null, parser: createParser(settings.maxPacket), queue: [],
    nextId: 1, attempt: 0, broker: 0, reconnectTimer: 0, pingTimer: 0, pongTimer: 0, connectTimer: 0,
    lastSent: 0, connects: 0, onMessage: onMessage, onOnline: onOnline, onOffline: onOffline, net: net, timers: timers, random: random
  };
}

function send(c: MqttClient, bytes: Uint8Array): void {
  if (!c.socket) return;
  c.lastSent = c.timers.millis();
  c.socket.write(bytes);
}

function clear(c: MqttClient): void {
  const t = c.timers;
  for (let i = 0; i < c.queue.length; i++) {
    const m = c.queue[i];
    if (m.timer) t.clearTimeout(m.timer);
    // Not acknowledged on this connection: send again (in order) after reconnecting.
    m.timer = 0;
    if (!m.acked) m.id = 0;
  }
  if (c.pingTimer) t.clearTimeout(c.pingTimer);
  if (c.pongTimer) t.clearTimeout(c.pongTimer);
  if (c.connectTimer) t.clearTimeout(c.connectTimer);
  c.pingTimer = c.pongTimer = c.connectTimer = 0;
}

export function mqttStart(c: MqttClient): void {
  c.stopped = false;
  open(c);
}

function open(c: MqttClient): void {
  c.reconnectTimer = 0;
  c.parser = createParser(c.settings.maxPacket);
  const s = c.settings;
  const b = s.brokers[c.broker];
  let sock: SocketPort | null = null;
  try {
    sock = c.net.connect(b.host, b.port, s.tls, {
      onConnect: function () {
        if (c.socket !== sock) return;
        send(c, encodeConnect(s));
      },
      onData: function (data: Uint8Array) {
        if (c.socket !== sock) return;
        onData(c, data);
      },
      onClose: function () {
        if (c.socket !== sock) return;
        dropped(c);
      }
    });
  } catch (_e) {
    sock = null;
  }
  c.socket = sock;
  if (!sock) {
    nextBroker(c);
    scheduleReconnect(c);
    return;
  }
  // No session (CONNACK, then SUBACK) in time: give up on this attempt.
  c.connectTimer = c.timers.setTimeout(function () {
    c.connectTimer = 0;
    if (!c.online) abort(c);
  }, s.connectTimeoutMs);
}

function abort(c: MqttClient): void {
  const sock = c.socket;
  dropped(c);
  if (sock) {
    try {
      sock.close();
    } catch (_e) {
      // already closed
    }
  }
}

function dropped(c: MqttClient): void {
  const wasOnline = c.online;
  clear(c);
  c.socket = null;
  c.online = false;
  if (wasOnline) c.onOffline();
  if (!c.stopped) {
    nextBroker(c);
    scheduleReconnect(c);
  }
}

/**
 * A failed attempt (no socket, no session in time, refused) or a lost connection: the next attempt,
 * after the usual back-off, dials the next address. Every address shares the lock's state (one
 * database and one Redis behind the relay set), so any of them serves it.
 */
function nextBroker(c: MqttClient): void {
  c.broker = (c.broker + 1) % c.settings.brokers.length;
}

function scheduleReconnect(c: MqttClient): void {
  if (c.reconnectTimer || c.stopped) return;
  const s = c.settings;
  const base = Math.min(s.backoffMaxMs, s.backoffMinMs * Math.pow(2, Math.min(c.attempt, 16)));
  c.attempt++;
  // Equal jitter in [base/2, base): a fleet that lost the relay does not come back in step.
  const wait = Math.floor(base / 2 + (base / 2) * c.random());
  c.reconnectTimer = c.timers.setTimeout(function () {
    open(c);
  }, wait);
}

function onData(c: MqttClient, data: Uint8Array): void {
  let packets;
  try {
    packets = feed(c.parser, data);
  } catch (_e) {
    abort(c);
    return;
  }
  for (let i = 0; i < packets.length; i++) {
    const pk = packets[i];
    try {
      handle(c, pk.type, pk);
    } catch (_e) {
      abort(c);
      return;
    }
  }
}

function handle(c: MqttClient, type: number, pk: { type: number; flags: number; body: Uint8Array }): void {
  if (type === CONNACK) {
    if (pk.body.length !== 2 || pk.body[1] !== 0) {
      abort(c);
      return;
    }
    // The connect timer runs on until the SUBACK: a session whose subscription never completes
    // is not online (no pings) and must be retried, not left waiting for the broker's keep-alive.
    send(c, encodeSubscribe(nextId(c), c.settings.subscribe, 1));
  } else if (type === SUBACK) {
    if (pk.body.length < 3 || pk.body[2] === 0x80) {
      abort(c);
      return;
    }
    if (c.connectTimer) c.timers.clearTimeout(c.connectTimer);
    c.connectTimer = 0;
    c.online = true;
    c.attempt = 0;
    c.connects++;
    schedulePing(c);
    c.onOnline();
    pump(c);
  } else if (type === PUBLISH) {
    const p = decodePublish(pk);
    if (p.qos === 1) send(c, encodePuback(p.id));
    if (p.topic === c.settings.subscribe) c.onMessage(p.topic, p.payload);
  } else if (type === PUBACK) {
    const id = packetId(pk);
    for (let i = 0; i < c.queue.length; i++) {
      const m = c.queue[i];
      if (m.id === id && !m.acked) {
        m.acked = true;
        if (m.timer) c.timers.clearTimeout(m.timer);
        m.timer = 0;
      }
    }
    // Complete from the head only, so callers see acknowledgements in publish order.
    while (c.queue.length > 0 && c.queue[0].acked) {
      const done = c.queue.shift()!;
      if (done.done) done.done(true);
    }
    pump(c);
  } else if (type === PINGRESP) {
    if (c.pongTimer) c.timers.clearTimeout(c.pongTimer);
    c.pongTimer = 0;
  }
}

function nextId(c: MqttClient): number {
  const id = c.nextId;
  c.nextId = c.nextId >= 65535 ? 1 : c.nextId + 1;
  return id;
}

function schedulePing(c: MqttClient): void {
  const ka = c.settings.keepAlive * 1000;
  c.pingTimer = c.timers.setTimeout(function () {
    c.pingTimer = 0;
    if (!c.online) return;
    send(c, encodePingreq());
    // §3.1.2.10: no answer within a reasonable time means the connection is gone.
    c.pongTimer = c.timers.setTimeout(function () {
      c.pongTimer = 0;
      abort(c);
    }, Math.max(2000, ka / 2));
    schedulePing(c);
  }, Math.max(1000, Math.floor(ka * 0.6)));
}

/**
 * Sends queued messages in order, up to MQTT_WINDOW unacknowledged at once. One TCP connection
 * and the broker keep a client's QoS 1 publishes in order (MQTT 3.1.1 §4.6).
 */
function pump(c: MqttClient): void {
  if (!c.online) return;
  let inFlight = 0;
  for (let i = 0; i < c.queue.length && inFlight < MQTT_WINDOW; i++) {
    const m = c.queue[i];
    if (m.acked) continue;
    if (m.id === 0) transmit(c, m, false);
    inFlight++;
  }
}

function transmit(c: MqttClient, m: Outgoing, dup: boolean): void {
  if (!dup) m.id = nextId(c);
  send(c, encodePublish(m.topic, m.payload, 1, m.retain, m.id, dup));
  m.timer = c.timers.setTimeout(function () {
    m.timer = 0;
    if (c.online && m.id && !m.acked) transmit(c, m, true);
  }, c.settings.retryMs);
}

/** Queues a QoS 1 publish; `done` fires on PUBACK. Returns the queue length. */
export function mqttPublish(c: MqttClient, topic: string, payload: Uint8Array, retain: boolean, done: ((ok: boolean) => void) | null): number {
  c.queue.push({ topic: topic, payload: payload, retain: retain, done: done, id: 0, acked: false, timer: 0 });
  pump(c);
  return c.queue.length;
}

/** Publishes at QoS 0 right away if online (status refreshes). */
export function mqttPublishNow(c: MqttClient, topic: string, payload: Uint8Array, retain: boolean): boolean {
  if (!c.online) return false;
  send(c, encodePublish(topic, payload, 0, retain, 0, false));
  return true;
}

/** Stops the session; `graceful` sends DISCONNECT (no last will), otherwise the link just drops. */
export function mqttStop(c: MqttClient, graceful?: boolean): void {
  c.stopped = true;
  if (c.reconnectTimer) c.timers.clearTimeout(c.reconnectTimer);
  c.reconnectTimer = 0;
  if (c.socket && c.online && graceful !== false) send(c, encodeDisconnect());
  abort(c);
}
