/**
 * Runs an ES5 script in a real non-Node engine: Duktape (`duk`, always) and Espruino
 * (when the ESPRUINO variable points at a Linux build). Used by conformance tests and
 * benchmarks. Output lines are returned without Espruino's banner and prompt noise.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface EngineRun {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  lines: string[];
}

export interface Engine {
  name: 'duk' | 'espruino' | 'espruino (code in RAM)';
  run(code: string, timeoutMs?: number): Promise<EngineRun>;
}

export function dukPath(): string {
  return process.env.DUK || 'duk';
}

export function espruinoPath(): string | null {
  const p = process.env.ESPRUINO;
  return p && p.length > 0 ? p : null;
}

/** Duktape prints with print(); console.log is mapped to it for shared harness code. */
export const duk: Engine = {
  name: 'duk',
  run(code, timeoutMs = 120_000) {
    return runFile(dukPath(), 'var console = { log: function () { print(Array.prototype.join.call(arguments, " ")); } };\n' + code, timeoutMs, false);
  }
};

/**
 * Espruino runs the program the way a board runs the firmware: from Storage. The code is
 * written into Storage (./espruino.flash of a scratch directory) in chunks, then a one-line
 * loader evaluates it from there, so function bodies stay in (emulated) flash instead of
 * taking RAM variables, as with code saved to a board.
 */
export const espruino: Engine = {
  name: 'espruino',
  run(code, timeoutMs = 600_000) {
    const bin = espruinoPath();
    if (!bin) throw new Error('ESPRUINO is not set');
    return runFromStorage(bin, asciiOnly(code), timeoutMs);
  }
};

/**
 * Espruino running the program from a file it loads into RAM. The Linux build emulates flash
 * with a file and refills a 16-byte read buffer (open, seek, read, close) for every 16 bytes of
 * code it runs from Storage, so code run from Storage costs several times its cost on a board
 * whose flash is memory-mapped; this variant shows the interpreter's own cost (benches only: it
 * takes RAM for the code).
 */
export const espruinoInRam: Engine = {
  name: 'espruino (code in RAM)',
  run(code, timeoutMs = 600_000) {
    const bin = espruinoPath();
    if (!bin) throw new Error('ESPRUINO is not set');
    return runFile(bin, asciiOnly(code), timeoutMs, true);
  }
};

/** Escapes non-ASCII characters so the program survives as a byte string in Storage. */
export function asciiOnly(code: string): string {
  return code.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

const STORAGE_CHUNK = 2048;

async function runFromStorage(bin: string, code: string, timeoutMs: number): Promise<EngineRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-espruino-'));
  try {
    for (let off = 0; off < code.length; off += STORAGE_CHUNK) {
      const chunk = code.slice(off, off + STORAGE_CHUNK);
      const w = await spawnIn(bin, dir, 'require("Storage").write("kw.js",' + JSON.stringify(chunk) + ',' + off + ',' + code.length + ');', 60_000);
      if (w.exitCode !== 0 || /Error|Uncaught/.test(w.stdout)) throw new Error('writing the program into Espruino Storage failed: ' + w.stdout.slice(-300));
    }
    return await spawnIn(bin, dir, 'eval(require("Storage").read("kw.js"));', timeoutMs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes `code` to main.js in `dir`, runs `bin` on it there, collects its output. */
function spawnIn(bin: string, dir: string, code: string, timeoutMs: number, isEspruino = true): Promise<EngineRun> {
  const file = path.join(dir, 'main.js');
  writeFileSync(file, code);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, exitCode, lines: cleanLines(stdout, isEspruino) });
    });
  });
}

export function availableEngines(): Engine[] {
  return espruinoPath() ? [duk, espruino] : [duk];
}

async function runFile(bin: string, code: string, timeoutMs: number, isEspruino: boolean): Promise<EngineRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-engine-'));
  try {
    return await spawnIn(bin, dir, code, timeoutMs, isEspruino);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Strips Espruino's banner, prompts and escape codes; keeps the script's own lines. */
export function cleanLines(stdout: string, isEspruino: boolean): string[] {
  let text = stdout.replace(/\r/g, '');
  if (isEspruino) {
    const i = text.indexOf('Donate');
    if (i >= 0) text = text.slice(text.indexOf('\n', i) + 1);
    text = text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  }
  return text
    .split('\n')
    .map((l) => (isEspruino ? l.replace(/^>/, '') : l))
    .filter((l) => l.length > 0);
}
