/** A delivery backend's view of its partner sites and their lock ids (needed to book on a multi-door site). */
import type { FastifyInstance } from 'fastify';
import type { RelayContext } from '../../context';
import { getPartnerSite, listPartnerSites } from '../../domain/partner-sites';
import { principal, requireAuth } from '../auth';
import { bearer, idParams, ok } from '../schemas';

export function partnerSiteRoutes(app: FastifyInstance, ctx: RelayContext): void {
  const backend = requireAuth(ctx, { kinds: ['backend'], scope: ['deliveries:write', 'deliveries:read', 'parcels:write'] });

  app.get('/v1/partner-sites', {
    onRequest: backend,
    schema: { tags: ['deliveries'], summary: 'Sites whose owners made this backend a partner, with their locks (deviceId, name, profile, online)', security: bearer, response: ok('{ items: PartnerSite[] }') }
  }, async (req) => ({ items: await listPartnerSites(ctx, principal(req)) }));

  app.get<{ Params: { id: number } }>('/v1/partner-sites/:id', {
    onRequest: backend,
    schema: { tags: ['deliveries'], summary: 'One partner site with its locks; 404 unless this backend is its partner', security: bearer, params: idParams, response: ok('PartnerSite') }
  }, async (req) => getPartnerSite(ctx, principal(req), req.params.id));
}
