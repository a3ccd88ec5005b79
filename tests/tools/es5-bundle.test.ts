/**
 * The shipped bundle keeps Espruino's "ram" directive on the functions that carry it (the SHA-512
 * block, the byte codecs, the constant-time compare): Espruino
 * copies such a function into RAM, pretokenised, even when the bundle runs from Storage
 * (docs/firmware.md, "What must be durable before the bolt moves"). A minifier that dropped the
 * directive would silently make the at-door hash several times slower from emulated flash.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildFirmware } from '../../tools/src/firmware/build';
import { ROOT } from '../support/processes';
import { scaled } from '../support/time-scale';

describe('ES5 bundle', () => {
  it('keeps the "ram" directive as the first statement of exactly the functions that carry it', async () => {
    const board = JSON.parse(readFileSync(path.join(ROOT, 'tests/fixtures/espruino-linux-board.json'), 'utf8'));
    const fw = await buildFirmware(board);
    // The same bundle unminified: its directives are the ones the source carries.
    const plain = await buildFirmware(board, {}, false);
    const marked = plain.code.split(/["']ram["'];/).length - 1;
    // Declared functions or prototype methods, never a copy inlined into a caller: Terser turns a
    // single-use function into a function expression at its call site, which Espruino would build
    // again (a RAM copy of its tokens) on every call.
    const heads = fw.code.match(/(?:function [\w$]+|prototype\.[\w$]+=function ?)\([\w$,\s]*\)\s*\{\s*"ram"\s*;/g) ?? [];
    expect(marked).toBeGreaterThanOrEqual(20);
    expect(heads).toHaveLength(marked);
    expect(fw.code.split('"ram"').length - 1).toBe(marked);
  }, scaled(60_000));
});
