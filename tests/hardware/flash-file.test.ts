/** The simulated lock's flash file holds its MQTT password: it is written owner-only (0600), even over a looser existing file. */
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openFlashFile } from '@keyway/hardware';

const OWNER_ONLY = 0o600;

describe('flash file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('is written 0600 and stays 0600 when a 0644 file and a stale .tmp existed before', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-flash-'));
    dirs.push(dir);
    const file = path.join(dir, 'lock-1.json');
    writeFileSync(file, '{}', { mode: 0o644 });
    chmodSync(file, 0o644);
    writeFileSync(file + '.tmp', '{}', { mode: 0o644 });
    chmodSync(file + '.tmp', 0o644);
    const storage = openFlashFile(file);
    storage.write('cfg', 'mqtt password inside');
    expect(statSync(file).mode & 0o777).toBe(OWNER_ONLY);
    expect(openFlashFile(file).read('cfg')).toBe('mqtt password inside');
  });
});
