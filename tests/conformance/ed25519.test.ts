/**
 * Conformance (docs/conventions.md#tests-in-three-layers) of the lock's Ed25519 verifier: the ES5 bundle runs in Duktape
 * (always) and Espruino (when ESPRUINO points at a Linux build, from Storage like the
 * firmware). RFC 8032 vectors must verify, adversarial inputs must not, Espruino must take
 * the E.convolve path (and the pure-JS fallback must still work there), and a sliced
 * verification must let a keep-alive timer run between slices.
 */
import { describe, expect, it } from 'vitest';
import { scaled } from '../support/time-scale';
import { bundleEs5 } from '../../tools/src/firmware/es5-bundle';
import { availableEngines } from '../support/engines';
import { adversarialCases, hexToBytes } from '../shared/ed25519/adversarial';
import { avoidEspruinoKeywords } from '../shared/ed25519/espruino-keywords';
import { RFC8032 } from '../shared/ed25519/rfc8032-vectors';

type Row = [string, string, string, string, boolean];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function cases(): Row[] {
  const rows: Row[] = RFC8032.map((t) => [t.name, t.msg, t.sig, t.pub, true] as Row);
  const t2 = RFC8032[2];
  const flipped = hexToBytes(t2.sig);
  flipped[10] ^= 0x20;
  rows.push(['TEST 3 with a bit of R flipped', t2.msg, hex(flipped), t2.pub, false]);
  const wanted = [/^S \+ L$/, /^identity key/, /^small-order key #5/, /^non-canonical identity key/, /^non-canonical R/, /^off-curve key #0/,
    /^small-order R = identity/, /^mixed-order key/];
  for (const c of adversarialCases()) {
    if (wanted.some((w) => w.test(c.name))) rows.push([c.name, hex(c.msg), hex(c.sig), hex(c.pub), false]);
  }
  return rows;
}

describe('Ed25519 verifier conformance on real ES5 engines', () => {
  for (const engine of availableEngines()) {
    it(engine.name + ': RFC 8032 vectors verify, adversarial inputs do not, slices interleave with timers', async () => {
      const rows = cases();
      expect(rows.length).toBe(RFC8032.length + 9);
      const bundle = await bundleEs5({ entry: 'tests/conformance/ed25519.entry.ts', banner: 'var KW_CASES = ' + JSON.stringify(rows) + ';' });
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
