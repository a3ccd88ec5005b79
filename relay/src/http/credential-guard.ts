/**
 * Rate limits on the routes that check a secret a caller supplies (owner login, token →
 * cookie exchange): failed attempts are limited per client address and, for logins, per
 * account. Over the limit the route answers 429 `KW_RATE_LIMITED` with a Retry-After header
 * before doing any work. Limits come from options.authLimits (docs/relay.md).
 */
import type { FastifyReply } from 'fastify';
import { relayError } from '../errors';
import type { ResolvedOptions } from '../options';
import { AttemptLimiter } from './attempt-limiter';

export interface CredentialGuard {
  /**
   * Runs `check` (which throws on wrong credentials) after charging an attempt to each key;
   * a success refunds the charges.
   */
  attempt<T>(reply: FastifyReply, keys: { address: string; account?: string }, check: () => Promise<T> | T): Promise<T>;
}

export function createCredentialGuard(opts: ResolvedOptions, now: () => number): CredentialGuard {
  const { windowMs, perAddress, perAccount } = opts.authLimits;
  const byAddress = new AttemptLimiter({ max: perAddress, windowMs }, now);
  const byAccount = new AttemptLimiter({ max: perAccount, windowMs }, now);
  return {
    async attempt(reply, keys, check) {
      const account = keys.account?.trim().toLowerCase();
      const wait = Math.max(byAddress.retryAfterS(keys.address), account === undefined ? 0 : byAccount.retryAfterS(account));
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw relayError('KW_RATE_LIMITED', { retryAfterS: wait });
      }
      byAddress.charge(keys.address);
      if (account !== undefined) byAccount.charge(account);
      const result = await check();
      byAddress.refund(keys.address);
      if (account !== undefined) byAccount.refund(account);
      return result;
    }
  };
}
