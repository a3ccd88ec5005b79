import { defineConfig } from 'vitest/config';
import { scaled } from './tests/support/time-scale.js';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Stretched on slow or loaded hosts (KEYWAY_TEST_TIME_SCALE; 3 under CI): budgets catch hangs.
    testTimeout: scaled(30_000),
    hookTimeout: scaled(60_000),
    pool: 'forks',
    // Integration suites bind loopback ports and spawn processes; keep parallelism modest.
    maxWorkers: process.env.CI ? 2 : 3,
    reporters: process.env.CI ? ['default'] : ['default']
  }
});
