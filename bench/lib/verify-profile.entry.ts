/**
 * Bundled to ES5 for bench/verify-profile.mts: the phases of one strict verification run one
 * after another, unsliced, each timed by the caller's `cpu()` clock, with the same functions
 * verify-task.ts runs (strict checks, both decompressions, hash, half-size scalars and recodings,
 * the tables of -A and -R, the Straus loop, the identity check). The loop is also split by kind:
 * the doublings alone, and the additions of each table alone, on the same accumulator.
 */
import { concatBytes } from '../../shared/src/bytes';
import { sha512 } from '../../shared/src/sha512';
import { BASE_WNAF, baseTable } from '../../shared/src/ed25519/base-table';
import { BASE_HI_WNAF, baseHiTable } from '../../shared/src/ed25519/base-table-hi';
import { decompressBegin, decompressEnd, newDecompression } from '../../shared/src/ed25519/decompress';
import { isZeroMod } from '../../shared/src/ed25519/field';
import { newPowRun, powSteps } from '../../shared/src/ed25519/field-pow';
import { halfScalars, type HalfScalars } from '../../shared/src/ed25519/half-scalars';
import { KEY_WNAF, keyTableBegin, keyTableSteps, newKeyTable } from '../../shared/src/ed25519/key-table';
import { addEntry, double, ENTRY_Z, newAcc, setIdentity, TWO_K, type Acc } from '../../shared/src/ed25519/point';
import { mulAddModL, reduceModL, wnaf } from '../../shared/src/ed25519/scalar';
import { isCanonicalPointEncoding, passesStrictChecks } from '../../shared/src/ed25519/strict';

export { setFieldNatives } from '../../shared/src/ed25519/field-natives';
export { setSha512Native } from '../../shared/src/sha512';
export { verifyStrict } from '../../shared/src/ed25519/verify';
export { forgetKeyTables } from '../../shared/src/ed25519/key-table';

export type Clock = () => number;
const BIG = 1e9;

