/**
 * The repository stands alone (docs/conventions.md#wire-formats): no comment or document cites
 * a document outside it, and every reference into docs/ names a file and heading that exist.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const SOURCES = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n').filter((f) => /\.(ts|mts|mjs|js|md|json|html)$/.test(f) && !f.startsWith('node_modules/') && f !== 'package-lock.json' && existsSync(path.join(ROOT, f)));

/** GitHub-style heading anchors of a Markdown file. */
function anchors(file: string): Set<string> {
  const out = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (m) out.add(m[1].trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return out;
}

describe('docs stand alone', () => {
  it('cites no outside document (the product spec, the style guide, issue numbers)', () => {
    const outside = /\bSPEC\b|\bSTYLE\s+rules?\b|\bissues? #?\d+\b/;
    const hits = SOURCES.filter((f) => f !== 'tests/docs/stand-alone.test.ts')
      .flatMap((f) => readFileSync(path.join(ROOT, f), 'utf8').split('\n').map((l, i) => [f + ':' + (i + 1), l] as const))
      .filter(([, l]) => outside.test(l)).map(([where, l]) => where + ' ' + l.trim());
    expect(hits).toEqual([]);
  });

  it('every docs/<file>.md#<anchor> reference in code and every relative Markdown link resolves', () => {
    const broken: string[] = [];
    const check = (from: string, target: string, anchor: string | undefined) => {
      if (!existsSync(target)) broken.push(from + ' → ' + path.relative(ROOT, target));
      else if (anchor && target.endsWith('.md') && !anchors(target).has(anchor)) broken.push(from + ' → ' + path.relative(ROOT, target) + '#' + anchor);
    };
    for (const f of SOURCES) {
      const text = readFileSync(path.join(ROOT, f), 'utf8');
      if (f.endsWith('.md')) {
        for (const m of text.matchAll(/\]\(([^)\s#]+\.md)(?:#([^)\s]+))?\)/g)) {
          if (/^[a-z]+:/.test(m[1])) continue;
          check(f, path.resolve(ROOT, path.dirname(f), m[1]), m[2]);
        }
      } else {
        for (const m of text.matchAll(/\bdocs\/([a-z0-9-]+\.md)(?:#([a-z0-9-]+))?/g)) check(f, path.join(ROOT, 'docs', m[1]), m[2]);
      }
    }
    expect(broken).toEqual([]);
  });
});
