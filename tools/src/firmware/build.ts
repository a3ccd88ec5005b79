/**
 * `keyway firmware build`: the lock bundle for one board. The board profile and options are
 * injected as constants ahead of the minified ES5 bundle of firmware/src/main.ts; the
 * result is what `keyway flash` writes into Storage and runs at boot.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BoardProfile, LockOptions } from '@keyway/firmware';
import { bundleEs5, REPO_ROOT } from './es5-bundle';

export interface FirmwareBuild {
  board: string;
  code: string;
  bytes: number;
  /** SHA-256 of the code: what `keyway flash` reads back from the board to prove what it runs. */
  sha256: string;
  version: string;
  modules: number;
}

export const FIRMWARE_VERSION = '0.1.0';

export async function buildFirmware(board: BoardProfile, options: Partial<LockOptions> = {}, minify = true): Promise<FirmwareBuild> {
  const opts = { firmwareVersion: FIRMWARE_VERSION, ...options };
  const banner = 'var KEYWAY_BOARD=' + JSON.stringify(board) + ';var KEYWAY_OPTIONS=' + JSON.stringify(opts) + ';';
  const b = await bundleEs5({ entry: 'firmware/src/main.ts', banner, minify });
  return {
    board: board.id, code: b.code, bytes: b.bytes, version: opts.firmwareVersion,
    sha256: createHash('sha256').update(b.code).digest('hex'), modules: b.modules.length
  };
}

export function writeFirmware(build: FirmwareBuild, outDir = path.join(REPO_ROOT, 'dist', 'firmware')): string {
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'keyway-' + build.board + '.js');
  writeFileSync(file, build.code);
  writeFileSync(file + '.json', JSON.stringify({ board: build.board, bytes: build.bytes, sha256: build.sha256, version: build.version }, null, 2) + '\n');
  return file;
}
