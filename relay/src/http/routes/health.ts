/**
 * Liveness and Prometheus metrics. /metrics reveals when doors open, so it needs a bearer
 * token: options.metricsToken (for a scraper) or the admin token (docs/relay.md "Metrics").
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RelayContext } from '../../context';
import { pingDatabase } from '../../data/devices';
import type { HttpDeps } from '../app';
import { credentialOf, requireAuth } from '../auth';
import { bearer } from '../schemas';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function metricsAuth(ctx: RelayContext) {
  const adminOnly = requireAuth(ctx, { kinds: [] });
  return async function auth(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const token = credentialOf(req);
    const scraper = ctx.opts.metricsToken;
    if (scraper !== undefined && token && sameSecret(token, scraper)) return;
    await adminOnly(req, reply);
  };
}

export function healthRoutes(app: FastifyInstance, ctx: RelayContext, deps: HttpDeps): void {
  app.get('/healthz', {
    schema: {
      tags: ['operations'], summary: 'Liveness: database reachable, broker up',
      response: { 200: { type: 'object', properties: { status: { type: 'string' }, relayId: { type: 'string' }, connectedLocks: { type: 'integer' }, time: { type: 'string' } } } }
    }
  }, async () => {
    await pingDatabase(ctx.store.q);
    return { status: 'ok', relayId: ctx.opts.relayId, connectedLocks: deps.connectedLocks(), time: new Date(ctx.now()).toISOString() };
  });

  app.get('/metrics', {
    onRequest: metricsAuth(ctx),
    schema: { tags: ['operations'], summary: 'Prometheus metrics (text exposition format); bearer metricsToken or the admin token', security: bearer, produces: ['text/plain'] }
  }, async (_req, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}
