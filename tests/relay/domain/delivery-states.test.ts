import { describe, expect, it } from 'vitest';
import { canTransition, DELIVERY_STATUSES, isFinal, statusesLeadingTo, type DeliveryStatus } from '../../../relay/src/domain/delivery-states';

/** The edges docs/relay.md describes, written out independently of the table under test. */
const DOCUMENTED: [DeliveryStatus, DeliveryStatus][] = [
  ['booked', 'entering'], ['booked', 'unlocked'], ['booked', 'blocked'], ['booked', 'cancelled'], ['booked', 'failed'],
  ['entering', 'booked'], ['entering', 'unlocked'], ['entering', 'blocked'], ['entering', 'cancelled'], ['entering', 'failed'],
  ['unlocked', 'entered'], ['unlocked', 'secured'], ['entered', 'secured'],
  ['blocked', 'booked'], ['blocked', 'cancelled']
];

describe('delivery state machine', () => {
  it('allows exactly the documented edges and nothing else', () => {
    for (const from of DELIVERY_STATUSES) {
      for (const to of DELIVERY_STATUSES) {
        const documented = DOCUMENTED.some(([f, t]) => f === from && t === to);
        expect(canTransition(from, to), from + ' → ' + to).toBe(documented);
      }
    }
  });

  it('never leaves secured, cancelled or failed, and never goes back from inside to the door', () => {
    expect(DELIVERY_STATUSES.filter(isFinal)).toEqual(['secured', 'cancelled', 'failed']);
    expect(canTransition('entered', 'unlocked')).toBe(false);
    expect(canTransition('unlocked', 'booked')).toBe(false);
    expect(canTransition('secured', 'entered')).toBe(false);
  });

  it('names the statuses an event can move a delivery out of', () => {
    expect(statusesLeadingTo('secured')).toEqual(['unlocked', 'entered']);
    expect(statusesLeadingTo('cancelled')).toEqual(['booked', 'entering', 'blocked']);
    expect(statusesLeadingTo('entered')).toEqual(['unlocked']);
  });
});
