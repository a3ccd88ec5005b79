/**
 * n squarings of one element in a row, without a call per squaring: the exponentiations of
 * field-pow.ts are ~250 squarings each. The value in (xr, xk) (R and K forms) is squared into
 * (yr, yk), that into (xr, xk), and so on: after an odd n the result is in y, after an even n
 * in x. The body is mulRK's (field-mul.ts: same limb statements, bounds and output), with
 * both operands the same element.
 */
import { FOLD, RND, SH } from './field-mul';
import { natives } from './field-natives';

export function sqrRK(xr: Int32Array, xk: Int32Array, yr: Int32Array, yk: Int32Array, n: number): void {
  let v: number, h: number, R = RND, S = SH, c = natives.conv, x0: number, x1: number, x2: number, t: Int32Array;
  for (; n > 0; n--) {
    x0 = (v = c(xr, xk, 1)) - (h = v + R - R);
    x1 = (v = c(xr, xk, 2) + h * S) - (h = v + R - R);
    x2 = (v = c(xr, xk, 3) + h * S) - (h = v + R - R);
    yk[3] = 608 * (yr[9] = yk[16] = (v = c(xr, xk, 4) + h * S) - (h = v + R - R));
    yk[4] = 608 * (yr[8] = yk[17] = (v = c(xr, xk, 5) + h * S) - (h = v + R - R));
    yk[5] = 608 * (yr[7] = yk[18] = (v = c(xr, xk, 6) + h * S) - (h = v + R - R));
    yk[6] = 608 * (yr[6] = yk[19] = (v = c(xr, xk, 7) + h * S) - (h = v + R - R));
    yk[7] = 608 * (yr[5] = yk[20] = (v = c(xr, xk, 8) + h * S) - (h = v + R - R));
    yk[8] = 608 * (yr[4] = yk[21] = (v = c(xr, xk, 9) + h * S) - (h = v + R - R));
    yk[9] = 608 * (yr[3] = yk[22] = (v = c(xr, xk, 10) + h * S) - (h = v + R - R));
    yk[10] = 608 * (yr[2] = yk[23] = (v = c(xr, xk, 11) + h * S) - (h = v + R - R));
    yk[11] = 608 * (yr[1] = yk[24] = (v = c(xr, xk, 12) + h * S) - (h = v + R - R));
    yk[12] = 608 * (yr[0] = yk[25] = (v = c(xr, xk, 13) + h * S) - (h = v + R - R));
    x0 = (v = x0 + h * FOLD) - (h = v + R - R);
    x1 = (v = x1 + h * S) - (h = v + R - R);
    x2 += h * S;
    yk[0] = 608 * (yr[12] = yk[13] = x0);
    yk[1] = 608 * (yr[11] = yk[14] = x1);
    yk[2] = 608 * (yr[10] = yk[15] = x2);
    t = xr;
    xr = yr;
    yr = t;
    t = xk;
    xk = yk;
    yk = t;
  }
}
