/**
 * The shipped bundle keeps Espruino's "ram" directive on the SHA-512 block function: Espruino
 * copies such a function into RAM, pretokenised, even when the bundle runs from Storage
 * (docs/firmware.md, "What must be durable before the bolt moves"). A minifier that dropped the
 * directive would silently make the at-door hash several times slower from emulated flash.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildFirmware } from '../../tools/src/firmware/build';
import { ROOT } from '../support/processes';

describe('ES5 bundle', () => {
  it('keeps the "ram" directive as the first statement of exactly the functions that carry it', async () => {
    const board = JSON.parse(readFileSync(path.join(ROOT, 'tests/fixtures/espruino-linux-board.json'), 'utf8'));
    const fw = await buildFirmware(board);
    const heads = fw.code.match(/function [\w$]*\([\w$,]*\)\{"ram";/g) ?? [];
    expect(heads).toHaveLength(1);
    expect(fw.code.split('"ram"').length - 1).toBe(1);
  }, 60_000);
});
