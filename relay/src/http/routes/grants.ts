/** Owner grants (one-time, temporary, weekly) and the guest's own access routes. */
import type { FastifyInstance } from 'fastify';
import { fromHex } from '@keyway/shared';
import type { RelayContext } from '../../context';
import {
  createAccessGrant, grantForOwner, guestCredentialsWithQr, guestGrant, listSiteGrants, revokeOwnerGrant, signOwnerGrant, type AccessGrantInput
} from '../../domain/access-grants';
import { guestEntry } from '../../domain/entry';
import { grantView } from '../../domain/grants';
import { pendingSignatureRequest } from '../../domain/owner-grants';
import { withIdempotency } from '../../domain/idempotency';
import { principalKey } from '../../domain/principals';
import { MAX_QR_TEXT, qrSvg } from '../../domain/qr-code';
import { DAY_NAMES } from '../../domain/schedule-input';
import { getSiteRow } from '../../domain/sites';
import { principal, requireAuth } from '../auth';
import { bearer, deviceId, emptyBody, idempotencyHeaders, idParams, ok, window, ownerStatementBody } from '../schemas';

const hhmm = { type: 'string', pattern: '^([01][0-9]|2[0-4]):[0-5][0-9]$' } as const;

export function grantRoutes(app: FastifyInstance, ctx: RelayContext): void {
  const owner = requireAuth(ctx, { kinds: ['owner'] });
  const guest = requireAuth(ctx, { kinds: ['guest'] });

  app.post<{ Params: { id: number }; Body: AccessGrantInput }>('/v1/sites/:id/grants', {
    onRequest: owner,
    schema: {
      tags: ['grants'], summary: 'Grant access (staged on the lock, enforced by the lock); returns the guest access token once', security: bearer, params: idParams,
      body: {
        type: 'object', additionalProperties: false, required: ['kind', 'type', 'window'],
        properties: {
          deviceId, kind: { type: 'string', enum: ['guest', 'service'] }, type: { type: 'string', enum: ['one-time', 'temporary', 'weekly'] },
          label: { type: 'string', maxLength: 80 }, window,
          schedule: {
            type: 'array', maxItems: 7,
            items: {
              type: 'object', additionalProperties: false, required: ['days', 'start', 'end'],
              properties: { days: { type: 'array', minItems: 1, maxItems: 7, uniqueItems: true, items: { type: 'string', enum: [...DAY_NAMES] } }, start: hhmm, end: hhmm }
            }
          },
          cameraRequired: { type: 'boolean' }, relockOnClose: { type: 'boolean' },
          maxUses: { type: 'integer', minimum: 0, maximum: 65535 }, relockAfter: { type: 'integer', minimum: 0, maximum: 3600 }
        }
      },
      response: ok('{ grant, accessToken, ownerSignature? } (ownerSignature: { deviceId, action, payload (hex), notAfter } when the lock is in owner-consent mode: sign it and POST /v1/grants/:id/owner-statement)', 201)
    }
  }, async (req, reply) => {
    reply.code(201);
    return createAccessGrant(ctx, principal(req), req.params.id, req.body);
  });

  app.get<{ Params: { id: number }; Querystring: { all?: boolean } }>('/v1/sites/:id/grants', {
    onRequest: owner,
    schema: {
      tags: ['grants'], summary: 'Grants of a site (current ones; ?all=true includes revoked and ended)', security: bearer, params: idParams,
      querystring: { type: 'object', additionalProperties: false, properties: { all: { type: 'boolean', default: false } } }, response: ok('{ items: Grant[] }')
    }
  }, async (req) => ({ items: await listSiteGrants(ctx, principal(req), req.params.id, !!req.query.all) }));

  app.get<{ Params: { id: number } }>('/v1/grants/:id', {
    onRequest: owner, schema: { tags: ['grants'], summary: 'One grant', security: bearer, params: idParams, response: ok('Grant') }
  }, async (req) => grantView(await grantForOwner(ctx, principal(req), req.params.id)));

  app.delete<{ Params: { id: number } }>('/v1/grants/:id', {
    onRequest: owner, schema: { tags: ['grants'], summary: 'Revoke: GRANT_REVOKE to the lock (revocation wins); the guest token stops working', security: bearer, params: idParams, response: ok('Grant') }
  }, async (req) => revokeOwnerGrant(ctx, principal(req), req.params.id));

  app.get<{ Params: { id: number } }>('/v1/grants/:id/owner-signature', {
    onRequest: owner,
    schema: {
      tags: ['grants'], summary: 'What the owner\'s device signs for a pending grant on a lock in owner-consent mode: { deviceId, action, payload (hex), notAfter }',
      security: bearer, params: idParams, response: ok('{ deviceId, action, payload, notAfter }')
    }
  }, async (req) => pendingSignatureRequest(ctx, await grantForOwner(ctx, principal(req), req.params.id)));

  app.post<{ Params: { id: number }; Body: { statement: string } }>('/v1/grants/:id/owner-statement', {
    onRequest: owner,
    schema: {
      tags: ['grants'], summary: 'The owner\'s device signed a pending grant\'s exact bytes (its ownerSignature request): the grant is staged as an OWNER_SIGNED command carrying the statement byte for byte',
      security: bearer, params: idParams,
      body: ownerStatementBody,
      response: ok('Grant')
    }
  }, async (req) => signOwnerGrant(ctx, principal(req), req.params.id, fromHex(req.body.statement)));

  app.get('/v1/grant-access', {
    onRequest: guest, schema: { tags: ['grant access'], summary: 'The grant behind this guest token', security: bearer, response: ok('{ grant, site }') }
  }, async (req) => {
    const g = await guestGrant(ctx, principal(req));
    const s = (await getSiteRow(ctx.store.q, g.site_id))!;
    return { grant: grantView(g), site: { name: s.name, address: s.address, timezone: s.timezone } };
  });

  app.post<{ Headers: { 'idempotency-key'?: string } }>('/v1/grant-access/entry', {
    onRequest: guest,
    schema: {
      tags: ['grant access'], summary: 'Open now: the relay reveals the next chain value to the lock and waits for it', security: bearer,
      headers: idempotencyHeaders(false), body: emptyBody, response: ok('{ outcome: "opened", eventSeq, clip }')
    }
  }, async (req, reply) => {
    const p = principal(req);
    const key = req.headers['idempotency-key'];
    const run = () => guestEntry(ctx, p);
    const res = key ? await withIdempotency(ctx, principalKey(p), key, 'guest-entry', req.body ?? {}, run) : { ...(await run()), replayed: false };
    if (res.replayed) reply.header('idempotency-replayed', 'true');
    reply.code(res.status);
    return res.body;
  });

  app.post<{ Body: { text: string } }>('/v1/invitations/qr', {
    onRequest: owner,
    schema: {
      tags: ['grants'], summary: 'The invitation link the page shows, as a QR code (SVG) for the guest to scan; nothing is stored or logged',
      security: bearer,
      body: { type: 'object', additionalProperties: false, required: ['text'], properties: { text: { type: 'string', minLength: 1, maxLength: MAX_QR_TEXT } } },
      response: ok('{ svg }')
    }
  }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    return { svg: await qrSvg(req.body.text) };
  });

  app.get<{ Querystring: { count: number } }>('/v1/grant-access/credentials', {
    onRequest: guest,
    schema: {
      tags: ['grant access'], summary: 'The next N unspent chain values as scan strings KW1:<grantId>:<64 hex>, for the lock scanner when the network is down', security: bearer,
      querystring: { type: 'object', additionalProperties: false, properties: { count: { type: 'integer', minimum: 1, maximum: 20, default: 5 } } },
      response: ok('{ grantId, credentials: string[], qr: string[] (each code as an SVG QR code), validUntil }')
    }
  }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    return guestCredentialsWithQr(ctx, principal(req), req.query.count);
  });
}
