import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Integration suites bind loopback ports and spawn processes; keep parallelism modest.
    maxWorkers: process.env.CI ? 2 : 3,
    reporters: process.env.CI ? ['default'] : ['default']
  }
});
