/**
 * The lock's own MQTT 3.1.1 client against a real broker (Aedes on a loopback socket), with
 * MQTT.js as the other party: credentials and client id, QoS 1 both ways with PUBACK,
 * ordered delivery, keep-alive, last will on an abrupt drop, reconnect with backoff after
 * the broker goes away, moving along an address list to the next broker, and oversized packets
 * refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { createMqttClient, mqttPublish, mqttStart, mqttStop, netPort, type MqttClient } from '@keyway/firmware';
import { createRealLoop, disposeLoop, nodeConnect } from '@keyway/hardware';
import { scaled } from '../support/time-scale';

interface Broker {
  aedes: Aedes;
  server: net.Server;
  port: number;
  close(): Promise<void>;
}

async function startBroker(port = 0): Promise<Broker> {
  const aedes = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      done(null, client.id === 'lock-1' ? username === 'lock-1' && password?.toString() === 'pw' : true);
    }
  });
  const server = net.createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const actual = (server.address() as net.AddressInfo).port;
  return {
    aedes, server, port: actual,
    close: () => new Promise<void>((r) => {
      for (const c of Object.values((aedes as unknown as { clients: Record<string, { conn: { destroy(): void } }> }).clients)) c.conn.destroy();
      server.close(() => aedes.close(() => r()));
    })
  };
}


const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function lockClient(port: number, received: Uint8Array[], state: { online: number; offline: number }, over: Record<string, unknown> = {}): MqttClient {
  const loop = createRealLoop();
  cleanups.push(() => disposeLoop(loop));
  const c = createMqttClient(netPort(nodeConnect(), null)!, { millis: loop.now, setTimeout: loop.setTimeout, clearTimeout: loop.clearTimeout }, Math.random, {
    brokers: [{ host: '127.0.0.1', port }], tls: false, clientId: 'lock-1', username: 'lock-1', password: 'pw', keepAlive: 2,
    willTopic: 'kw/lock-1/state', willPayload: new Uint8Array([0x4f, 0x46, 0x46]), subscribe: 'kw/lock-1/cmd',
    maxPacket: 1024, retryMs: 500, backoffMinMs: 100, backoffMaxMs: 400, connectTimeoutMs: scaled(2000), ...over
  }, (_t, p) => received.push(Uint8Array.from(p)), () => state.online++, () => state.offline++);
  cleanups.push(() => mqttStop(c));
  return c;
}

async function waitFor(cond: () => boolean, ms = scaled(5000)): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('lock MQTT client against Aedes', () => {
  it('connects, receives QoS 1 commands, publishes QoS 1 in order', async () => {
    const b = await startBroker();
    cleanups.push(() => b.close());
    const got: Uint8Array[] = [];
    const st = { online: 0, offline: 0 };
    const c = lockClient(b.port, got, st);
    mqttStart(c);
    await waitFor(() => st.online === 1);
    const relay = await mqtt.connectAsync('mqtt://127.0.0.1:' + b.port, { clientId: 'relay' });
    cleanups.push(() => relay.endAsync());
    const events: string[] = [];
    await relay.subscribeAsync('kw/lock-1/evt', { qos: 1 });
    relay.on('message', (t, m) => t === 'kw/lock-1/evt' && events.push(m.toString()));
    await relay.publishAsync('kw/lock-1/cmd', Buffer.from([1, 2, 3]), { qos: 1 });
    await waitFor(() => got.length === 1);
    expect(Array.from(got[0])).toEqual([1, 2, 3]);
    const acked: number[] = [];
    for (let i = 0; i < 20; i++) mqttPublish(c, 'kw/lock-1/evt', new TextEncoder().encode('e' + i), false, () => acked.push(i));
    await waitFor(() => acked.length === 20 && events.length === 20);
    expect(events).toEqual(Array.from({ length: 20 }, (_, i) => 'e' + i));
    expect(acked).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('a session whose SUBACK never comes is given up at the connect timeout and tried again', async () => {
    let withheld = 0;
    const aedes = await Aedes.createBroker({
      authorizeSubscribe: (_client, sub, done) => {
        // The first subscription is never answered (a broker stalled between CONNACK and SUBACK).
        if (withheld++ === 0) return;
        done(null, sub);
      }
    });
    const server = net.createServer(aedes.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => aedes.close(() => r()))));
    const st = { online: 0, offline: 0 };
    const c = lockClient((server.address() as net.AddressInfo).port, [], st, { connectTimeoutMs: 300 });
    mqttStart(c);
    // Well before the broker's keep-alive expiry (1.5 x 2 s) would have dropped the stalled session.
    await waitFor(() => st.online === 1, 1500);
    expect(withheld).toBe(2);
    expect(c.connects).toBe(1);
  });

  it('wrong credentials never come online', async () => {
    const b = await startBroker();
    cleanups.push(() => b.close());
    const st = { online: 0, offline: 0 };
    const c = lockClient(b.port, [], st, { password: 'wrong' });
    mqttStart(c);
    await new Promise((r) => setTimeout(r, 600));
    expect(st.online).toBe(0);
    expect(c.attempt).toBeGreaterThan(0);
  });

  it('an abrupt drop publishes the last will; the client reconnects with backoff and resends', async () => {
    const b = await startBroker();
    const st = { online: 0, offline: 0 };
    const c = lockClient(b.port, [], st);
    mqttStart(c);
    await waitFor(() => st.online === 1);
    const watcher = await mqtt.connectAsync('mqtt://127.0.0.1:' + b.port, { clientId: 'watcher' });
    cleanups.push(() => watcher.endAsync());
    const wills: string[] = [];
    await watcher.subscribeAsync('kw/lock-1/state', { qos: 1 });
    watcher.on('message', (_t, m) => wills.push(m.toString()));
    // Kill the lock's connection from the broker side (like a Wi-Fi drop).
    const client = (b.aedes as unknown as { clients: Record<string, { conn: { destroy(): void } }> }).clients['lock-1'];
    client.conn.destroy();
    await waitFor(() => wills.includes('OFF'));
    await waitFor(() => st.online === 2);
    expect(st.offline).toBe(1);
    // Broker down: queued publishes wait, then flow after it comes back on the same port.
    const port = b.port;
    await watcher.endAsync(true);
    await b.close();
    const acked: number[] = [];
    mqttPublish(c, 'kw/lock-1/evt', new Uint8Array([9]), false, () => acked.push(9));
    await new Promise((r) => setTimeout(r, 700));
    expect(acked).toEqual([]);
    const b2 = await startBroker(port);
    cleanups.push(() => b2.close());
    await waitFor(() => acked.length === 1, 8000);
    expect(st.online).toBe(3);
  });

  it('with an address list: skips a refusing address, and after its broker dies moves on to the next', async () => {
    const b1 = await startBroker();
    const b2 = await startBroker();
    cleanups.push(() => b2.close());
    // A port nobody listens on: the first address refuses.
    const dead = await startBroker();
    const deadPort = dead.port;
    await dead.close();
    const st = { online: 0, offline: 0 };
    const brokers = [{ host: '127.0.0.1', port: deadPort }, { host: '127.0.0.1', port: b1.port }, { host: '127.0.0.1', port: b2.port }];
    const c = lockClient(b1.port, [], st, { brokers });
    mqttStart(c);
    await waitFor(() => st.online === 1);
    expect(c.broker).toBe(1);
    expect(Object.keys((b1.aedes as unknown as { clients: Record<string, unknown> }).clients)).toContain('lock-1');
    // Broker 1 goes away: the client drops, and its next attempt dials broker 2.
    const acked: number[] = [];
    await b1.close();
    await waitFor(() => st.offline === 1);
    mqttPublish(c, 'kw/lock-1/evt', new Uint8Array([7]), false, () => acked.push(7));
    await waitFor(() => st.online === 2, 8000);
    expect(c.broker).toBe(2);
    expect(Object.keys((b2.aedes as unknown as { clients: Record<string, unknown> }).clients)).toContain('lock-1');
    await waitFor(() => acked.length === 1, 8000);
  });

  it('keeps the session alive with pings beyond the keep-alive period', async () => {
    const b = await startBroker();
    cleanups.push(() => b.close());
    const st = { online: 0, offline: 0 };
    const c = lockClient(b.port, [], st, { keepAlive: 1 });
    mqttStart(c);
    await waitFor(() => st.online === 1);
    await new Promise((r) => setTimeout(r, 3500));
    expect(st.offline).toBe(0);
    expect(c.online).toBe(true);
  });

  it('drops the connection on a packet above its size limit and comes back', async () => {
    const b = await startBroker();
    cleanups.push(() => b.close());
    const got: Uint8Array[] = [];
    const st = { online: 0, offline: 0 };
    const c = lockClient(b.port, got, st, { maxPacket: 256 });
    mqttStart(c);
    await waitFor(() => st.online === 1);
    const relay = await mqtt.connectAsync('mqtt://127.0.0.1:' + b.port, { clientId: 'relay2' });
    cleanups.push(() => relay.endAsync());
    await relay.publishAsync('kw/lock-1/cmd', Buffer.alloc(2000), { qos: 0 });
    await waitFor(() => st.offline === 1);
    await waitFor(() => st.online === 2);
    expect(got).toEqual([]);
  });
});
