/**
 * Puts files into an Espruino Linux build's Storage (./espruino.flash of a directory) the way
 * `keyway flash` puts them on a board, and runs one-shot programs there. Benchmarks use it to
 * boot the shipped bundle from Storage (function bodies stay in flash, as on a board).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** Bytes of a file per Storage.write call (base64 in a one-line program). */
const CHUNK = 1536;

/** Runs `code` in the Espruino build from `dir` (Storage persists there between runs). */
export function espruinoOnce(bin: string, dir: string, code: string, timeoutMs = 120_000): string {
  writeFileSync(path.join(dir, 'run.js'), code);
  const r = spawnSync(bin, ['run.js'], { cwd: dir, input: '', timeout: timeoutMs });
  return r.stdout.toString('latin1');
}

/**
 * Writes `data` as Storage file `name`, in chunks. Espruino runs `.boot0`…`.boot3` at every start,
 * even of these one-shot programs, so a boot file is written in one piece (a part of one would
 * run as a syntax error); write it last.
 */
export function storeFile(bin: string, dir: string, name: string, data: Buffer): void {
  const chunk = name.indexOf('.boot') === 0 && name !== '.bootcde' ? data.length : CHUNK;
  for (let off = 0; off < data.length; off += chunk) {
    const part = data.subarray(off, off + chunk).toString('base64');
    const out = espruinoOnce(bin, dir, 'require("Storage").write(' + JSON.stringify(name) + ',atob("' + part + '"),' + off + ',' + data.length + ');');
    if (/Error|OUT OF MEMORY/.test(out)) throw new Error('storing ' + name + ' failed: ' + out.slice(-300));
  }
}
