/**
 * For code bundled to ES5 and run in Duktape, Espruino or Node (the conformance entries and the
 * door-check bench), and for the Node harness that must match them: one seeded random sequence
 * (the lock's challenge nonces come from it, and signed TIME_SETs are bound to them), a
 * millisecond clock, and Espruino's natives installed the way the firmware's main.ts does.
 */
import type { BoardProfile } from '@keyway/firmware';

declare function getTime(): number;
declare const E: any;
declare function require(name: string): any;

/**
 * What a replay's runner puts before the bundle (tests/conformance/lock-replay.entry.ts and the
 * firmware-owner benches): `var KW_SCRIPT = …` with the board, the flash image and the lock's
 * options, and `function KW_ACTION(i)` returning the i-th recorded action, 0 … count − 1.
 */
export interface ReplayScript {
  board: BoardProfile;
  files: { [name: string]: string };
  options: any;
  /** How many actions KW_ACTION returns, 0 … count − 1. */
  count: number;
}
export type ReplayAction = [string, any];

/** A fresh copy of the simulator's random source: a fixed LCG, so every engine agrees. */
export function seededRandom(): () => number {
  let seed = 1;
  return function () {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

/** Where Linux keeps the calling thread's time on a CPU, in nanoseconds (the first field). */
const SCHEDSTAT = '/proc/self/schedstat';
const NS_PER_MS = 1e6;
let cpuFile: { readFileSync(name: string): string } | null | undefined;

/**
 * Milliseconds of CPU time the interpreter has used: on Espruino's Linux build, the main thread's
 * run time from /proc/self/schedstat (nanoseconds, ~0.04 ms to read), so other processes on the
 * host do not count; elsewhere (Duktape has no files) the wall clock of `engineNow`.
 */
export function engineCpuMs(): number {
  if (cpuFile === undefined) {
    cpuFile = null;
    try {
      const fs = typeof getTime === 'function' ? require('fs') : null;
      // A board's fs module has no /proc (readFileSync gives undefined): keep the wall clock there.
      if (fs && isFinite(parseInt(String(fs.readFileSync(SCHEDSTAT)).split(' ')[0], 10))) cpuFile = fs;
    } catch (_e) {
      cpuFile = null;
    }
  }
  if (!cpuFile) return engineNow();
  return parseInt(String(cpuFile.readFileSync(SCHEDSTAT)).split(' ')[0], 10) / NS_PER_MS;
}

/** Milliseconds: Espruino's getTime() where it exists, else Date.now(). */
export function engineNow(): number {
  return typeof getTime === 'function' ? getTime() * 1000 : Date.now();
}

export interface EngineNatives {
  convolve: ((a: any, b: any, o: number) => number) | null;
  /** crypto.SHA512 returns an ArrayBuffer, as the firmware's natives port expects. */
  sha512: ((m: Uint8Array) => ArrayBuffer) | null;
  /** E.CRC32, which every Espruino build has (the firmware's main.ts installs it). */
  crc32: ((m: Uint8Array) => number) | null;
}

/** On Espruino: E.convolve, E.CRC32 and crypto.SHA512 (when the build has them); elsewhere none. */
export function espruinoNatives(): EngineNatives {
  const n: EngineNatives = { convolve: null, sha512: null, crc32: null };
  if (typeof E === 'undefined' || typeof require !== 'function') return n;
  if (E.convolve) n.convolve = function (a: any, b: any, o: number) { return E.convolve(a, b, o); };
  if (E.CRC32) n.crc32 = function (m: Uint8Array) { return E.CRC32(m); };
  const c = require('crypto');
  if (c && c.SHA512) n.sha512 = function (m: Uint8Array) { return c.SHA512(m); };
  return n;
}
