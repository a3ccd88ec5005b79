/** Administration: owners, backends (scoped API keys), installer tokens, signing-key rotation. */
import type { FastifyInstance } from 'fastify';
import type { RelayContext } from '../../context';
import { createBackend, createInstaller, createOwner } from '../../domain/accounts';
import { BACKEND_SCOPES } from '../../domain/principals';
import { keyStatus, rotateKeys } from '../../locks/key-rotation';
import { requireAuth } from '../auth';
import { bearer, emptyBody, ok } from '../schemas';

export function adminRoutes(app: FastifyInstance, ctx: RelayContext): void {
  const admin = requireAuth(ctx, { kinds: [] });

  app.post<{ Body: { email: string; name: string; password: string } }>('/v1/owners', {
    onRequest: admin,
    schema: {
      tags: ['admin'], summary: 'Create an owner account (password stored with scrypt)', security: bearer,
      body: {
        type: 'object', additionalProperties: false, required: ['email', 'name', 'password'],
        properties: { email: { type: 'string', format: 'email', maxLength: 254 }, name: { type: 'string', minLength: 1, maxLength: 120 }, password: { type: 'string', minLength: 10, maxLength: 256 } }
      },
      response: ok('The owner', 201)
    }
  }, async (req, reply) => {
    reply.code(201);
    return createOwner(ctx, req.body.email, req.body.name, req.body.password);
  });

  app.post<{ Body: { name: string; scopes: string[] } }>('/v1/backends', {
    onRequest: admin,
    schema: {
      tags: ['admin'], summary: 'Create a delivery backend and its scoped API token (shown once)', security: bearer,
      body: {
        type: 'object', additionalProperties: false, required: ['name', 'scopes'],
        properties: { name: { type: 'string', minLength: 1, maxLength: 120 }, scopes: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'string', enum: [...BACKEND_SCOPES] } } }
      },
      response: ok('The backend with its token', 201)
    }
  }, async (req, reply) => {
    reply.code(201);
    return createBackend(ctx, req.body.name, req.body.scopes);
  });

  app.post<{ Body: { label: string } }>('/v1/installers', {
    onRequest: admin,
    schema: {
      tags: ['admin'], summary: 'Create an installer token (scope devices:register, shown once)', security: bearer,
      body: { type: 'object', additionalProperties: false, required: ['label'], properties: { label: { type: 'string', minLength: 1, maxLength: 120 } } },
      response: ok('The installer token', 201)
    }
  }, async (req, reply) => {
    reply.code(201);
    return createInstaller(ctx, req.body.label);
  });

  app.get('/v1/admin/keys', {
    onRequest: admin,
    schema: { tags: ['admin'], summary: 'Relay signing keys, which locks use each, pending rotations', security: bearer, response: ok('Key status') }
  }, async () => keyStatus(ctx));

  app.post('/v1/admin/keys/rotate', {
    onRequest: admin,
    schema: { tags: ['admin'], summary: 'Rotate the signing key: KEY_ROTATE to every lock, signed by the key it trusts', security: bearer, body: emptyBody, response: ok('Rotation started', 202) }
  }, async (_req, reply) => {
    reply.code(202);
    return rotateKeys(ctx);
  });
}
