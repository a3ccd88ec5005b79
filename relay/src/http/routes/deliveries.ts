/** Couriers and deliveries: booking, reading, cancel/block/unblock, courier entry (idempotent), and the delivery SSE stream. */
import type { FastifyInstance } from 'fastify';
import type { RelayContext } from '../../context';
import { createCourier, listCouriers } from '../../domain/accounts';
import {
  blockDelivery, bookDelivery, cancelDelivery, DELIVERY_STATUSES, deliveryFor, deliveryView, listDeliveries, unblockDelivery, type BookInput
} from '../../domain/deliveries';
import { courierEntry, traceEntryStep } from '../../domain/entry';
import { receiptBundle } from '../../locks/receipt-intake';
import { withIdempotencyClaimedIn } from '../../domain/idempotency';
import { principalKey } from '../../domain/principals';
import { relayError } from '../../errors';
import { principal, requireAuth } from '../auth';
import { openSse } from '../sse';
import { bearer, deviceId, emptyBody, id, idempotencyHeaders, idParams, ok, window } from '../schemas';

export function deliveryRoutes(app: FastifyInstance, ctx: RelayContext): void {
  app.post<{ Body: { name: string } }>('/v1/couriers', {
    onRequest: requireAuth(ctx, { kinds: ['backend'], scope: 'couriers:write' }),
    schema: {
      tags: ['deliveries'], summary: 'Create a courier of this backend and its token (shown once)', security: bearer,
      body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 120 } } },
      response: ok('Courier with token', 201)
    }
  }, async (req, reply) => {
    const p = principal(req);
    if (p.kind !== 'backend') throw relayError('KW_FORBIDDEN', undefined, 'Couriers belong to a backend; use a backend token.');
    reply.code(201);
    return createCourier(ctx, p.subjectId!, req.body.name);
  });

  app.get('/v1/couriers', {
    onRequest: requireAuth(ctx, { kinds: ['backend'], scope: ['couriers:write', 'deliveries:write', 'deliveries:read'] }),
    schema: { tags: ['deliveries'], summary: "This backend's couriers", security: bearer, response: ok('{ items }') }
  }, async (req) => {
    const p = principal(req);
    return { items: p.kind === 'backend' ? await listCouriers(ctx, p.subjectId!) : [] };
  });

  app.post<{ Body: BookInput }>('/v1/deliveries', {
    onRequest: requireAuth(ctx, { kinds: ['backend'], scope: 'deliveries:write' }),
    schema: {
      tags: ['deliveries'], summary: 'Book a delivery for a partner site; with inHome (and the site consenting) a courier grant is staged on the lock', security: bearer,
      body: {
        type: 'object', additionalProperties: false, required: ['siteId', 'trackingNumber', 'courierId', 'window', 'inHome'],
        properties: { siteId: id, trackingNumber: { type: 'string', minLength: 1, maxLength: 64 }, courierId: id, window, inHome: { type: 'boolean' }, deviceId }
      },
      response: ok('Delivery', 201)
    }
  }, async (req, reply) => {
    reply.code(201);
    return await bookDelivery(ctx, principal(req), req.body);
  });

  app.get<{ Querystring: { siteId?: number; status?: string; limit: number } }>('/v1/deliveries', {
    onRequest: requireAuth(ctx, { kinds: ['courier', 'owner', 'backend'], scope: ['deliveries:read', 'deliveries:write'] }),
    schema: {
      tags: ['deliveries'], summary: 'Deliveries I may see: a courier its own, a backend its own, an owner those to its sites', security: bearer,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { siteId: id, status: { type: 'string', enum: [...DELIVERY_STATUSES] }, limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } }
      },
      response: ok('{ items: Delivery[] }')
    }
  }, async (req) => ({ items: await listDeliveries(ctx, principal(req), req.query) }));

  app.get<{ Params: { id: number } }>('/v1/deliveries/:id', {
    onRequest: requireAuth(ctx, { kinds: ['courier', 'owner', 'backend'], scope: ['deliveries:read', 'deliveries:write', 'entry:request'] }),
    schema: { tags: ['deliveries'], summary: 'One delivery, with entry, secured receipt and alarms', security: bearer, params: idParams, response: ok('Delivery') }
  }, async (req) => deliveryView(ctx, ctx.store.q, await deliveryFor(ctx, ctx.store.q, principal(req), req.params.id)));

  app.get<{ Params: { id: number } }>('/v1/deliveries/:id/signed-receipt', {
    onRequest: requireAuth(ctx, { kinds: ['courier', 'owner', 'backend'], scope: ['deliveries:read', 'deliveries:write', 'entry:request'] }),
    schema: {
      tags: ['deliveries'], summary: 'The receipt the lock signed for this delivery, with the lock key and the events it names (the file keyway verify-receipt checks)',
      security: bearer, params: idParams, response: ok('{ receipt, lockKey, events }')
    }
  }, async (req) => {
    const d = await deliveryFor(ctx, ctx.store.q, principal(req), req.params.id);
    const bundle = await receiptBundle(ctx, d.id);
    if (!bundle) throw relayError('KW_NOT_FOUND', undefined, 'The lock has not sent a signed receipt for this delivery (yet).');
    return bundle;
  });

  app.post<{ Params: { id: number } }>('/v1/deliveries/:id/cancel', {
    onRequest: requireAuth(ctx, { kinds: ['owner', 'backend'], scope: 'deliveries:write' }),
    schema: { tags: ['deliveries'], summary: 'Cancel a delivery (revokes its staged grant)', security: bearer, params: idParams, body: emptyBody, response: ok('Delivery') }
  }, async (req) => cancelDelivery(ctx, principal(req), req.params.id));

  app.post<{ Params: { id: number }; Body: { reason?: string } }>('/v1/deliveries/:id/block', {
    onRequest: requireAuth(ctx, { kinds: ['owner'] }),
    schema: {
      tags: ['deliveries'], summary: 'Owner blocks in-home entry for this delivery (revokes its staged grant)', security: bearer, params: idParams,
      body: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: 200 } } }, response: ok('Delivery')
    }
  }, async (req) => blockDelivery(ctx, principal(req), req.params.id, req.body?.reason));

  app.post<{ Params: { id: number } }>('/v1/deliveries/:id/unblock', {
    onRequest: requireAuth(ctx, { kinds: ['owner'] }),
    schema: { tags: ['deliveries'], summary: 'Owner lifts a block (stages a fresh courier grant)', security: bearer, params: idParams, body: emptyBody, response: ok('Delivery') }
  }, async (req) => unblockDelivery(ctx, principal(req), req.params.id));

  app.post<{ Params: { id: number }; Headers: { 'idempotency-key'?: string } }>('/v1/deliveries/:id/entry', {
    onRequest: requireAuth(ctx, { kinds: ['courier', 'backend'], scope: 'entry:request' }),
    schema: {
      tags: ['deliveries'],
      summary: 'Courier asks to enter: checks courier, window, consent, block, lock online and camera; reveals the staged grant or signs a 60 s UNLOCK; waits for the lock. Requires Idempotency-Key.',
      security: bearer, params: idParams, headers: idempotencyHeaders(false), body: emptyBody, response: ok('{ outcome: "opened", method, eventSeq, clip, delivery }')
    }
  }, async (req, reply) => {
    const p = principal(req);
    const key = req.headers['idempotency-key'];
    if (!key) throw relayError('KW_IDEMPOTENCY_KEY_REQUIRED');
    traceEntryStep(ctx, 'received', req.params.id);
    const res = await withIdempotencyClaimedIn(ctx, principalKey(p), key, 'entry:' + req.params.id, req.body ?? {}, (claim, keep) => courierEntry(ctx, p, req.params.id, claim, keep));
    traceEntryStep(ctx, 'stored', req.params.id);
    if (res.replayed) reply.header('idempotency-replayed', 'true');
    reply.code(res.status);
    return res.body;
  });

  app.get<{ Params: { id: number } }>('/v1/deliveries/:id/stream', {
    onRequest: requireAuth(ctx, { kinds: ['courier', 'owner', 'backend'], scope: ['deliveries:read', 'deliveries:write'] }),
    schema: { tags: ['deliveries'], summary: 'Live SSE stream of one delivery (entered, secured receipt, alarms, notifications)', security: bearer, params: idParams, produces: ['text/event-stream'] }
  }, async (req, reply) => {
    const d = await deliveryFor(ctx, ctx.store.q, principal(req), req.params.id);
    openSse(ctx, req, reply, ['delivery:' + d.id], { delivery: await deliveryView(ctx, ctx.store.q, d) });
  });
}
