/** Owner consent (docs/protocol.md §11): enrol an owner device, and relay owner statements to the lock unchanged. */
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { fromHex } from '@keyway/shared';
import type { RelayContext } from '../../context';
import { enrolOwnerKey, sendOwnerStatement } from '../../domain/owner-consent';
import { ownerConsentView } from '../../domain/owner-record';
import { principal } from '../auth';
import { bearer, deviceParams, ok, ownerStatementBody } from '../schemas';

const KEY_HEX = 64;

export function ownerConsentRoutes(app: FastifyInstance, ctx: RelayContext, owner: onRequestHookHandler): void {
  app.get<{ Params: { id: string } }>('/v1/devices/:id/owner-consent', {
    onRequest: owner,
    schema: {
      tags: ['devices'], summary: 'The lock\'s owner-consent mode (from its last status), and the owner devices and standing consents it confirmed',
      security: bearer, params: deviceParams,
      response: ok('{ deviceId, consentMode, ownerTimeNeeded, nonce, ownerKeys: [{ keyId, publicKey, enrolledAt }], consents: [{ consentId, kind, partner, flags, maxPerWeek, notAfter, tzOffset, schedule, ownerKeyId, confirmedAt }] }')
    }
  }, async (req) => ownerConsentView(ctx, principal(req), req.params.id));

  app.post<{ Params: { id: string }; Body: { publicKey: string } }>('/v1/devices/:id/owner-keys', {
    onRequest: owner,
    schema: {
      tags: ['devices'], summary: 'Enrol an owner device key on the lock (relay-signed OWNER_KEY_ADD; the lock must be in install mode)',
      security: bearer, params: deviceParams,
      body: {
        type: 'object', additionalProperties: false, required: ['publicKey'],
        properties: { publicKey: { type: 'string', pattern: '^[0-9a-f]{' + KEY_HEX + '}$' } }
      },
      response: ok('{ outcome, deviceId, counter, ownerKeyId, action }')
    }
  }, async (req) => enrolOwnerKey(ctx, principal(req), req.params.id, req.body.publicKey));

  app.post<{ Params: { id: string }; Body: { statement: string } }>('/v1/devices/:id/owner-statements', {
    onRequest: owner,
    schema: {
      tags: ['devices'], summary: 'Send an owner-signed statement to the lock, byte for byte, as the payload of an OWNER_SIGNED command',
      security: bearer, params: deviceParams,
      body: ownerStatementBody,
      response: ok('{ outcome, deviceId, counter, ownerKeyId, action }')
    }
  }, async (req) => sendOwnerStatement(ctx, principal(req), req.params.id, fromHex(req.body.statement)));
}
