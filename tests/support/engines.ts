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
  name: 'duk' | 'espruino';
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
    return runFile(dukPath(), [], 'var console = { log: function () { print(Array.prototype.join.call(arguments, " ")); } };\n' + code, timeoutMs, false);
  }
};

/** Espruino runs the file from a scratch directory (its Storage lives in ./espruino.flash there). */
export const espruino: Engine = {
  name: 'espruino',
  run(code, timeoutMs = 600_000) {
    const bin = espruinoPath();
    if (!bin) throw new Error('ESPRUINO is not set');
    return runFile(bin, [], code, timeoutMs, true);
  }
};

export function availableEngines(): Engine[] {
  return espruinoPath() ? [duk, espruino] : [duk];
}

function runFile(bin: string, args: string[], code: string, timeoutMs: number, isEspruino: boolean): Promise<EngineRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-engine-'));
  const file = path.join(dir, 'main.js');
  writeFileSync(file, code);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args, file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      reject(e);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve({ stdout, stderr, exitCode, lines: cleanLines(stdout, isEspruino) });
    });
  });
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
