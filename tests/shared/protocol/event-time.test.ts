/** eventTimeOf (shared/src/protocol/event.ts): an event's `time` read at its fixed offset equals the decoded field. */
import { describe, expect, it } from 'vitest';
import { EVENT_TIME_OFFSET, decodeEvent, encodeEvent, eventTimeOf } from '@keyway/shared';

describe('event time at its offset', () => {
  it('reads the time the codec wrote, for times with the high bit set too, and 0 for a truncated event', () => {
    for (const time of [0, 1, 0x6b49d200, 0xfffffffe]) {
      const bytes = encodeEvent({
        deviceId: new Uint8Array(8).fill(1), seq: 7, time, type: 1, code: 0, ref: 0, actorKind: 0, actorRef: 0, prevHash: new Uint8Array(32), data: new Uint8Array(0)
      });
      expect(eventTimeOf(bytes)).toBe(time);
      expect(decodeEvent(bytes).time).toBe(time);
    }
    expect(eventTimeOf(new Uint8Array(EVENT_TIME_OFFSET + 3))).toBe(0);
  });
});
