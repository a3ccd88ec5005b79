/**
 * Runs one program file on an Espruino Linux build and returns the JSON lines it printed with a
 * `T ` (timing) or `M ` (memory) prefix; a run that dies still yields what it printed before.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanLines } from '../../tests/support/engines';

/** Longest a bench program may run on a slow build before it is stopped. */
const RUN_LIMIT_MS = 1_800_000;
const OUTPUT_LIMIT_BYTES = 1 << 24;

export function runEspruinoLines<T>(bin: string, code: string, tmpPrefix: string): T[] {
  const dir = mkdtempSync(path.join(tmpdir(), tmpPrefix));
  try {
    writeFileSync(path.join(dir, 'main.js'), code);
    let stdout = '';
    try {
      stdout = execFileSync(bin, ['main.js'], { cwd: dir, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: OUTPUT_LIMIT_BYTES, timeout: RUN_LIMIT_MS });
    } catch (e) {
      stdout = String((e as { stdout?: string }).stdout ?? '');
    }
    return cleanLines(stdout, true).filter((l) => /^[TM] /.test(l)).map((l) => JSON.parse(l.slice(2)) as T);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The Espruino builds a bench runs on: ESPRUINO and, when set, ESPRUINO_8190. With neither set it
 * says what to set and ends the process (a bench without an interpreter has nothing to measure).
 */
export function espruinoBuildsOrExit(whatFor: string): string[] {
  const bins = [process.env.ESPRUINO, process.env.ESPRUINO_8190].filter((b): b is string => !!b && b.length > 0);
  if (bins.length === 0) {
    console.log('Set ESPRUINO=/path/to/espruino (and optionally ESPRUINO_8190) to measure ' + whatFor + ' on Espruino.');
    process.exit(0);
  }
  return bins;
}
