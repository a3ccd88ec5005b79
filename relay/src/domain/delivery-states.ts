/**
 * The courier delivery's state machine (docs/relay.md "Courier delivery"), in one table:
 *
 * - booked → entering (entry requested) → unlocked (the lock unlocked) → entered (the door
 *   opened) → secured (door shut, bolt thrown; also straight from unlocked when the lock
 *   relocked with the door never opened);
 * - booked → unlocked (a reveal at the door without a request through the relay);
 * - entering → booked (the lock refused);
 * - booked, entering → blocked (owner) → booked (unblocked);
 * - booked, entering, blocked → cancelled; booked, entering → failed (the lock faulted).
 *
 * secured, cancelled and failed are final. Every status change goes through
 * deliveries.ts `transition`, which writes it only if the row is still in the status it was
 * read in (so two relay processes cannot both apply one edge) and emits the edge's event.
 */
export const DELIVERY_STATUSES = ['booked', 'entering', 'unlocked', 'entered', 'secured', 'blocked', 'cancelled', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

const EDGES: Readonly<Record<DeliveryStatus, readonly DeliveryStatus[]>> = {
  booked: ['entering', 'unlocked', 'blocked', 'cancelled', 'failed'],
  entering: ['booked', 'unlocked', 'blocked', 'cancelled', 'failed'],
  unlocked: ['entered', 'secured'],
  entered: ['secured'],
  secured: [],
  blocked: ['booked', 'cancelled'],
  cancelled: [],
  failed: []
};

export function canTransition(from: DeliveryStatus, to: DeliveryStatus): boolean {
  return EDGES[from].includes(to);
}

/** The statuses from which `to` can be reached (for queries choosing the rows an event moves). */
export function statusesLeadingTo(to: DeliveryStatus): DeliveryStatus[] {
  return DELIVERY_STATUSES.filter((from) => canTransition(from, to));
}

export function isFinal(s: DeliveryStatus): boolean {
  return EDGES[s].length === 0;
}
