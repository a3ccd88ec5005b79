/**
 * The hash-chained log and its bounded offline queue: events chain by hash, survive a
 * reboot, overflow drops the oldest with exactly one QUEUE_OVERFLOW alarm per episode, a
 * reboot with a full ring of delivered events is not mistaken for an overflow, and events
 * never delivered before a reboot are reported when overwritten (the saved watermark).
 */
import { describe, expect, it } from 'vitest';
import { AL_QUEUE_OVERFLOW, EV_ALARM, EV_BOOT, bytesEqual, encodeEvent, eventHash } from '@keyway/shared';
import { EVENT_FILE, ackEvent, openEventLog, readEvent, storagePort } from '@keyway/firmware';
import { DEVICE_ID, harness } from '../support/lock-harness';

describe('event log', () => {
  it('chains every event to the previous one by hash', () => {
    const h = harness();
    for (let i = 0; i < 6; i++) {
      h.sim.device.pressButton();
      h.run(2000);
    }
    const ev = h.events();
    expect(ev.length).toBeGreaterThan(10);
    for (let i = 1; i < ev.length; i++) {
      expect(ev[i].seq).toBe(ev[i - 1].seq + 1);
      expect(bytesEqual(ev[i].prevHash, eventHash(encodeEvent(ev[i - 1])))).toBe(true);
    }
    expect(ev[0].seq).toBe(1);
    expect(bytesEqual(ev[0].prevHash, new Uint8Array(32))).toBe(true);
  });

  it('offline overflow keeps the newest events and raises one alarm per episode', () => {
    const h = harness(); // no network: nothing is ever acknowledged
    for (let i = 0; i < 12; i++) {
      h.sim.device.pressButton();
      h.run(2000);
    }
    const alarms = h.events(EV_ALARM).filter((e) => e.code === AL_QUEUE_OVERFLOW);
    expect(alarms).toHaveLength(1);
    const log = openEventLog(storagePort(h.sim.storage), DEVICE_ID, 32);
    const newest = h.events()[h.events().length - 1];
    expect(newest.seq - alarms[0].seq).toBeLessThan(32); // still in the ring
    expect(log.seq).toBe(newest.seq);
    expect(readEvent(log, newest.seq)).not.toBeNull();
    expect(readEvent(log, newest.seq - 32)).toBeNull(); // overwritten
  });

  it('an outage long enough to overwrite the overflow alarm raises it again, so an undelivered alarm is always in the ring', () => {
    const h = harness(); // no network: nothing is ever acknowledged
    for (let i = 0; i < 40; i++) {
      h.sim.device.pressButton();
      h.run(2000);
    }
    const alarms = h.events(EV_ALARM).filter((e) => e.code === AL_QUEUE_OVERFLOW);
    expect(alarms.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < alarms.length; i++) {
      // A new alarm only once the previous one was overwritten, counting every loss so far.
      expect(alarms[i].seq - alarms[i - 1].seq).toBeGreaterThanOrEqual(32);
      expect(alarms[i].ref).toBeGreaterThan(alarms[i - 1].ref);
    }
    const log = h.sim.lock.log!;
    const last = alarms[alarms.length - 1];
    expect(readEvent(log, last.seq)).not.toBeNull();
    expect(last.ref).toBeLessThanOrEqual(log.dropped);
  });

  it('a reboot with a full ring of delivered events continues the chain without a false overflow alarm', () => {
    const h = harness();
    for (let i = 0; i < 20; i++) {
      h.sim.device.pressButton();
      h.run(2000);
    }
    const last = h.events()[h.events().length - 1];
    // The relay acknowledged everything before the power went (the watermark is saved).
    const log = h.sim.lock.log!;
    for (let s = log.acked + 1; s <= log.seq; s++) ackEvent(log, s);
    h.reboot();
    h.run(3000);
    for (let i = 0; i < 4; i++) {
      h.sim.device.pressButton();
      h.run(2000);
    }
    const after = h.sim.events;
    expect(after[0].seq).toBe(last.seq + 1);
    expect(bytesEqual(after[0].prevHash, eventHash(encodeEvent(last)))).toBe(true);
    expect(after.filter((e) => e.type === EV_ALARM && e.code === AL_QUEUE_OVERFLOW)).toHaveLength(0);
  });

  it('reports events from before a reboot that were never delivered when it has to overwrite them offline', () => {
    const h = harness(); // no network: nothing was ever acknowledged
    for (let i = 0; i < 20; i++) {
      h.sim.device.pressButton();
      h.run(2000);
    }
    const before = h.events()[h.events().length - 1].seq;
    expect(before).toBeGreaterThanOrEqual(32);
    h.reboot();
    h.run(3000);
    h.sim.device.pressButton();
    h.run(2000);
    const alarms = h.sim.events.filter((e) => e.type === EV_ALARM && e.code === AL_QUEUE_OVERFLOW);
    expect(alarms).toHaveLength(1);
    expect(alarms[0].ref).toBeGreaterThan(0);
  });

  it('a power cut that tears the write replacing the oldest undelivered event reports that event as lost at the next boot', () => {
    const h = harness(); // no network: nothing is acknowledged
    const storage = h.sim.storage;
    const write = storage.write;
    // Cut the power inside the first write that replaces a stored event (the ring's first wrap).
    storage.write = (name, data) => {
      if (name === EVENT_FILE + '1' && storage.files[name] !== undefined && storage.cutAt === 0) storage.cutAt = storage.writes + 1;
      return write(name, data);
    };
    for (let i = 0; i < 40 && storage.powered; i++) {
      h.sim.device.pressButton();
      h.run(2000);
    }
    expect(storage.powered).toBe(false);
    storage.write = write;
    const lostSeq = 1; // the event the torn write destroyed; event 33 never existed
    expect(h.sim.events.some((e) => e.type === EV_ALARM && e.code === AL_QUEUE_OVERFLOW)).toBe(false);
    const opened = openEventLog(storagePort(storage), DEVICE_ID, 32);
    expect(opened.seq).toBe(32);
    expect(readEvent(opened, lostSeq)).toBeNull();
    expect(opened.dropped).toBe(1);
    expect(opened.lastLost).toBe(lostSeq);
    h.reboot();
    // The alarm follows the boot event at once, before anything else can overwrite more.
    const boot = h.sim.events;
    expect(boot[0].type).toBe(EV_BOOT);
    expect(boot[1].type).toBe(EV_ALARM);
    expect(boot[1].code).toBe(AL_QUEUE_OVERFLOW);
    expect(boot[1].ref).toBe(1);
  });

  it('a torn write over an event the saved watermark says was delivered is no loss', () => {
    const h = harness();
    for (let i = 0; i < 20; i++) {
      h.sim.device.pressButton();
      h.run(2000);
    }
    const log = h.sim.lock.log!;
    for (let s = log.acked + 1; s <= log.seq; s++) ackEvent(log, s);
    h.sim.storage.cutAt = h.sim.storage.writes + 1;
    h.sim.device.pressButton();
    h.run(2000);
    expect(h.sim.storage.powered).toBe(false);
    h.reboot();
    h.run(3000);
    expect(h.sim.lock.log!.dropped).toBe(0);
    expect(h.sim.events.filter((e) => e.type === EV_ALARM && e.code === AL_QUEUE_OVERFLOW)).toHaveLength(0);
  });

  it('does not send again after a reboot what the relay acknowledged before it', () => {
    const h = harness();
    for (let i = 0; i < 6; i++) {
      h.sim.device.pressButton();
      h.run(2000);
    }
    const log = h.sim.lock.log!;
    for (let s = log.acked + 1; s <= log.seq; s++) ackEvent(log, s);
    const delivered = log.seq;
    h.reboot();
    const again = openEventLog(storagePort(h.sim.storage), DEVICE_ID, 32);
    // Saved every 16 acknowledgements: the watermark may trail by fewer than that, never lead.
    expect(again.acked).toBeLessThanOrEqual(delivered);
    expect(again.acked).toBeGreaterThan(delivered - 16);
  });
});
