/**
 * Odd multiples [1]P, [3]P, ..., [15]P of P = -A (the negated public key) as table entries
 * (point.ts) for the variable-base half of the double-scalar multiplication (wNAF width 5:
 * digits ±1..±15). Built in slices, one addition per entry. A lock verifies nearly everything
 * with the same relay key, so the table of the last key is kept: the next verification with
 * that key skips decompressing A and building the table (~350 of ~3,400 product chains).
 */
import { addPlain, fieldConstants, mulEl, newEl, setEl, setR, type El } from './field';
import { mulR, mulRK } from './field-mul';
import { addEntry, double, ENTRY_M, ENTRY_P, ENTRY_T, ENTRY_Z, ONE, TWO_K, type Acc } from './point';

export const KEY_WNAF = 5;
export const KEY_ENTRIES = 1 << (KEY_WNAF - 2);

export interface KeyTable {
  tab: Int32Array[];
  p2: Int32Array;
  /** next entry to build; -1 before keyTableBegin */
  next: number;
  /** P = (x, y, 1, x·y): plain Y+X and Y-X (balanced) and x·y */
  pp: Int32Array;
  pm: Int32Array;
  txy: El;
  tmp: El;
}

export function newKeyTable(): KeyTable {
  const tab: Int32Array[] = [];
  for (let i = 0; i < KEY_ENTRIES; i++) tab.push(new Int32Array(104));
  return {
    tab: tab, p2: new Int32Array(104), next: -1, pp: new Int32Array(13), pm: new Int32Array(13), txy: newEl(),
    tmp: newEl()
  };
}

/**
 * K form of an R form (or of s·R) into a table entry at offset o. Unrolled: on Espruino the
 * loop cost about as much as a field product, and a table takes 26 of these.
 */
function kFromR(out: Int32Array, o: number, r: Int32Array, s: number): void {
  out[o] = 608 * (out[o + 13] = s * r[12]);
  out[o + 1] = 608 * (out[o + 14] = s * r[11]);
  out[o + 2] = 608 * (out[o + 15] = s * r[10]);
  out[o + 3] = 608 * (out[o + 16] = s * r[9]);
  out[o + 4] = 608 * (out[o + 17] = s * r[8]);
  out[o + 5] = 608 * (out[o + 18] = s * r[7]);
  out[o + 6] = 608 * (out[o + 19] = s * r[6]);
  out[o + 7] = 608 * (out[o + 20] = s * r[5]);
  out[o + 8] = 608 * (out[o + 21] = s * r[4]);
  out[o + 9] = 608 * (out[o + 22] = s * r[3]);
  out[o + 10] = 608 * (out[o + 23] = s * r[2]);
  out[o + 11] = 608 * (out[o + 24] = s * r[1]);
  out[o + 12] = 608 * (out[o + 25] = s * r[0]);
}

/** The table entry of an addition-ready accumulator. */
function toEntry(q: Acc, kt: KeyTable, out: Int32Array): void {
  kFromR(out, ENTRY_P, q.pr, 1);
  kFromR(out, ENTRY_M, q.mr, 1);
  kFromR(out, ENTRY_Z, q.z.r, 2);
  mulRK(kt.tmp.r, kt.tmp.k, q.tr, fieldConstants().d2k);
  out.set(kt.tmp.k, ENTRY_T);
}

/** Back to P (affine), addition-ready. */
function loadP(q: Acc, kt: KeyTable): void {
  setR(q.pr, kt.pp, 1);
  setR(q.mr, kt.pm, 1);
  setR(q.z.r, ONE, 1);
  q.tr.set(kt.txy.r);
}

/** Entry [1]P and [2]P (one doubling, ~10 product chains); q is used as scratch. */
export function keyTableBegin(kt: KeyTable, q: Acc, x: Int32Array, y: Int32Array): void {
  addPlain(kt.pp, y, x, 1);
  addPlain(kt.pm, y, x, -1);
  setEl(q.x, x);
  setEl(q.y, y);
  mulEl(kt.txy, q.x, q.y);
  loadP(q, kt);
  const e0 = kt.tab[0];
  kFromR(e0, ENTRY_P, q.pr, 1);
  kFromR(e0, ENTRY_M, q.mr, 1);
  e0.set(TWO_K, ENTRY_Z);
  mulR(kt.tmp.r, kt.txy.r, fieldConstants().d2k, 1);
  kFromR(e0, ENTRY_T, kt.tmp.r, 1);
  setEl(q.z, ONE);
  double(q, true);
  toEntry(q, kt, kt.p2);
  loadP(q, kt);
  kt.next = 1;
}

/** Adds [2]P to reach the next odd multiple; at most `budget` product chains. Returns what is left. */
export function keyTableSteps(kt: KeyTable, q: Acc, budget: number): number {
  while (kt.next < KEY_ENTRIES) {
    if (budget < 10) return 0;
    addEntry(q, kt.p2, false, kt.p2, ENTRY_Z, true);
    toEntry(q, kt, kt.tab[kt.next]);
    kt.next++;
    budget -= 10;
  }
  return budget;
}

/** The last key's finished table (read-only once built): ~3.3 KB of Int32Array. */
const last: { pub: Uint8Array | null; tab: Int32Array[] | null } = { pub: null, tab: null };

/** The table for `pub` if it is the key of the last completed table, else null. */
export function cachedKeyTable(pub: Uint8Array): Int32Array[] | null {
  const k = last.pub;
  if (!k || !last.tab) return null;
  let d = 0;
  for (let i = 0; i < 32; i++) d |= k[i] ^ pub[i];
  return d === 0 ? last.tab : null;
}

/** Whether completed tables are kept at all (keepKeyTables). */
let keeping = true;

/** Keeps a completed table of a key that decompressed validly, unless keeping is off. */
export function rememberKeyTable(pub: Uint8Array, tab: Int32Array[]): void {
  if (!keeping) return;
  last.pub = new Uint8Array(pub);
  last.tab = tab;
}

/**
 * Turns keeping the last key's table on or off; off also drops a kept one. A lock whose
 * verifications alternate between keys (owner-consent mode: the relay's, then the owner's) rebuilds
 * the table nearly every time anyway, and gets its ~3.3 KB back instead.
 */
export function keepKeyTables(on: boolean): void {
  keeping = on;
  if (!on) forgetKeyTables();
}

/** Drops the kept table (tests and memory measurements). */
export function forgetKeyTables(): void {
  last.pub = null;
  last.tab = null;
}
