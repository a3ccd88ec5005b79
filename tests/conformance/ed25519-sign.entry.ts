/**
 * Bundled to ES5 and run inside Duktape or Espruino (tests/conformance/ed25519-sign.test.ts; bench/sign.mts
 * links the same entry): with KW_SIGN_CASES set by the banner it derives each public key and
 * signs each message with the lock's signing code, on Espruino with the E.convolve and
 * crypto.SHA512 natives installed as the firmware does, then once in pure JS, then once sliced
 * with a keep-alive timer ticking. Prints NATIVES, PASS/FAIL, PUREJS, SLICED and DONE lines.
 * Without KW_SIGN_CASES it only exports the signing functions.
 */
import { fromHex, toHex } from '../../shared/src/bytes';
import {
  beginSign, forgetKeyTables, publicKeyNow, runSliced, setFieldNatives, signingKey, signNow, usingNativeConvolve, verifyStrict
} from '../../shared/src/ed25519/index';
import { setSha512Native } from '../../shared/src/sha512';

export { beginSign, forgetKeyTables, fromHex, publicKeyNow, setFieldNatives, setSha512Native, signingKey, signNow, toHex, usingNativeConvolve, verifyStrict };

/** seed, message, expected public key, expected signature (hex, from tweetnacl) */
declare const KW_SIGN_CASES: Array<[string, string, string, string]> | undefined;
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

function check(c: [string, string, string, string]): boolean {
  const seed = fromHex(c[0]);
  const pub = publicKeyNow(seed);
  if (!pub || toHex(pub) !== c[2]) return false;
  const sig = signNow(fromHex(c[1]), signingKey(seed, pub));
  return sig !== null && toHex(sig) === c[3];
}

function sliced(c: [string, string, string, string], done: () => void): void {
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
  const task = beginSign(fromHex(c[1]), signingKey(fromHex(c[0]), fromHex(c[2])));
  runSliced(task, { now: now, defer: defer, budgetMs: 5 }, function (ok) {
    if (keepAlive) clearInterval(keepAlive);
    const right = ok && task.output !== null && toHex(task.output) === c[3];
    console.log('SLICED ' + (right ? 'ok' : 'wrong') + ' slices=' + slices + ' ticks=' + ticks);
    done();
  });
}

if (typeof KW_SIGN_CASES !== 'undefined') {
  const cases = KW_SIGN_CASES;
  installNatives();
  console.log('NATIVES ' + usingNativeConvolve());
  for (let i = 0; i < cases.length; i++) console.log((check(cases[i]) ? 'PASS ' : 'FAIL ') + i);
  setFieldNatives(null);
  console.log('PUREJS ' + (check(cases[0]) ? 'PASS' : 'FAIL'));
  installNatives();
  sliced(cases[1], function () {
    console.log('DONE');
  });
}