/** CPU ms per phase of one verification (all the work, no kept table), and the verdict. */
export function profileOnce(msg: Uint8Array, sig: Uint8Array, pub: Uint8Array, cpu: Clock): { [phase: string]: number } {
  const out: { [phase: string]: number } = {};
  let t = cpu();
  function lap(name: string): void {
    const n = cpu();
    out[name] = (out[name] || 0) + n - t;
    t = n;
  }
  const ok0 = passesStrictChecks(sig, pub) && isCanonicalPointEncoding(sig.subarray(0, 32));
  lap('strict checks');
  const pow = newPowRun();
  const dec = newDecompression(pow);
  const ax = new Int32Array(13), ay = new Int32Array(13), rx = new Int32Array(13), ry = new Int32Array(13);
  decompressBegin(dec, pub);
  lap('decompress A, R: set-up');
  powSteps(pow, BIG);
  lap('decompress A, R: exponentiation');
  let ok = decompressEnd(dec, ax) && ok0;
  for (let j = 0; j < 13; j++) ax[j] = -ax[j];
  ay.set(dec.y.n);
  lap('decompress A, R: root check and sign');
  decompressBegin(dec, sig.subarray(0, 32));
  lap('decompress A, R: set-up');
  powSteps(pow, BIG);
  lap('decompress A, R: exponentiation');
  ok = decompressEnd(dec, rx) && ok;
  for (let j = 0; j < 13; j++) rx[j] = -rx[j];
  ry.set(dec.y.n);
  lap('decompress A, R: root check and sign');
  const k = reduceModL(sha512(concatBytes([sig.subarray(0, 32), pub, msg])));
  lap('hash + reduce mod L');
  const h: HalfScalars = { c: new Uint8Array(32), d: new Uint8Array(32), cNeg: false };
  if (!halfScalars(k, h)) {
    h.c = k;
    h.d[0] = 1;
  }
  lap('half-size scalars (Euclid)');
  const e = mulAddModL(h.d, sig.subarray(32, 64), new Uint8Array(32));
  const lo = new Uint8Array(32);
  const hi = new Uint8Array(32);
  lo.set(e.subarray(0, 16));
  hi.set(e.subarray(16, 32));
  lap('d*S mod L');
  const na = new Int8Array(256), nr = new Int8Array(256), nb = new Int8Array(256), nh = new Int8Array(256);
  const ia = wnaf(h.c, KEY_WNAF, na);
  if (h.cNeg) for (let j = 0; j <= ia; j++) na[j] = -na[j];
  const top = Math.max(ia, wnaf(h.d, KEY_WNAF, nr), wnaf(lo, BASE_WNAF, nb), wnaf(hi, BASE_HI_WNAF, nh));
  lap('wNAF recoding x4');
  const q = newAcc();
  const kt = newKeyTable();
  keyTableBegin(kt, q, ax, ay);
  keyTableSteps(kt, q, BIG);
  const ta = kt.tab;
  lap('table of -A');
  const kr = newKeyTable();
  keyTableBegin(kr, q, rx, ry);
  keyTableSteps(kr, q, BIG);
  const tr = kr.tab;
  lap('table of -R');
  const tb = baseTable();
  const th = baseHiTable();
  lap('base tables (decoded once)');
  setIdentity(q);
  loop(q, top, na, nr, nb, nh, ta, tr, tb, th, 0xf);
  lap('Straus loop');
  const x = q.x.k.subarray(13, 26);
  const d = new Int32Array(13);
  for (let j = 0; j < 13; j++) d[j] = q.y.k[13 + j] - q.z.k[13 + j];
  ok = ok && isZeroMod(x) && isZeroMod(d);
  lap('identity check');
  // the loop again, one kind of operation at a time (the doublings run in every pass)
  setIdentity(q);
  loop(q, top, na, nr, nb, nh, ta, tr, tb, th, 0);
  lap('loop: doublings only');
  const kinds = ['-A', '-R', 'B', '2^128 B'];
  for (let m = 0; m < 4; m++) {
    setIdentity(q);
    loop(q, top, na, nr, nb, nh, ta, tr, tb, th, 1 << m);
    lap('loop: doublings + additions of ' + kinds[m]);
  }
  out.ok = ok ? 1 : 0;
  out.doublings = top + 1;
  let cA = 0, cR = 0, cB = 0, cH = 0;
  for (let j = 0; j <= top; j++) {
    if (na[j]) cA++;
    if (nr[j]) cR++;
    if (nb[j]) cB++;
    if (nh[j]) cH++;
  }
  out['additions -A'] = cA;
  out['additions -R'] = cR;
  out['additions B'] = cB;
  out['additions 2^128 B'] = cH;
  return out;
}

/** The Straus loop of verify-task.ts, with the additions of the tables in `which` (bit mask A, R, B, 2^128·B). */
function loop(q: Acc, top: number, na: Int8Array, nr: Int8Array, nb: Int8Array, nh: Int8Array,
  ta: Int32Array[], tr: Int32Array[], tb: Int32Array[], th: Int32Array[], which: number): void {
  for (let i = top; i >= 0; i--) {
    const a = which & 1 ? na[i] : 0;
    const r = which & 2 ? nr[i] : 0;
    const b = which & 4 ? nb[i] : 0;
    const h = which & 8 ? nh[i] : 0;
    double(q, (a | r | b | h) !== 0);
    let t: Int32Array;
    if (a !== 0) {
      t = ta[(a < 0 ? -a : a) >> 1];
      addEntry(q, t, a < 0, t, ENTRY_Z, (r | b | h) !== 0);
    }
    if (r !== 0) {
      t = tr[(r < 0 ? -r : r) >> 1];
      addEntry(q, t, r < 0, t, ENTRY_Z, (b | h) !== 0);
    }
    if (b !== 0) addEntry(q, tb[(b < 0 ? -b : b) >> 1], b < 0, TWO_K, 0, h !== 0);
    if (h !== 0) addEntry(q, th[(h < 0 ? -h : h) >> 1], h < 0, TWO_K, 0, false);
  }
}
