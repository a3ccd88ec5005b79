/**
 * Waiting on a running stack (the demo, the relay and end-to-end tests): calls `fn` every
 * `intervalMs` until it returns something truthy, and returns that.
 */
export async function pollUntil<T>(what: string, fn: () => T | Promise<T>, timeoutMs: number, intervalMs = 100): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
