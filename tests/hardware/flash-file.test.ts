/**
 * The simulated lock's flash file: what a write that returned put there is what the next open
 * reads (killing the process is a power cut), torn journal lines and folds included, and it holds
 * the MQTT password, so it is written owner-only (0600), even over a looser existing file.
 */
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JOURNAL_FOLD_MIN_BYTES, JOURNAL_FOLD_RATIO, journalFile, openFlashFile } from '@keyway/hardware';

const OWNER_ONLY = 0o600;
/** Every byte value, as the firmware's binary-string files hold them. */
const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');

describe('flash file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const fresh = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-flash-'));
    dirs.push(dir);
    return path.join(dir, 'lock-1.json');
  };

  it('is written 0600 and stays 0600 when a 0644 file, a stale .tmp and a 0644 journal existed before', () => {
    const file = fresh();
    writeFileSync(file, '{}', { mode: 0o644 });
    chmodSync(file, 0o644);
    writeFileSync(file + '.tmp', '{}', { mode: 0o644 });
    chmodSync(file + '.tmp', 0o644);
    writeFileSync(journalFile(file), '', { mode: 0o644 });
    chmodSync(journalFile(file), 0o644);
    const storage = openFlashFile(file);
    storage.write('cfg', 'mqtt password inside');
    expect(statSync(file).mode & 0o777).toBe(OWNER_ONLY);
    expect(statSync(journalFile(file)).mode & 0o777).toBe(OWNER_ONLY);
    expect(openFlashFile(file).read('cfg')).toBe('mqtt password inside');
  });

  it('reads back every write and erase in order, binary bytes exact, after reopening', () => {
    const file = fresh();
    const a = openFlashFile(file);
    a.write('kwe0', ALL_BYTES);
    a.write('kwe1', 'one');
    a.write('kwe1', 'two');
    a.write('kwc0', 'gone soon');
    a.erase('kwc0');
    a.erase('never-written');
    const b = openFlashFile(file);
    expect(b.read('kwe0')).toBe(ALL_BYTES);
    expect(b.read('kwe1')).toBe('two');
    expect(b.read('kwc0')).toBeUndefined();
    expect(b.list().sort()).toEqual(['kwe0', 'kwe1']);
  });

  it('loads a flash file written as one JSON snapshot (the format before the journal)', () => {
    const file = fresh();
    writeFileSync(file, JSON.stringify({ cfg: Buffer.from('\u00ff\u0000x', 'latin1').toString('base64') }));
    expect(openFlashFile(file).read('cfg')).toBe('\u00ff\u0000x');
  });

  it('ignores a journal line cut short by a kill mid-append: that write never returned, the ones before it stand', () => {
    const file = fresh();
    const a = openFlashFile(file);
    a.write('cfg', 'first');
    a.write('ack', 'kept');
    appendFileSync(journalFile(file), '["cfg","c2Vjb25');
    const b = openFlashFile(file);
    expect(b.read('cfg')).toBe('first');
    expect(b.read('ack')).toBe('kept');
  });

  it('ignores a journal that belongs to no snapshot or to another one: a deleted snapshot is a reset lock', () => {
    const file = fresh();
    const a = openFlashFile(file);
    a.write('cfg', 'old identity');
    const stale = readFileSync(journalFile(file));
    rmSync(file);
    expect(openFlashFile(file).read('cfg')).toBeUndefined();
    // A journal from an earlier snapshot generation, put back beside a newer snapshot.
    const b = openFlashFile(file);
    b.write('ack', 'new');
    writeFileSync(journalFile(file), stale);
    const c = openFlashFile(file);
    expect(c.read('cfg')).toBeUndefined();
    expect(c.list()).toEqual([]);
  });

  it('a write that returned survives SIGKILL of the writing process', () => {
    const file = fresh();
    const script = `import { JOURNAL_FOLD_MIN_BYTES, JOURNAL_FOLD_RATIO, journalFile, openFlashFile } from '@keyway/hardware';
const s = openFlashFile(${JSON.stringify(file)});
for (let i = 0; i < 50; i++) s.write('kwe' + (i % 8), 'event ' + i);
s.erase('kwe0');
process.kill(process.pid, 'SIGKILL');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: path.resolve(__dirname, '../..'), encoding: 'utf8' });
    expect(r.signal).toBe('SIGKILL');
    const b = openFlashFile(file);
    expect(b.read('kwe0')).toBeUndefined();
    // The last write of file k (i % 8 === k, i < 50).
    for (let k = 1; k < 8; k++) expect(b.read('kwe' + k)).toBe('event ' + (k <= 1 ? 48 + k : 40 + k));
  });

  it('folds a journal grown past its bound into the snapshot and empties it, losing nothing', () => {
    const file = fresh();
    const a = openFlashFile(file);
    const big = 'x'.repeat(4096);
    // Enough journal to pass both bounds several times.
    const writes = Math.ceil((3 * JOURNAL_FOLD_MIN_BYTES * JOURNAL_FOLD_RATIO) / big.length / JOURNAL_FOLD_RATIO) + 10;
    let foldedOnce = false;
    for (let i = 0; i < writes; i++) {
      a.write('f' + (i % 4), big + i);
      if (readFileSync(journalFile(file)).length < 4096) foldedOnce = true;
    }
    expect(foldedOnce).toBe(true);
    expect(readFileSync(journalFile(file)).length).toBeLessThanOrEqual(Math.max(JOURNAL_FOLD_MIN_BYTES, JOURNAL_FOLD_RATIO * readFileSync(file).length) + 8192);
    const b = openFlashFile(file);
    for (let k = 0; k < 4; k++) {
      const last = writes - 1 - ((writes - 1 - k) % 4);
      expect(b.read('f' + k)).toBe(big + last);
    }
  });

  it('a simulated cut keeps what the cut left: the torn file as torn, nothing written after it', () => {
    const file = fresh();
    const a = openFlashFile(file);
    a.write('rec0', 'old record');
    a.cutAt = a.writes + 1;
    a.tear = 'truncated';
    a.tearFraction = 0.5;
    expect(a.write('rec0', '0123456789')).toBe(false);
    expect(a.write('rec1', 'after the cut')).toBe(false);
    const b = openFlashFile(file);
    expect(b.read('rec0')).toBe('01234');
    expect(b.read('rec1')).toBeUndefined();
    expect(existsSync(file + '.tmp')).toBe(false);
  });
});
