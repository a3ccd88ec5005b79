import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { scaled } from './tests/support/time-scale.js';

/**
 * The relay test files that run a relay through the harness, whose store KEYWAY_TEST_STORE
 * chooses (tests/support/test-store.ts). The data-layer suites need no second run: they
 * already run on both stores themselves (tests/support/stores.ts), and the pure ones touch none.
 * Chosen by what a file imports, so a new relay test joins the PostgreSQL run by itself.
 */
function storeDependentRelayTests(): string[] {
  const files = readdirSync('tests/relay', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join('tests/relay', f));
  const uses = (f: string, module: string) => new RegExp("from '\\.\\./(\\.\\./)?support/" + module + "'").test(readFileSync(f, 'utf8'));
  // A file that starts its own PostgreSQL (support/postgres) has chosen its store already.
  return files.filter((f) => (uses(f, 'relay-harness') || uses(f, 'test-store')) && !uses(f, 'postgres')).sort();
}

export default defineConfig({
  test: {
    // Stretched on slow or loaded hosts (KEYWAY_TEST_TIME_SCALE; 3 under CI): budgets catch hangs.
    testTimeout: scaled(30_000),
    hookTimeout: scaled(60_000),
    pool: 'forks',
    // Integration suites bind loopback ports and spawn processes; keep parallelism modest.
    maxWorkers: process.env.CI ? 2 : 3,
    reporters: ['default'],
    // One shared relay suite, two stores: everything on SQLite, and the relay suite again on a
    // throwaway PostgreSQL cluster per test file (`npm run test:relay:postgres` runs only that).
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['tests/**/*.test.ts'], env: { KEYWAY_TEST_STORE: 'sqlite' } } },
      { extends: true, test: { name: 'postgres', include: storeDependentRelayTests(), env: { KEYWAY_TEST_STORE: 'postgres' } } }
    ]
  }
});
