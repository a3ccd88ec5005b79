/**
 * Idempotency keys (Stripe-style) for requests that make a lock act. The first request
 * with a key claims it and runs; its final answer (success or error) is stored. A retry
 * with the same key and the same request gets the stored answer without running again; the
 * same key with a different request is a 409. A claim left pending by a crashed relay is
 * answered as "timed out, may have run" rather than run a second time.
 */
import type { RelayContext } from '../context';
import { claimKey, completeKey, findKey, releaseKey } from '../data/idempotency';
import { errorBody, relayError, RelayError } from '../errors';
import { sha256Hex } from '../secrets';

export interface StoredResponse {
  status: number;
  body: unknown;
  replayed: boolean;
}

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  const o = v as Record<string, unknown>;
  return '{' + Object.keys(o).sort().map((k) => JSON.stringify(k) + ':' + canonical(o[k])).join(',') + '}';
}

export async function withIdempotency(
  ctx: RelayContext, principal: string, key: string, route: string, body: unknown, run: () => Promise<{ status: number; body: unknown }>
): Promise<StoredResponse> {
  const hash = sha256Hex(route + '\n' + canonical(body));
  const claim = { principal, key, route, bodyHash: hash, at: ctx.now() };
  if (!(await ctx.store.write((q) => claimKey(q, claim)))) {
    const row = (await findKey(ctx.store.q, principal, key))!;
    if (row.body_hash !== hash) throw relayError('KW_IDEMPOTENCY_CONFLICT');
    if (row.state === 'done') return { status: row.status_code!, body: JSON.parse(row.response!), replayed: true };
    if (ctx.now() - row.created_at < ctx.opts.entryTimeoutMs * 3) throw relayError('KW_IDEMPOTENCY_IN_PROGRESS');
    // Abandoned by a relay that stopped mid-request: the command may have run.
    const err = relayError('KW_ENTRY_TIMEOUT', { abandoned: true });
    await finish(ctx, principal, key, err.status, errorBody(err));
    return { status: err.status, body: errorBody(err), replayed: true };
  }
  try {
    const res = await run();
    await finish(ctx, principal, key, res.status, res.body);
    return { ...res, replayed: false };
  } catch (err) {
    if (err instanceof RelayError) {
      await finish(ctx, principal, key, err.status, errorBody(err));
      return { status: err.status, body: errorBody(err), replayed: false };
    }
    if (!ctx.closing) await ctx.store.write((q) => releaseKey(q, principal, key));
    throw err;
  }
}

async function finish(ctx: RelayContext, principal: string, key: string, status: number, body: unknown): Promise<void> {
  if (ctx.closing && !ctx.store.isOpen()) return;
  const response = JSON.stringify(body);
  await ctx.store.write((q) => completeKey(q, principal, key, status, response));
}
