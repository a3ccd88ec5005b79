/**
 * `keyway firmware build`: the lock bundle for one board. The board profile and options are
 * injected as constants ahead of the minified ES5 bundle of firmware/src/main.ts, and the
 * first line stamps the build (`KEYWAY_BUILD`: version, board, SHA-256 of everything after
 * that line) so `keyway flash` can prove which build the board is running.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BoardProfile, LockOptions } from '@keyway/firmware';
import { bundleEs5, REPO_ROOT } from './es5-bundle';

export interface FirmwareBuild {
  board: string;
  /** The complete program to store on the board (stamp line + bundle). */
  code: string;
  bytes: number;
  /** SHA-256 (hex) of the bundle after the stamp line; the board reports it as KEYWAY_BUILD.sha256. */
  sha256: string;
  version: string;
  modules: number;
}

export const FIRMWARE_VERSION = '0.1.0';

export async function buildFirmware(board: BoardProfile, options: Partial<LockOptions> = {}, minify = true): Promise<FirmwareBuild> {
  const opts = { firmwareVersion: FIRMWARE_VERSION, ...options };
  const banner = 'var KEYWAY_BOARD=' + JSON.stringify(board) + ',KEYWAY_OPTIONS=' + JSON.stringify(opts) + ';';
  const b = await bundleEs5({ entry: 'firmware/src/main.ts', banner, minify });
  const sha256 = createHash('sha256').update(b.code).digest('hex');
  const stamp = 'var KEYWAY_BUILD=' + JSON.stringify({ version: opts.firmwareVersion, board: board.id, sha256 }) + ';\n';
  const code = stamp + b.code;
  return { board: board.id, code, bytes: Buffer.byteLength(code), version: opts.firmwareVersion, sha256, modules: b.modules.length };
}

/** Checks a stamped program: returns its stamp when the bundle after the stamp line matches it. */
export function readStamp(code: string): { version: string; board: string; sha256: string } | null {
  const nl = code.indexOf('\n');
  const m = /^var KEYWAY_BUILD=(\{.*\});$/.exec(code.slice(0, nl));
  if (!m) return null;
  const stamp = JSON.parse(m[1]) as { version: string; board: string; sha256: string };
  return createHash('sha256').update(code.slice(nl + 1)).digest('hex') === stamp.sha256 ? stamp : null;
}

export function writeFirmware(build: FirmwareBuild, outDir = path.join(REPO_ROOT, 'dist', 'firmware')): string {
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'keyway-' + build.board + '.js');
  writeFileSync(file, build.code);
  writeFileSync(file.replace(/\.js$/, '.json'), JSON.stringify({ board: build.board, bytes: build.bytes, sha256: build.sha256, version: build.version }, null, 2) + '\n');
  return file;
}
