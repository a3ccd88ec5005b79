/**
 * The broker acknowledges a lock event only once the relay has kept it (docs/protocol.md §6):
 * Aedes writes a QoS 1 PUBACK before it hands the message to subscribers, so a relay that
 * stored events in a subscriber could acknowledge one and die (or be closing) before storing
 * it, and the lock, which never resends an acknowledged event, would leave a hole in its log
 * at the relay for good. An event the relay cannot keep gets no PUBACK: the connection closes
 * and the lock sends the event again.
 */
import { describe, expect, it } from 'vitest';
import { connectAsync, type MqttClient } from 'mqtt';
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
});
