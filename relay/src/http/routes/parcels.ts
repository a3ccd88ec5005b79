/** Parcel registrations for parcel boxes. */
import type { FastifyInstance } from 'fastify';
import type { RelayContext } from '../../context';
import { cancelParcel, getParcelView, registerParcel, type ParcelInput } from '../../domain/parcels';
import { principal, requireAuth } from '../auth';
import { bearer, deviceId, id, idParams, ok, window } from '../schemas';

export function parcelRoutes(app: FastifyInstance, ctx: RelayContext): void {
  const who = requireAuth(ctx, { kinds: ['owner', 'backend'], scope: 'parcels:write' });

  app.post<{ Body: ParcelInput }>('/v1/parcels', {
    onRequest: who,
    schema: {
      tags: ['parcels'], summary: "Register a tracking number for a site's parcel box: staged as a one-use barcode grant (only its hash reaches the box)", security: bearer,
      body: {
        type: 'object', additionalProperties: false, required: ['siteId', 'trackingNumber', 'window'],
        properties: { siteId: id, deviceId, trackingNumber: { type: 'string', minLength: 1, maxLength: 80 }, window }
      },
      response: ok('Parcel', 201)
    }
  }, async (req, reply) => {
    reply.code(201);
    return registerParcel(ctx, principal(req), req.body);
  });

  app.get<{ Params: { id: number } }>('/v1/parcels/:id', {
    onRequest: who, schema: { tags: ['parcels'], summary: 'One parcel registration', security: bearer, params: idParams, response: ok('Parcel') }
  }, async (req) => getParcelView(ctx, principal(req), req.params.id));

  app.delete<{ Params: { id: number } }>('/v1/parcels/:id', {
    onRequest: who, schema: { tags: ['parcels'], summary: 'Cancel a parcel registration (revokes its grant)', security: bearer, params: idParams, response: ok('Parcel') }
  }, async (req) => cancelParcel(ctx, principal(req), req.params.id));
}
