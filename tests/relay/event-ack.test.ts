/**
 * The broker acknowledges a lock event only once the relay has kept it (docs/protocol.md §6):
 * Aedes writes a QoS 1 PUBACK before it hands the message to subscribers, so a relay that
 * stored events in a subscriber could acknowledge one and die (or be closing) before storing
 * it, and the lock, which never resends an acknowledged event, would leave a hole in its log
 * at the relay for good. An event the relay cannot keep gets no PUBACK: the connection closes
 * and the lock sends the event again. An event kept is acknowledged even when one after it in the
 * same read is not (broker.ts: the refusal closes the connection only after the PUBACKs ahead of it).
 */
import { connect, type Socket } from 'node:net';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { connectAsync, type MqttClient } from 'mqtt';
import mqtt from 'mqtt-packet';
import { AL_LOW_BATTERY, EV_ALARM, encodeEvent, eventHash, eventTopic, fromHex } from '@keyway/shared';
import { countRows, useWorld, waitUntil, type Harness, type World } from '../support/relay-harness';

let h: Harness;
let w: World;
useWorld((hh, ww) => {
  h = hh;
  w = ww;
});

const connectAsLock = (): Promise<MqttClient> =>
  connectAsync(w.lock.opts.url, { clientId: w.deviceId, username: w.deviceId, password: w.lock.opts.password, clean: true, reconnectPeriod: 0, connectTimeout: 5000 });

/** Events the store refuses to insert (a trigger), until the returned function is awaited. */
async function failEventInsert(seq: number): Promise<() => Promise<void>> {
  const q = h.relay.ctx.store.q;
  if (h.relay.ctx.store.dialect === 'postgres') {
    await sql`CREATE FUNCTION kw_test_no_event() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'no event today'; END $$ LANGUAGE plpgsql`.execute(q);
    await sql`CREATE TRIGGER kw_test_no_event BEFORE INSERT ON events FOR EACH ROW WHEN (NEW.seq = ${sql.lit(seq)}) EXECUTE FUNCTION kw_test_no_event()`.execute(q);
    return async () => {
      await sql`DROP TRIGGER kw_test_no_event ON events`.execute(q);
      await sql`DROP FUNCTION kw_test_no_event()`.execute(q);
    };
  }
  await sql`CREATE TRIGGER kw_test_no_event BEFORE INSERT ON events WHEN NEW.seq = ${sql.lit(seq)} BEGIN SELECT RAISE(ABORT, 'no event today'); END`.execute(q);
  return async () => {
    await sql`DROP TRIGGER kw_test_no_event`.execute(q);
  };
}

describe('lock events are acknowledged only once kept', () => {
  it('an event the relay cannot keep gets no PUBACK; sent again, it is stored once', async () => {
    await w.lock.drained();
    const last = w.lock.log.at(-1)!;
    const event = encodeEvent({
      deviceId: fromHex(w.deviceId), seq: last.event.seq + 1, time: 0, type: EV_ALARM, code: AL_LOW_BATTERY, ref: 0, actorKind: 0, actorRef: 0,
      prevHash: eventHash(last.bytes), data: new Uint8Array(0)
    });
    const stored = () => countRows(h, 'events', { device_id: w.deviceId, seq: last.event.seq + 1 });
    await w.lock.disconnect();

    const first = await connectAsLock();
    first.on('error', () => undefined);
    // The relay is shutting down (the same path as a storage failure): it cannot keep the event.
    h.relay.ctx.closing = true;
    try {
      const closed = new Promise<string>((resolve) => first.once('close', () => resolve('closed')));
      const acked = first.publishAsync(eventTopic(w.deviceId), Buffer.from(event), { qos: 1 }).then(() => 'acked', () => 'failed');
      expect(await Promise.race([closed, acked])).toBe('closed');
      expect(await stored()).toBe(0);
    } finally {
      h.relay.ctx.closing = false;
      await first.endAsync(true).catch(() => undefined);
    }

    const second = await connectAsLock();
    try {
      await second.publishAsync(eventTopic(w.deviceId), Buffer.from(event), { qos: 1 });
      // Kept before the PUBACK: no wait needed.
      expect(await stored()).toBe(1);
      await second.publishAsync(eventTopic(w.deviceId), Buffer.from(event), { qos: 1, dup: true });
      await waitUntil(async () => (await stored()) === 1, 1000, 'still stored once');
      expect(await stored()).toBe(1);
    } finally {
      await second.endAsync();
    }
  });

  it('an event kept is acknowledged even when the next one in the same read is not kept', async () => {
    await w.lock.drained();
    const last = w.lock.log.at(-1)!;
    const ev = (seq: number, prev: Uint8Array) => encodeEvent({
      deviceId: fromHex(w.deviceId), seq, time: 0, type: EV_ALARM, code: AL_LOW_BATTERY, ref: 0, actorKind: 0, actorRef: 0, prevHash: eventHash(prev), data: new Uint8Array(0)
    });
    const first = ev(last.event.seq + 1, last.bytes);
    const second = ev(last.event.seq + 2, first);
    await w.lock.disconnect();
    const restore = await failEventInsert(last.event.seq + 2);
    const url = new URL(w.lock.opts.url);
    const socket: Socket = connect(Number(url.port), url.hostname);
    socket.on('error', () => undefined);
    const parser = mqtt.parser();
    const got: string[] = [];
    let connack: () => void;
    const connected = new Promise<void>((resolve) => (connack = resolve));
    parser.on('packet', (p) => {
      if (p.cmd === 'connack') connack();
      if (p.cmd === 'puback') got.push('puback ' + p.messageId);
    });
    socket.on('data', (b) => parser.parse(b));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    try {
      socket.write(mqtt.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: w.deviceId, username: w.deviceId, password: Buffer.from(w.lock.opts.password), keepalive: 60 }));
      await connected;
      // Both PUBLISHes in one write: Aedes handles the packets of one read together.
      socket.write(Buffer.concat([
        mqtt.generate({ cmd: 'publish', topic: eventTopic(w.deviceId), payload: Buffer.from(first), qos: 1, messageId: 1, retain: false, dup: false }),
        mqtt.generate({ cmd: 'publish', topic: eventTopic(w.deviceId), payload: Buffer.from(second), qos: 1, messageId: 2, retain: false, dup: false })
      ]));
      await closed;
      expect(await countRows(h, 'events', { device_id: w.deviceId, seq: last.event.seq + 1 })).toBe(1);
      expect(await countRows(h, 'events', { device_id: w.deviceId, seq: last.event.seq + 2 })).toBe(0);
      // The first was kept: acknowledged before the connection closed for the second.
      expect(got).toEqual(['puback 1']);
    } finally {
      socket.destroy();
      await restore();
    }
  });
});
