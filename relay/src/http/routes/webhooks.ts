/** Backend webhooks and owner/courier notifications. */
import type { FastifyInstance } from 'fastify';
import type { RelayContext } from '../../context';
import { listNotifications } from '../../domain/notifications';
import { createWebhook, deleteWebhook, listWebhooks, WEBHOOK_EVENTS } from '../../domain/webhooks';
import { relayError } from '../../errors';
import { principal, requireAuth } from '../auth';
import { bearer, id, idParams, ok } from '../schemas';

export function webhookRoutes(app: FastifyInstance, ctx: RelayContext): void {
  const backend = requireAuth(ctx, { kinds: ['backend'], scope: 'webhooks:write' });
  const backendId = (p: ReturnType<typeof principal>) => {
    if (p.kind !== 'backend') throw relayError('KW_FORBIDDEN', undefined, 'Webhooks belong to a backend; use a backend token.');
    return p.subjectId!;
  };

  app.post<{ Body: { url: string; events: string[] } }>('/v1/webhooks', {
    onRequest: backend,
    schema: {
      tags: ['webhooks'], summary: 'Register a webhook; the HMAC secret is returned once', security: bearer,
      body: {
        type: 'object', additionalProperties: false, required: ['url', 'events'],
        properties: { url: { type: 'string', minLength: 8, maxLength: 500 }, events: { type: 'array', minItems: 1, maxItems: 20, items: { type: 'string', enum: [...WEBHOOK_EVENTS, '*'] } } }
      },
      response: ok('{ id, url, events, secret }', 201)
    }
  }, async (req, reply) => {
    reply.code(201);
    return await createWebhook(ctx, backendId(principal(req)), req.body.url, req.body.events);
  });

  app.get('/v1/webhooks', { onRequest: backend, schema: { tags: ['webhooks'], summary: 'My webhooks', security: bearer, response: ok('{ items }') } },
    async (req) => ({ items: await listWebhooks(ctx, backendId(principal(req))) }));

  app.delete<{ Params: { id: number } }>('/v1/webhooks/:id', {
    onRequest: backend, schema: { tags: ['webhooks'], summary: 'Delete a webhook (queued deliveries are dropped)', security: bearer, params: idParams, response: ok('Deleted') }
  }, async (req) => {
    await deleteWebhook(ctx, backendId(principal(req)), req.params.id);
    return { deleted: true };
  });

  app.get<{ Querystring: { limit: number; before?: number } }>('/v1/notifications', {
    onRequest: requireAuth(ctx, { kinds: ['owner', 'courier'] }),
    schema: {
      tags: ['notifications'], summary: 'My notifications (receipts, alarms, entries), newest first', security: bearer,
      querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, before: id } },
      response: ok('{ items }')
    }
  }, async (req) => {
    const p = principal(req);
    if (p.kind !== 'owner' && p.kind !== 'courier') return { items: [] };
    return { items: await listNotifications(ctx, p.kind, p.subjectId!, req.query.limit, req.query.before) };
  });
}
