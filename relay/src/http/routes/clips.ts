/**
 * Camera evidence over HTTP (docs/relay-api.md "Camera clips"): provisioning a lock's camera,
 * the camera's upload (its own credential, nothing else accepts it), and the owner's view,
 * frames and deletion. Couriers, backends, guests and the admin token get no frames.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CameraRow } from '../../data/clips';
import { MAX_CLIP_FRAMES } from '@keyway/shared';
import type { RelayContext } from '../../context';
import {
  acceptUpload, authenticateCamera, cameraStatus, clipForOwner, clipsForOwner, deleteClip, frameForOwner, provisionCamera
} from '../../domain/camera-clips';
import { deviceForOwner } from '../../domain/devices';
import { principal, requireAuth, credentialOf } from '../auth';
import { bearer, deviceId, ok } from '../schemas';

/** JSON overhead beyond the base64 frames themselves. */
const UPLOAD_SLACK_BYTES = 16 * 1024;
const MAX_REFS = 100;
const capture = { type: 'integer', minimum: 0, maximum: 4294967295 } as const;
const clipParams = { type: 'object', required: ['id', 'capture'], properties: { id: deviceId, capture } } as const;
const frameParams = { type: 'object', required: ['id', 'capture', 'n'], properties: { id: deviceId, capture, n: { type: 'integer', minimum: 1, maximum: MAX_CLIP_FRAMES } } } as const;

export function clipRoutes(app: FastifyInstance, ctx: RelayContext): void {
  const owner = requireAuth(ctx, { kinds: ['owner'] });

  app.post<{ Params: { id: string } }>('/v1/devices/:id/camera', {
    onRequest: requireAuth(ctx, { kinds: ['owner', 'installer'], scope: 'devices:register' }),
    schema: {
      tags: ['camera'], summary: 'Provision the camera of a lock: a new camera credential (shown once); the previous one stops working', security: bearer,
      params: { type: 'object', required: ['id'], properties: { id: deviceId } }, body: { type: 'object', additionalProperties: false, properties: {} },
      response: ok('{ cameraId, deviceId, token, uploadPath }', 201)
    }
  }, async (req, reply) => {
    reply.code(201);
    return provisionCamera(ctx, principal(req), req.params.id);
  });

  app.get<{ Params: { id: string } }>('/v1/devices/:id/camera', {
    onRequest: owner,
    schema: { tags: ['camera'], summary: 'Whether the lock has a provisioned camera', security: bearer, params: { type: 'object', required: ['id'], properties: { id: deviceId } }, response: ok('{ provisioned, cameraId, since }') }
  }, async (req) => cameraStatus(ctx, await deviceForOwner(ctx, ctx.store.q, principal(req), req.params.id)));

  // The camera is authenticated before its (large) body is read.
  const cameras = new WeakMap<FastifyRequest, CameraRow>();
  app.post<{ Body: { capture: number; frames: string[] } }>('/v1/camera/clips', {
    onRequest: async (req) => {
      cameras.set(req, await authenticateCamera(ctx, credentialOf(req)));
    },
    bodyLimit: Math.ceil(ctx.opts.clips.maxFrameBytes / 3) * 4 * MAX_CLIP_FRAMES + UPLOAD_SLACK_BYTES,
    schema: {
      tags: ['camera'], summary: 'Camera only (its kw_camera_ credential): upload the frames of a capture; the relay checks their manifest hash against the lock\'s CAMERA event',
      security: bearer,
      body: {
        type: 'object', additionalProperties: false, required: ['capture', 'frames'],
        properties: { capture, frames: { type: 'array', minItems: 1, maxItems: MAX_CLIP_FRAMES, items: { type: 'string', minLength: 1 } } }
      },
      response: ok('The clip: { ref, status (pending | verified | mismatch | unbound), frames, lockHash, uploadedHash, … }', 201)
    }
  }, async (req, reply) => {
    reply.code(201);
    return acceptUpload(ctx, cameras.get(req)!, req.body);
  });

  app.get<{ Querystring: { refs: string } }>('/v1/clips', {
    onRequest: owner,
    schema: {
      tags: ['camera'], summary: 'Owner only: the clips behind feed references (comma-separated clip:<deviceId>:<capture>)', security: bearer,
      querystring: { type: 'object', additionalProperties: false, required: ['refs'], properties: { refs: { type: 'string', maxLength: MAX_REFS * 40 } } },
      response: ok('{ items: Clip[] }')
    }
  }, async (req) => ({ items: await clipsForOwner(ctx, principal(req), req.query.refs.split(',').slice(0, MAX_REFS)) }));

  app.get<{ Params: { id: string; capture: number } }>('/v1/devices/:id/clips/:capture', {
    onRequest: owner,
    schema: { tags: ['camera'], summary: 'Owner only: one clip, its verification against the lock log and its frame URLs', security: bearer, params: clipParams, response: ok('The clip') }
  }, async (req) => clipForOwner(ctx, principal(req), req.params.id, req.params.capture));

  app.get<{ Params: { id: string; capture: number; n: number } }>('/v1/devices/:id/clips/:capture/frames/:n', {
    onRequest: owner,
    schema: { tags: ['camera'], summary: 'Owner only: frame n (1-based) as image/png or image/jpeg', security: bearer, params: frameParams }
  }, async (req, reply) => {
    const f = await frameForOwner(ctx, principal(req), req.params.id, req.params.capture, req.params.n);
    // Revalidated on every use, so a deleted clip or an ended session stops showing at once.
    reply.header('cache-control', 'private, no-cache').header('etag', f.etag).header('x-content-type-options', 'nosniff');
    if (req.headers['if-none-match'] === f.etag) return reply.code(304).send();
    reply.header('content-type', f.contentType);
    return f.bytes;
  });

  app.delete<{ Params: { id: string; capture: number } }>('/v1/devices/:id/clips/:capture', {
    onRequest: owner,
    schema: { tags: ['camera'], summary: 'Owner only: delete a clip\'s frames (the record of its hashes stays)', security: bearer, params: clipParams, response: ok('The clip, marked deleted') }
  }, async (req) => deleteClip(ctx, principal(req), req.params.id, req.params.capture));
}
