/** docs/relay-api.md lists exactly the codes of relay/src/errors.ts, with the same status, mayHaveRun and message. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS, errorBody, relayError } from '@keyway/relay';

const doc = readFileSync(path.join(__dirname, '../../docs/relay-api.md'), 'utf8');

function documented(): Map<string, { status: number; mayHaveRun: string; message: string }> {
  const block = doc.split('<!-- registry:errors -->')[1]?.split('<!-- /registry:errors -->')[0] ?? '';
  const rows = new Map<string, { status: number; mayHaveRun: string; message: string }>();
  for (const line of block.split('\n')) {
    const m = /^\| `(KW_[A-Z_]+)` \| (\d{3}) \| (true|false|—) \| (.+) \|$/.exec(line.trim());
    if (m) rows.set(m[1], { status: Number(m[2]), mayHaveRun: m[3], message: m[4] });
  }
  return rows;
}

describe('error registry and its documentation', () => {
  it('documents every code exactly as registered, and nothing else', () => {
    const rows = documented();
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERRORS).sort());
    for (const [code, info] of Object.entries(ERRORS)) {
      const row = rows.get(code)!;
      expect(row.status, code).toBe(info.status);
      expect(row.message, code).toBe(info.message);
      expect(row.mayHaveRun, code).toBe('mayHaveRun' in info ? String(info.mayHaveRun) : '—');
    }
  });

  it('uses stable KW_ codes with error statuses and the documented body shape', () => {
    for (const [code, info] of Object.entries(ERRORS)) {
      expect(code).toMatch(/^KW_[A-Z_]+$/);
      expect(info.status).toBeGreaterThanOrEqual(400);
    }
    expect(errorBody(relayError('KW_ENTRY_TIMEOUT', { method: 'reveal' }))).toEqual({
      error: { code: 'KW_ENTRY_TIMEOUT', message: ERRORS.KW_ENTRY_TIMEOUT.message, details: { method: 'reveal' }, mayHaveRun: true }
    });
    expect(errorBody(relayError('KW_NOT_FOUND')).error).not.toHaveProperty('mayHaveRun');
  });
});
