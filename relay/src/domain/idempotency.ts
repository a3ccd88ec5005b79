/**
 * Idempotency keys (Stripe-style) for requests that make a lock act. The first request
 * with a key claims it and runs; its final answer (success or error) is stored. A retry
 * with the same key and the same request gets the stored answer without running again; the
 * same key with a different request is a 409. A claim left pending by a crashed relay is
 * answered as "timed out, may have run" rather than run a second time.
 *
 * Two ways to claim: `withIdempotency` claims in a write of its own before the request runs;
 * `withIdempotencyClaimedIn` hands the request a claim step to run first in the transaction
 * that stores its command, so the claim costs no write of its own and commits (or rolls back)
 * with the command. A request that fails before its claim committed is answered as if it had
 * claimed first: a key already held gets the stored answer (or the 409), a free key stores
 * the error. Such a request may also keep its final answer in the transaction that makes it
 * final (a refusal with its record, a courier entry's answer with the lock's OPERATION): once
 * that transaction has committed the answer is not stored again, and a retry gets it.
 */
import type { RelayContext } from '../context';
import { claimKey, completeKey, findKey, releaseKey, type Claim } from '../data/idempotency';
import { afterCommit, type Q } from '../data/store';
import { errorBody, relayError, RelayError } from '../errors';
import { sha256Hex } from '../secrets';

export interface StoredResponse {
  status: number;
  body: unknown;
  replayed: boolean;
}

export interface Answer {
  status: number;
  body: unknown;
}

/** Claims the key inside the caller's transaction q; throws when another request holds it. */
export type ClaimStep = (q: Q) => Promise<void>;

/**
 * Stores the request's final answer in the transaction q, which must also make that answer final
 * (and have been opened by store.tx); once q has committed, the request is answered with it and
 * it is not stored again. If q rolls back, nothing is kept and the answer is stored as usual.
 */
export type KeepStep = (q: Q, answer: Answer) => Promise<void>;

/** Thrown by a ClaimStep whose key is held: the transaction rolls back, the key's answer is replayed. */
class KeyHeld extends Error {
  constructor() {
    super('idempotency key held by another request');
  }
}

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  const o = v as Record<string, unknown>;
  return '{' + Object.keys(o).sort().map((k) => JSON.stringify(k) + ':' + canonical(o[k])).join(',') + '}';
}

function claimOf(ctx: RelayContext, principal: string, key: string, route: string, body: unknown): Claim {
  return { principal, key, route, bodyHash: sha256Hex(route + '\n' + canonical(body)), at: ctx.now() };
}

export async function withIdempotency(
  ctx: RelayContext, principal: string, key: string, route: string, body: unknown, run: () => Promise<Answer>
): Promise<StoredResponse> {
  const claim = claimOf(ctx, principal, key, route, body);
  if (!(await ctx.store.write((q) => claimKey(q, claim)))) return replay(ctx, claim);
  return runClaimed(ctx, claim, run);
}

/**
 * As withIdempotency, but `run` must call the claim step first in the transaction that makes
 * the request's effect (before anything of it is written); the request's answer is kept once
 * that transaction has committed. `run` may keep its answer itself (KeepStep) in a transaction
 * after the claim's: the request is then answered with what was kept, whatever run returns or
 * throws afterwards.
 */
export async function withIdempotencyClaimedIn(
  ctx: RelayContext, principal: string, key: string, route: string, body: unknown, run: (claim: ClaimStep, keep: KeepStep) => Promise<Answer>
): Promise<StoredResponse> {
  const claim = claimOf(ctx, principal, key, route, body);
  let committed = false;
  const kept: { answer: Answer | null } = { answer: null };
  const step: ClaimStep = async (q) => {
    if (!(await claimKey(q, claim))) throw new KeyHeld();
    afterCommit(q, () => {
      committed = true;
    });
  };
  const keep: KeepStep = async (q, answer) => {
    await completeKey(q, claim.principal, claim.key, answer.status, JSON.stringify(answer.body));
    afterCommit(q, () => {
      kept.answer = answer;
    });
  };
  let answer: Answer;
  try {
    answer = await run(step, keep);
  } catch (err) {
    if (kept.answer) return { ...kept.answer, replayed: false };
    if (committed) return settleFailure(ctx, claim, err);
    if (err instanceof KeyHeld) return replay(ctx, claim);
    if (!(err instanceof RelayError)) throw err;
    // Refused before anything was kept: stored like any other answer, unless the key is held.
    if (!(await ctx.store.write((q) => claimKey(q, claim)))) return replay(ctx, claim);
    return settleFailure(ctx, claim, err);
  }
  if (!committed) throw new Error('withIdempotencyClaimedIn: the request ran without claiming its key');
  if (kept.answer) return { ...kept.answer, replayed: false };
  await finish(ctx, claim, answer.status, answer.body);
  return { ...answer, replayed: false };
}

/** The key is held: its stored answer, a 409, or for a claim abandoned by a stopped relay, "may have run". */
async function replay(ctx: RelayContext, claim: Claim): Promise<StoredResponse> {
  const row = (await findKey(ctx.store.q, claim.principal, claim.key))!;
  if (row.body_hash !== claim.bodyHash) throw relayError('KW_IDEMPOTENCY_CONFLICT');
  if (row.state === 'done') return { status: row.status_code!, body: JSON.parse(row.response!), replayed: true };
  if (ctx.now() - row.created_at < ctx.opts.entryTimeoutMs * 3) throw relayError('KW_IDEMPOTENCY_IN_PROGRESS');
  // Abandoned by a relay that stopped mid-request: the command may have run.
  const err = relayError('KW_ENTRY_TIMEOUT', { abandoned: true });
  await finish(ctx, claim, err.status, errorBody(err));
  return { status: err.status, body: errorBody(err), replayed: true };
}

async function runClaimed(ctx: RelayContext, claim: Claim, run: () => Promise<Answer>): Promise<StoredResponse> {
  try {
    const res = await run();
    await finish(ctx, claim, res.status, res.body);
    return { ...res, replayed: false };
  } catch (err) {
    return settleFailure(ctx, claim, err);
  }
}

/** A claimed request failed: a relay error is its stored answer; anything else frees the key. */
async function settleFailure(ctx: RelayContext, claim: Claim, err: unknown): Promise<StoredResponse> {
  if (err instanceof RelayError) {
    await finish(ctx, claim, err.status, errorBody(err));
    return { status: err.status, body: errorBody(err), replayed: false };
  }
  if (!ctx.closing) await ctx.store.write((q) => releaseKey(q, claim.principal, claim.key));
  throw err;
}

async function finish(ctx: RelayContext, claim: Claim, status: number, body: unknown): Promise<void> {
  if (ctx.closing && !ctx.store.isOpen()) return;
  const response = JSON.stringify(body);
  await ctx.store.write((q) => completeKey(q, claim.principal, claim.key, status, response));
}
