/**
 * Conformance (docs/conventions.md#tests-in-three-layers) of the lock's Ed25519 signing: the ES5
 * bundle runs in Duktape (always) and Espruino (when ESPRUINO points at a Linux build, from
 * Storage like the firmware). Public keys and signatures must equal tweetnacl's byte for byte,
 * with the natives and in pure JS, and a sliced signature must let a keep-alive timer run.
 */
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { scaled } from '../support/time-scale';
import { bundleEs5 } from '../../tools/src/firmware/es5-bundle';
import { availableEngines } from '../support/engines';
import { avoidEspruinoKeywords } from '../shared/ed25519/espruino-keywords';

type Row = [string, string, string, string];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function cases(): Row[] {
  const rows: Row[] = [];
  for (let n = 0; n < 6; n++) {
    const seed = new Uint8Array(32).map((_, i) => (n * 37 + i * 11 + 5) & 0xff);
    const msg = new Uint8Array(40 + 30 * n).map((_, i) => (i * 7 + n) & 0xff);
    const kp = nacl.sign.keyPair.fromSeed(seed);
    rows.push([hex(seed), hex(msg), hex(kp.publicKey), hex(nacl.sign.detached(msg, kp.secretKey))]);
  }
  return rows;
}

describe('Ed25519 signing conformance on real ES5 engines', () => {
  for (const engine of availableEngines()) {
    it(engine.name + ': keys and signatures equal tweetnacl, natives and pure JS, slices interleave with timers', async () => {
      const rows = cases();
      const bundle = await bundleEs5({ entry: 'tests/conformance/ed25519-sign.entry.ts', banner: 'var KW_SIGN_CASES = ' + JSON.stringify(rows) + ';' });
      const run = await engine.run(avoidEspruinoKeywords(bundle.code), scaled(600_000));
      const lines = run.lines.filter((l) => /^(NATIVES|PASS|FAIL|PUREJS|SLICED|DONE)/.test(l));
      expect(run.stderr).toBe('');
      expect(lines[0]).toBe('NATIVES ' + (engine.name === 'espruino'));
      expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
      expect(lines.filter((l) => l.startsWith('PASS')).length).toBe(rows.length);
      expect(lines).toContain('PUREJS PASS');
      const sliced = lines.find((l) => l.startsWith('SLICED'))!;
      const m = /^SLICED ok slices=(\d+) ticks=(\d+)$/.exec(sliced);
      expect(m, sliced).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(2);
      expect(Number(m![2])).toBeGreaterThan(2);
      expect(lines[lines.length - 1]).toBe('DONE');
    }, scaled(900_000));
  }
});
