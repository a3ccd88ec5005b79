/**
 * Point decompression (RFC 8032 §5.1.3) with one combined exponentiation:
 * x = u·v³·(u·v⁷)^((p-5)/8) with u = y² - 1, v = d·y² + 1, then v·x² must be u (done) or
 * -u (x·= sqrt(-1)); anything else is not on the curve. The exponentiation runs in
 * slices through field-pow.ts, so decompression is split into begin / (pow) / end.
 * Callers check the encoding is canonical (y < p, no "negative zero") beforehand.
 */
import { addPlain, fieldConstants, isZeroMod, limbsFromBytes, limbsToBytes, mulEl, newEl, setEl, type El } from './field';
import { newPowRun, powRunAll, powStart, POW_P58, type PowRun } from './field-pow';
import { ONE } from './point';

export interface Decompression {
  y: El;
  u: El;
  v: El;
  uv3: El;
  t: El;
  w: Int32Array;
  sign: number;
  pow: PowRun;
}

export function newDecompression(pow: PowRun): Decompression {
  return { y: newEl(), u: newEl(), v: newEl(), uv3: newEl(), t: newEl(), w: new Int32Array(13), sign: 0, pow: pow };
}

/** Sets up u, v, u·v³ and the exponentiation input u·v⁷ (7 products). */
export function decompressBegin(s: Decompression, enc: Uint8Array): void {
  const c = fieldConstants();
  const w = s.w;
  limbsFromBytes(enc, w);
  s.sign = enc[31] >> 7;
  setEl(s.y, w);
  const y2 = s.uv3;
  mulEl(y2, s.y, s.y);
  addPlain(w, y2.n, ONE, -1);
  setEl(s.u, w); // u = y² - 1
  mulEl(s.t, c.d, y2);
  addPlain(w, s.t.n, ONE, 1);
  setEl(s.v, w); // v = d·y² + 1
  const r = s.pow.r;
  mulEl(r[1], s.v, s.v); // v²
  mulEl(r[2], r[1], s.v); // v³
  mulEl(s.uv3, s.u, r[2]); // u·v³
  mulEl(r[3], r[1], r[1]); // v⁴
  mulEl(r[0], s.uv3, r[3]); // u·v⁷
  powStart(s.pow, POW_P58);
}

/**
 * After the exponentiation: the x coordinate (plain limbs, reduced) with the
 * requested sign, written to `x`; false when the encoding is not a curve point.
 */
export function decompressEnd(s: Decompression, x: Int32Array): boolean {
  const c = fieldConstants();
  const cand = s.t;
  mulEl(cand, s.uv3, s.pow.r[4]); // x = u·v³·(u·v⁷)^((p-5)/8)
  const x2 = s.pow.r[1];
  mulEl(x2, cand, cand);
  const vx2 = s.pow.r[2];
  mulEl(vx2, s.v, x2);
  s.w.set(vx2.n); // v·x²
  const chk = new Int32Array(13);
  addPlain(chk, s.w, s.u.n, -1);
  if (isZeroMod(chk)) {
    x.set(cand.n);
  } else {
    addPlain(chk, s.w, s.u.n, 1);
    if (!isZeroMod(chk)) return false;
    mulEl(vx2, cand, c.sqrtM1);
    x.set(vx2.n);
  }
  const b = limbsToBytes(x); // one canonical encoding for both the zero test and the sign
  let nz = 0;
  for (let i = 0; i < 32; i++) nz |= b[i];
  if (nz === 0) {
    if (s.sign) return false; // x = 0 has no negative encoding
  } else if ((b[0] & 1) !== s.sign) {
    for (let i = 0; i < 13; i++) x[i] = -x[i];
  }
  return true;
}

/** Synchronous decompression for cold paths: x limbs or null; y limbs are written to y. */
export function decompressNow(enc: Uint8Array, x: Int32Array, y: Int32Array): boolean {
  const s = newDecompression(newPowRun());
  decompressBegin(s, enc);
  powRunAll(s.pow, POW_P58);
  if (!decompressEnd(s, x)) return false;
  y.set(s.y.n);
  return true;
}
