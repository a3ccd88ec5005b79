/** Sites (owner's own), delivery partners, activity feed and the live SSE stream. */
import type { FastifyInstance } from 'fastify';
import type { RelayContext } from '../../context';
import { listActivity } from '../../domain/activity';
import { withdrawPartner } from '../../domain/partner-withdrawal';
import { addPartner, createSite, listSites, siteForOwner, siteView, updateSite, type SiteInput } from '../../domain/sites';
import { listDevices, deviceView } from '../../domain/devices';
import { relayError } from '../../errors';
import { principal, requireAuth } from '../auth';
import { openSse } from '../sse';
import { bearer, id, idParams, ok } from '../schemas';

const siteProps = {
  name: { type: 'string', minLength: 1, maxLength: 120 },
  address: { type: 'string', maxLength: 300 },
  timezone: { type: 'string', minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Europe/Berlin' },
  allowInHomeDelivery: { type: 'boolean' }
} as const;

export function siteRoutes(app: FastifyInstance, ctx: RelayContext): void {
  const owner = requireAuth(ctx, { kinds: ['owner'] });

  app.post<{ Body: SiteInput & { ownerId?: number } }>('/v1/sites', {
    onRequest: owner,
    schema: {
      tags: ['sites'], summary: 'Create a site (owner; an admin names the ownerId)', security: bearer,
      body: { type: 'object', additionalProperties: false, required: ['name', 'timezone'], properties: { ...siteProps, ownerId: id } },
      response: ok('The site', 201)
    }
  }, async (req, reply) => {
    const p = principal(req);
    const ownerId = p.kind === 'admin' ? req.body.ownerId : p.subjectId;
    if (!ownerId) throw relayError('KW_VALIDATION', { field: 'ownerId' }, 'An admin must name the ownerId.');
    if (p.kind !== 'admin' && req.body.ownerId !== undefined && req.body.ownerId !== p.subjectId) throw relayError('KW_FORBIDDEN');
    reply.code(201);
    return createSite(ctx, ownerId, req.body);
  });

  app.get('/v1/sites', { onRequest: owner, schema: { tags: ['sites'], summary: 'My sites', security: bearer, response: ok('{ items: Site[] }') } },
    async (req) => ({ items: await listSites(ctx, principal(req)) }));

  app.get<{ Params: { id: number } }>('/v1/sites/:id', {
    onRequest: owner, schema: { tags: ['sites'], summary: 'One site with its locks', security: bearer, params: idParams, response: ok('Site') }
  }, async (req) => {
    const p = principal(req);
    const s = await siteForOwner(ctx.store.q, p, req.params.id);
    return { ...(await siteView(ctx.store.q, s)), devices: (await listDevices(ctx, p, s.id)).map(deviceView) };
  });

  app.patch<{ Params: { id: number }; Body: Partial<SiteInput> }>('/v1/sites/:id', {
    onRequest: owner,
    schema: { tags: ['sites'], summary: 'Change a site (name, address, time zone, in-home delivery consent)', security: bearer, params: idParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: siteProps }, response: ok('Site') }
  }, async (req) => updateSite(ctx, principal(req), req.params.id, req.body));

  const partnerParams = { type: 'object', required: ['id', 'backendId'], properties: { id, backendId: id } } as const;
  app.put<{ Params: { id: number; backendId: number } }>('/v1/sites/:id/partners/:backendId', {
    onRequest: owner, schema: { tags: ['sites'], summary: 'Let a delivery backend book deliveries and parcels for this site', security: bearer, params: partnerParams, response: ok('Site') }
  }, async (req) => addPartner(ctx, principal(req), req.params.id, req.params.backendId));

  app.delete<{ Params: { id: number; backendId: number } }>('/v1/sites/:id/partners/:backendId', {
    onRequest: owner, schema: { tags: ['sites'], summary: 'Withdraw a backend from this site: its open deliveries and parcels here are cancelled and their access revoked', security: bearer, params: partnerParams, response: ok('Site') }
  }, async (req) => withdrawPartner(ctx, principal(req), req.params.id, req.params.backendId));

  app.get<{ Params: { id: number }; Querystring: { limit: number; before?: number; kind?: string } }>('/v1/sites/:id/activity', {
    onRequest: owner,
    schema: {
      tags: ['sites'], summary: 'Activity feed, newest first; page with ?before=<nextBefore>', security: bearer, params: idParams,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, before: id, kind: { type: 'string', pattern: '^[a-z.]+\\*?$', maxLength: 40 } }
      },
      response: ok('{ items: Activity[], nextBefore }')
    }
  }, async (req) => {
    const s = await siteForOwner(ctx.store.q, principal(req), req.params.id);
    return await listActivity(ctx, s.id, req.query.limit, req.query.before, req.query.kind);
  });

  app.get<{ Params: { id: number } }>('/v1/sites/:id/stream', {
    onRequest: owner,
    schema: { tags: ['sites'], summary: 'Live SSE stream: activity, lock state, notifications (events: hello, activity, lock, notification)', security: bearer, params: idParams, produces: ['text/event-stream'] }
  }, async (req, reply) => {
    const s = await siteForOwner(ctx.store.q, principal(req), req.params.id);
    openSse(ctx, req, reply, ['site:' + s.id], { siteId: s.id, devices: (await listDevices(ctx, principal(req), s.id)).map(deviceView) });
  });
}
