/**
 * Test time budgets that stretch on a slow or loaded host. `KEYWAY_TEST_TIME_SCALE` (a number
 * ≥ 1) multiplies every budget passed through `scaled`; under CI (`CI` set) the default is 3,
 * elsewhere 1. Budgets are upper bounds for "this hangs", never measurements.
 */
const CI_DEFAULT_SCALE = 3;

function readScale(): number {
  const raw = process.env.KEYWAY_TEST_TIME_SCALE;
  const n = raw === undefined || raw === '' ? NaN : Number(raw);
  if (Number.isFinite(n) && n >= 1) return n;
  return process.env.CI ? CI_DEFAULT_SCALE : 1;
}

export const TIME_SCALE = readScale();

/** `ms` stretched by the host's time scale. */
export function scaled(ms: number): number {
  return Math.round(ms * TIME_SCALE);
}

/**
 * How many cases a heavy randomized or property test runs: `full` on a developer machine, a
 * fifth under CI (a shared, loaded host), all of them again with KEYWAY_TEST_FULL=1.
 */
export function heavyRuns(full: number): number {
  if (process.env.KEYWAY_TEST_FULL === '1' || !process.env.CI) return full;
  return Math.max(1, Math.round(full / 5));
}
