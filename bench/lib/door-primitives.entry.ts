/**
 * Bundled to ES5 for Espruino by bench/door-primitives.mts: times the shared functions the at-door
 * slice calls, each `ROUNDS` times in a row, in interpreter CPU time (/proc/self/schedstat on the
 * Linux build). Prints one `PRIM <name> <ms per call>` line each. Results are kept in `sink` so the
 * minifier cannot drop a call whose result is unused.
 */
import { bytesToBinary } from '@keyway/firmware';
import {
  asciiBytes, bytesEqual, chainStep, checkGrantTime, copyBytes, decodeReveal, encodeEvent, encodeReveal, messageKind, setSha512Native, sha512Js
} from '@keyway/shared';
import { engineCpuMs } from '../../tests/support/engine-env';

declare const console: { log(s: string): void };

const ROUNDS = 40;
const HASH_INPUT = 52; // tag ‖ device id ‖ grant id ‖ value: the chain step's message
const a = new Uint8Array(32);
const b = new Uint8Array(32);
for (let i = 0; i < 32; i++) {
  a[i] = i;
  b[i] = i;
}
const dev = new Uint8Array(8);
const reveal = encodeReveal({ deviceId: dev, grantId: 12, value: a });
const fakeHash = new Uint8Array(64);
const message = new Uint8Array(HASH_INPUT);
const rules = { notBefore: 0, notAfter: 2e9, tzOffset: 0, schedule: [] };
const event = { deviceId: dev, seq: 5, time: 1e9, type: 3, code: 0, ref: 1, actorKind: 1, actorRef: 2, prevHash: a, data: new Uint8Array([1, 2]) };
let sink: unknown = null;

function time(name: string, f: () => unknown): void {
  const t0 = engineCpuMs();
  for (let i = 0; i < ROUNDS; i++) sink = f();
  console.log('PRIM ' + name + ' ' + ((engineCpuMs() - t0) / ROUNDS).toFixed(3));
}

time('copyBytes (32 bytes)', function () { return copyBytes(a); });
time('bytesEqual (32 bytes)', function () { return bytesEqual(a, b); });
time('asciiBytes (8-byte tag)', function () { return asciiBytes('KW-CHAIN'); });
time('messageKind (reveal)', function () { return messageKind(reveal); });
time('decodeReveal', function () { return decodeReveal(reveal); });
setSha512Native(function () { return fakeHash; });
time('chainStep without its SHA-512', function () { return chainStep(dev, 12, a); });
setSha512Native(null);
time('SHA-512, pure JS (52 bytes)', function () { return sha512Js(message); });
time('checkGrantTime (no schedule)', function () { return checkGrantTime(rules, 1e9); });
time('encodeEvent (STATE)', function () { return encodeEvent(event); });
time('bytesToBinary (event bytes)', function () { return bytesToBinary(encodeEvent(event)); });
console.log('PRIM done ' + (sink === null ? 0 : 1));
