/**
 * Hash-chain values for staged grants (docs/protocol.md §5.1), computed with node:crypto's
 * SHA-512: the same construction as shared's chainStep, checked against it in tests. The
 * seed never leaves the relay; values are derived on demand, x(0) = seed and
 * x(i) = H32(tag ‖ deviceId ‖ u32 grantId ‖ x(i−1)). The lock holds x(links) first and
 * accepts x(links − 1 − used) next.
 */
import { createHash } from 'node:crypto';
import { TAG_CHAIN } from '@keyway/shared';

const TAG = Buffer.from(TAG_CHAIN, 'latin1');

export function chainStepNode(deviceId: Uint8Array, grantId: number, value: Uint8Array): Uint8Array {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(grantId >>> 0);
  const h = createHash('sha512').update(TAG).update(deviceId).update(id).update(value).digest();
  return new Uint8Array(h.subarray(0, 32));
}

export function chainValue(seed: Uint8Array, deviceId: Uint8Array, grantId: number, index: number): Uint8Array {
  let v = seed;
  for (let i = 0; i < index; i++) v = chainStepNode(deviceId, grantId, v);
  return v;
}

/** The next `count` values the lock will accept after `used` reveals, in order. */
export function nextChainValues(seed: Uint8Array, deviceId: Uint8Array, grantId: number, links: number, used: number, count: number): Uint8Array[] {
  const top = links - 1 - used;
  if (top < 0 || count < 1) return [];
  const low = Math.max(0, top - count + 1);
  const ascending = [chainValue(seed, deviceId, grantId, low)];
  for (let i = low + 1; i <= top; i++) ascending.push(chainStepNode(deviceId, grantId, ascending[ascending.length - 1]));
  return ascending.reverse();
}
