/** Liveness and Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import type { RelayContext } from '../../context';
import type { HttpDeps } from '../app';

export function healthRoutes(app: FastifyInstance, ctx: RelayContext, deps: HttpDeps): void {
  app.get('/healthz', {
    schema: {
      tags: ['operations'], summary: 'Liveness: database reachable, broker up',
      response: { 200: { type: 'object', properties: { status: { type: 'string' }, relayId: { type: 'string' }, connectedLocks: { type: 'integer' }, time: { type: 'string' } } } }
    }
  }, async () => {
    ctx.db.prepare('SELECT 1').get();
    return { status: 'ok', relayId: ctx.opts.relayId, connectedLocks: deps.connectedLocks(), time: new Date(ctx.now()).toISOString() };
  });

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics (text exposition format)', produces: ['text/plain'] } }, async (_req, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}
