/**
 * Verification of a lock's hash-chained log at the relay (docs/protocol.md §6). Pure: the
 * relay keeps, per device, the sequence number and hash of the newest event it accepted,
 * and judges each new event against them. A *gap* means events were skipped (deleted or
 * lost to queue overflow), a *break* means prevHash does not match (reordered, inserted or
 * edited), a *rewind* means a sequence number already seen arrives with different bytes.
 */
export type LinkVerdict = 'ok' | 'gap' | 'break';

export interface ChainHead {
  /** Newest accepted sequence number, 0 before the first event. */
  seq: number;
  /** Hash of that event (hex), null before the first event. */
  head: string | null;
}

export const ZERO_HASH = '0'.repeat(64);

export interface LinkResult {
  verdict: LinkVerdict;
  /** What the relay expected, for the anomaly record. */
  expectedSeq: number;
  expectedPrev: string;
}

/** Judges an event newer than the head (seq > head.seq). */
export function verifyLink(head: ChainHead, seq: number, prevHash: string): LinkResult {
  const expectedSeq = head.seq + 1;
  const expectedPrev = head.seq === 0 ? ZERO_HASH : (head.head ?? ZERO_HASH);
  if (seq > expectedSeq) return { verdict: 'gap', expectedSeq, expectedPrev };
  return { verdict: prevHash === expectedPrev ? 'ok' : 'break', expectedSeq, expectedPrev };
}

/** An event at or below the head: a duplicate (same bytes), a rewind (different bytes) or a late fill. */
export function classifyOld(existingHash: string | null, hash: string): 'duplicate' | 'rewind' | 'late' {
  if (existingHash === null) return 'late';
  return existingHash === hash ? 'duplicate' : 'rewind';
}
