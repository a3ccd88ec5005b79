/**
 * The one native the field arithmetic can use: Espruino's `E.convolve(a, b, offset)`, which
 * returns Σ a[i]·b[(i + offset) % b.length] accumulated in a double. The firmware installs it
 * with setFieldNatives at boot; everything else (Duktape, Node, a board built without it)
 * uses the pure-JS dot product below, which returns the same exact integers.
 */

export type Convolve = (a: ArrayLike<number>, b: ArrayLike<number>, offset: number) => number;

export interface FieldNatives {
  convolve?: Convolve;
}

/**
 * The field code only ever asks for a 13-term window that does not wrap: a.length = 13 and
 * offset + 12 < b.length (b is a 26-entry K form, or a table entry holding several). Every
 * partial sum is an integer below 2^53 (see field-mul.ts), so the order of additions does
 * not change the result.
 */
export function jsConvolve(a: ArrayLike<number>, b: ArrayLike<number>, o: number): number {
  return a[0] * b[o] + a[1] * b[o + 1] + a[2] * b[o + 2] + a[3] * b[o + 3] + a[4] * b[o + 4] +
    a[5] * b[o + 5] + a[6] * b[o + 6] + a[7] * b[o + 7] + a[8] * b[o + 8] + a[9] * b[o + 9] +
    a[10] * b[o + 10] + a[11] * b[o + 11] + a[12] * b[o + 12];
}

/** Read by every field product (one property read per product). */
export const natives = { conv: jsConvolve as Convolve };

/** Installs natives (Espruino: `{ convolve: E.convolve }`); null or `{}` restores pure JS. */
export function setFieldNatives(n: FieldNatives | null): void {
  natives.conv = n && typeof n.convolve === 'function' ? n.convolve : jsConvolve;
}

/** True when a native convolve is installed (conformance tests check the firmware path). */
export function usingNativeConvolve(): boolean {
  return natives.conv !== jsConvolve;
}
