/**
 * The squarings of a doubling (dbl-2008-hwcd, a = -1) fused with the additions that follow
 * them: from A = X², B = Y², C = Z² (three convolutions per limb, never written) it carries
 * three chains at once and writes G = B - A (R form), H = -(A + B) (K form) and
 * F = B - A - 2C (K form), all reduced. See field-mul.ts for the limb statement and bounds.
 */
import { FOLD, RND, SH } from './field-mul';
import { natives } from './field-natives';

export function dblSquares(g: Int32Array, hk: Int32Array, fk: Int32Array, xr: Int32Array, xk: Int32Array, yr: Int32Array, yk: Int32Array, zr: Int32Array, zk: Int32Array): void {
  let v: number, h: number, w: number, j: number, u: number, i: number, R = RND, S = SH, s: number, t: number, c = natives.conv, x0: number, x1: number, x2: number, y0: number, y1: number, y2: number, z0: number, z1: number, z2: number;
  x0 = (v = (s = c(yr, yk, 1)) - (t = c(xr, xk, 1))) - (h = v + R - R);
  y0 = (w = -s - t) - (j = w + R - R);
  z0 = (u = s - t - 2 * c(zr, zk, 1)) - (i = u + R - R);
  x1 = (v = (s = c(yr, yk, 2)) - (t = c(xr, xk, 2)) + h * S) - (h = v + R - R);
  y1 = (w = -s - t + j * S) - (j = w + R - R);
  z1 = (u = s - t - 2 * c(zr, zk, 2) + i * S) - (i = u + R - R);
  x2 = (v = (s = c(yr, yk, 3)) - (t = c(xr, xk, 3)) + h * S) - (h = v + R - R);
  y2 = (w = -s - t + j * S) - (j = w + R - R);
  z2 = (u = s - t - 2 * c(zr, zk, 3) + i * S) - (i = u + R - R);
  g[9] = (v = (s = c(yr, yk, 4)) - (t = c(xr, xk, 4)) + h * S) - (h = v + R - R);
  hk[3] = 608 * (hk[16] = (w = -s - t + j * S) - (j = w + R - R));
  fk[3] = 608 * (fk[16] = (u = s - t - 2 * c(zr, zk, 4) + i * S) - (i = u + R - R));
  g[8] = (v = (s = c(yr, yk, 5)) - (t = c(xr, xk, 5)) + h * S) - (h = v + R - R);
  hk[4] = 608 * (hk[17] = (w = -s - t + j * S) - (j = w + R - R));
  fk[4] = 608 * (fk[17] = (u = s - t - 2 * c(zr, zk, 5) + i * S) - (i = u + R - R));
  g[7] = (v = (s = c(yr, yk, 6)) - (t = c(xr, xk, 6)) + h * S) - (h = v + R - R);
  hk[5] = 608 * (hk[18] = (w = -s - t + j * S) - (j = w + R - R));
  fk[5] = 608 * (fk[18] = (u = s - t - 2 * c(zr, zk, 6) + i * S) - (i = u + R - R));
  g[6] = (v = (s = c(yr, yk, 7)) - (t = c(xr, xk, 7)) + h * S) - (h = v + R - R);
  hk[6] = 608 * (hk[19] = (w = -s - t + j * S) - (j = w + R - R));
  fk[6] = 608 * (fk[19] = (u = s - t - 2 * c(zr, zk, 7) + i * S) - (i = u + R - R));
  g[5] = (v = (s = c(yr, yk, 8)) - (t = c(xr, xk, 8)) + h * S) - (h = v + R - R);
  hk[7] = 608 * (hk[20] = (w = -s - t + j * S) - (j = w + R - R));
  fk[7] = 608 * (fk[20] = (u = s - t - 2 * c(zr, zk, 8) + i * S) - (i = u + R - R));
  g[4] = (v = (s = c(yr, yk, 9)) - (t = c(xr, xk, 9)) + h * S) - (h = v + R - R);
  hk[8] = 608 * (hk[21] = (w = -s - t + j * S) - (j = w + R - R));
  fk[8] = 608 * (fk[21] = (u = s - t - 2 * c(zr, zk, 9) + i * S) - (i = u + R - R));
  g[3] = (v = (s = c(yr, yk, 10)) - (t = c(xr, xk, 10)) + h * S) - (h = v + R - R);
  hk[9] = 608 * (hk[22] = (w = -s - t + j * S) - (j = w + R - R));
  fk[9] = 608 * (fk[22] = (u = s - t - 2 * c(zr, zk, 10) + i * S) - (i = u + R - R));
  g[2] = (v = (s = c(yr, yk, 11)) - (t = c(xr, xk, 11)) + h * S) - (h = v + R - R);
  hk[10] = 608 * (hk[23] = (w = -s - t + j * S) - (j = w + R - R));
  fk[10] = 608 * (fk[23] = (u = s - t - 2 * c(zr, zk, 11) + i * S) - (i = u + R - R));
  g[1] = (v = (s = c(yr, yk, 12)) - (t = c(xr, xk, 12)) + h * S) - (h = v + R - R);
  hk[11] = 608 * (hk[24] = (w = -s - t + j * S) - (j = w + R - R));
  fk[11] = 608 * (fk[24] = (u = s - t - 2 * c(zr, zk, 12) + i * S) - (i = u + R - R));
  g[0] = (v = (s = c(yr, yk, 13)) - (t = c(xr, xk, 13)) + h * S) - (h = v + R - R);
  hk[12] = 608 * (hk[25] = (w = -s - t + j * S) - (j = w + R - R));
  fk[12] = 608 * (fk[25] = (u = s - t - 2 * c(zr, zk, 13) + i * S) - (i = u + R - R));
  x0 = (v = x0 + h * FOLD) - (h = v + R - R);
  x1 = (v = x1 + h * S) - (h = v + R - R);
  x2 += h * S;
  g[12] = x0;
  g[11] = x1;
  g[10] = x2;
  y0 = (w = y0 + j * FOLD) - (j = w + R - R);
  y1 = (w = y1 + j * S) - (j = w + R - R);
  y2 += j * S;
  hk[0] = 608 * (hk[13] = y0);
  hk[1] = 608 * (hk[14] = y1);
  hk[2] = 608 * (hk[15] = y2);
  z0 = (u = z0 + i * FOLD) - (i = u + R - R);
  z1 = (u = z1 + i * S) - (i = u + R - R);
  z2 += i * S;
  fk[0] = 608 * (fk[13] = z0);
  fk[1] = 608 * (fk[14] = z1);
  fk[2] = 608 * (fk[15] = z2);
}
