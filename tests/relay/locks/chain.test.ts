import { describe, expect, it } from 'vitest';
import { buildHashChain, fromHex, toHex } from '@keyway/shared';
import { chainValue, nextChainValues } from '@keyway/relay';

// docs/protocol.md §5.1: chain for grant 7 on the test device, seed c0ffee00…00ee, 3 links.
const DEVICE = fromHex('0123456789abcdef');
const SEED = fromHex('c0ffee' + '00'.repeat(28) + 'ee');
const VALUES = [
  'c0ffee00000000000000000000000000000000000000000000000000000000ee',
  'bf8ea7af5048aa43de374ea127e4acd4ca3e7af050bf61903ebf81b0146fd37c',
  'a85123f2e5466183a50879f6e7161049a707d8e2f16c5b7846c806c4fc898e81',
  '9c758b73a214035a0d157924b67839099f69ec691a0c710a0f60de638d0a0a4f'
];

describe('relay hash chains (node:crypto) match the protocol', () => {
  it('reproduces the published vector', () => {
    for (let i = 0; i <= 3; i++) expect(toHex(chainValue(SEED, DEVICE, 7, i))).toBe(VALUES[i]);
  });

  it('agrees with shared buildHashChain on random seeds', () => {
    for (let n = 0; n < 5; n++) {
      const seed = new Uint8Array(32).map(() => Math.floor(Math.random() * 256));
      const ref = buildHashChain(seed, DEVICE, 1000 + n, 20).map(toHex);
      for (let i = 0; i <= 20; i++) expect(toHex(chainValue(seed, DEVICE, 1000 + n, i))).toBe(ref[i]);
    }
  });

  it('lists the next unspent values in the order the lock accepts them', () => {
    expect(nextChainValues(SEED, DEVICE, 7, 3, 0, 5).map(toHex)).toEqual([VALUES[2], VALUES[1], VALUES[0]]);
    expect(nextChainValues(SEED, DEVICE, 7, 3, 1, 1).map(toHex)).toEqual([VALUES[1]]);
    expect(nextChainValues(SEED, DEVICE, 7, 3, 3, 2)).toEqual([]);
  });
});
