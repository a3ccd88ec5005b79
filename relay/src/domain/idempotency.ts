/**
 * Idempotency keys (Stripe-style) for requests that make a lock act. The first request
 * with a key claims it and runs; its final answer (success or error) is stored. A retry
 * with the same key and the same request gets the stored answer without running again; the
 * same key with a different request is a 409. A claim left pending by a crashed relay is
 * answered as "timed out, may have run" rather than run a second time.
 */
import type { RelayContext } from '../context';
import { errorBody, relayError, RelayError } from '../errors';
import { sha256Hex } from '../secrets';

export interface StoredResponse {
  status: number;
  body: unknown;
  replayed: boolean;
}

interface Row {
  route: string;
  body_hash: string;
  state: 'pending' | 'done';
  status_code: number | null;
  response: string | null;
  created_at: number;
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
  const claimed = ctx.db.prepare("INSERT OR IGNORE INTO idempotency (principal, key, route, body_hash, state, created_at) VALUES (?, ?, ?, ?, 'pending', ?)")
    .run(principal, key, route, hash, ctx.now()).changes === 1;
  if (!claimed) {
    const row = ctx.db.prepare('SELECT * FROM idempotency WHERE principal = ? AND key = ?').get(principal, key) as Row;
    if (row.body_hash !== hash) throw relayError('KW_IDEMPOTENCY_CONFLICT');
    if (row.state === 'done') return { status: row.status_code!, body: JSON.parse(row.response!), replayed: true };
    if (ctx.now() - row.created_at < ctx.opts.entryTimeoutMs * 3) throw relayError('KW_IDEMPOTENCY_IN_PROGRESS');
    // Abandoned by a relay that stopped mid-request: the command may have run.
    const err = relayError('KW_ENTRY_TIMEOUT', { abandoned: true });
    finish(ctx, principal, key, err.status, errorBody(err));
    return { status: err.status, body: errorBody(err), replayed: true };
  }
  try {
    const res = await run();
    finish(ctx, principal, key, res.status, res.body);
    return { ...res, replayed: false };
  } catch (err) {
    if (err instanceof RelayError) {
      finish(ctx, principal, key, err.status, errorBody(err));
      return { status: err.status, body: errorBody(err), replayed: false };
    }
    if (!ctx.closing) ctx.db.prepare('DELETE FROM idempotency WHERE principal = ? AND key = ?').run(principal, key);
    throw err;
  }
}

function finish(ctx: RelayContext, principal: string, key: string, status: number, body: unknown): void {
  if (ctx.closing && !ctx.db.open) return;
  ctx.db.prepare("UPDATE idempotency SET state = 'done', status_code = ?, response = ? WHERE principal = ? AND key = ?").run(status, JSON.stringify(body), principal, key);
}
