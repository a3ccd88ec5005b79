import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { REASONS, ALARMS } from '@keyway/shared';
import { DOC_PATH, checkProtocolDocs } from '../../../scripts/protocol-docs';

describe('docs/protocol.md', () => {
  it('matches the layouts, vectors and code registry the code produces (run `npx tsx scripts/protocol-docs.ts` to refresh)', () => {
    const r = checkProtocolDocs();
    expect(r.docOk).toBe(true);
    expect(r.vectorsOk).toBe(true);
  });
  it('names every reason and alarm code', () => {
    const doc = readFileSync(DOC_PATH, 'utf8');
    for (const c of [...REASONS, ...ALARMS]) expect(doc).toContain('`' + c.name + '`');
  });
  it('registry codes are unique', () => {
    expect(new Set(REASONS.map((r) => r.code)).size).toBe(REASONS.length);
    expect(new Set(ALARMS.map((r) => r.code)).size).toBe(ALARMS.length);
  });
});
