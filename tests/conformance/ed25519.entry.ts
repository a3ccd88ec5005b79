/**
 * Bundled to ES5 and run inside Duktape or Espruino (tests/conformance/ed25519.test.ts, and
 * bench/verify.mts links the same entry): with KW_CASES set by the banner it checks every
 * case with verifyStrict, on Espruino with the E.convolve and crypto.SHA512 natives installed
 * as the firmware does, then once more in pure JS, then one sliced verification with a
 * keep-alive timer ticking. Prints NATIVES, PASS/FAIL lines, PUREJS, SLICED and DONE.
 * Without KW_CASES it only exports the verifier (as the global the bundle is given).
 */
import { fromHex } from '../../shared/src/bytes';
import { beginVerify, forgetKeyTables, runSliced, setFieldNatives, usingNativeConvolve, verifyStrict } from '../../shared/src/ed25519/index';
import { setSha512Native } from '../../shared/src/sha512';

export { beginVerify, forgetKeyTables, fromHex, setFieldNatives, setSha512Native, usingNativeConvolve, verifyStrict };

/** name, message, signature, public key (hex), expected verdict */
declare const KW_CASES: Array<[string, string, string, string, boolean]> | undefined;
declare const E: { convolve?: (a: ArrayLike<number>, b: ArrayLike<number>, o: number) => number } | undefined;
declare function getTime(): number;
declare function require(name: string): any;

function now(): number {
  return typeof getTime === 'function' ? getTime() * 1000 : Date.now();
}

function installNatives(): void {
  if (typeof E === 'undefined' || typeof E.convolve !== 'function') return;
  setFieldNatives({ convolve: E.convolve });
  const crypto = require('crypto');
  setSha512Native(function (m: Uint8Array) {
    return new Uint8Array(crypto.SHA512(m));
  });
}

function check(c: [string, string, string, string, boolean]): boolean {
  return verifyStrict(fromHex(c[1]), fromHex(c[2]), fromHex(c[3])) === c[4];
}

function sliced(c: [string, string, string, string, boolean], done: () => void): void {
  const timers = typeof setTimeout === 'function' && typeof setInterval === 'function';
  let ticks = 0;
  let slices = 0;
  // Duktape has no timers: there a "keep-alive" event runs before each deferred slice.
  const defer = timers ? function (fn: () => void) {
    slices++;
    setTimeout(fn, 0);
  } : function (fn: () => void) {
    slices++;
    ticks++;
    fn();
  };
  const keepAlive = timers ? setInterval(function () {
    ticks++;
  }, 1) : null;
  runSliced(beginVerify(fromHex(c[1]), fromHex(c[2]), fromHex(c[3])), { now: now, defer: defer, budgetMs: 5 }, function (ok) {
    if (keepAlive) clearInterval(keepAlive);
    console.log('SLICED ' + (ok === c[4] ? 'ok' : 'wrong') + ' slices=' + slices + ' ticks=' + ticks);
    done();
  });
}

if (typeof KW_CASES !== 'undefined') {
  const cases = KW_CASES;
  installNatives();
  console.log('NATIVES ' + usingNativeConvolve());
  for (let i = 0; i < cases.length; i++) console.log((check(cases[i]) ? 'PASS ' : 'FAIL ') + cases[i][0]);
  setFieldNatives(null);
  console.log('PUREJS ' + (check(cases[1]) ? 'PASS' : 'FAIL'));
  installNatives();
  sliced(cases[0], function () {
    console.log('DONE');
  });
}
