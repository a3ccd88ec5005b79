/** Lock registration (installer), lock views, the owner's unlock/lock from anywhere, the lock's event log and outbox. */
import type { FastifyInstance } from 'fastify';
import type { RelayContext } from '../../context';
import { MAX_LOCK_NAME_LENGTH, renameDevice } from '../../domain/device-names';
import { approveReregistration, deviceForOwner, deviceView, listDevices, registerDevice, type RegisterInput } from '../../domain/devices';
import { ownerClearAlarm, ownerCommand, type OwnerCommandInput } from '../../domain/entry';
import { ownerConsentRoutes } from './owner-consent';
import { getOwnerLockSettings, setOwnerLockSettings, SETTING_BOUNDS } from '../../domain/lock-configuration';
import type { LockSettingsValues } from '../../data/lock-settings';
import { withIdempotencyClaimedIn } from '../../domain/idempotency';
import { eventCodeName, eventTypeName, reasonName, actorKindName } from '../../domain/names';
import { principalKey } from '../../domain/principals';
import { recentCommands, type CommandStatus } from '../../data/commands';
import { eventsBefore, recentAnomalies } from '../../data/events';
import { ACTION_NAMES } from '../../locks/outbox';
import type { HttpDeps } from '../app';
import { principal, requireAuth } from '../auth';
import { bearer, deviceId, deviceParams, id, idempotencyHeaders, ok } from '../schemas';

/** Log sequence numbers are u32 on the wire (docs/protocol.md). */
const MAX_LOG_SEQ = 0xffffffff;
const MAX_ANOMALIES_SHOWN = 100;
const MAX_COMMANDS_SHOWN = 200;

export function deviceRoutes(app: FastifyInstance, ctx: RelayContext, deps: HttpDeps): void {
  const owner = requireAuth(ctx, { kinds: ['owner'] });

  app.patch<{ Params: { id: string }; Body: { name: string } }>('/v1/devices/:id', {
    onRequest: owner,
    schema: {
      tags: ['devices'], summary: 'Rename a lock (an empty name goes back to its id)', security: bearer, params: deviceParams,
      body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', maxLength: MAX_LOCK_NAME_LENGTH } } },
      response: ok('The lock')
    }
  }, async (req) => renameDevice(ctx, principal(req), req.params.id, req.body.name));

  app.get<{ Params: { id: string } }>('/v1/devices/:id/settings', {
    onRequest: owner,
    schema: {
      tags: ['devices'], summary: 'The lock\'s settings: auto-lock delay, relock on close, door-left-open alert; state says whether the lock holds them',
      security: bearer, params: deviceParams, response: ok('{ autoLockS, doorAjarS, relockOnClose, revision, state, updatedAt }')
    }
  }, async (req) => getOwnerLockSettings(ctx, principal(req), req.params.id));

  app.put<{ Params: { id: string }; Body: LockSettingsValues }>('/v1/devices/:id/settings', {
    onRequest: owner,
    schema: {
      tags: ['devices'], summary: 'Change the lock\'s settings; they are sent to the lock as a signed SETTINGS_SET and re-sent until the lock reports them',
      security: bearer, params: deviceParams,
      body: {
        type: 'object', additionalProperties: false, required: ['autoLockS', 'doorAjarS', 'relockOnClose'],
        properties: {
          autoLockS: { type: 'integer', minimum: SETTING_BOUNDS.autoLockS.min, maximum: SETTING_BOUNDS.autoLockS.max },
          doorAjarS: { type: 'integer', minimum: SETTING_BOUNDS.doorAjarS.min, maximum: SETTING_BOUNDS.doorAjarS.max },
          relockOnClose: { type: 'boolean' }
        }
      },
      response: ok('{ autoLockS, doorAjarS, relockOnClose, revision, state, updatedAt }')
    }
  }, async (req) => setOwnerLockSettings(ctx, principal(req), req.params.id, req.body));

  app.post<{ Body: RegisterInput }>('/v1/devices', {
    onRequest: requireAuth(ctx, { kinds: ['installer'], scope: 'devices:register' }),
    schema: {
      tags: ['devices'], summary: 'Register a provisioned lock to a site; returns its MQTT credentials (shown once) and the keys it must trust. Re-registering rotates the password and needs the lock in install mode or the owner\'s approval.',
      security: bearer,
      body: {
        type: 'object', additionalProperties: false, required: ['deviceId', 'siteId', 'board', 'firmware'],
        properties: {
          deviceId, siteId: id, board: { type: 'string', minLength: 1, maxLength: 64 }, firmware: { type: 'string', minLength: 1, maxLength: 24 },
          publicKey: { type: 'string', pattern: '^[0-9a-f]{64}$' }, name: { type: 'string', maxLength: 120 }, profile: { type: 'string', enum: ['door', 'box'] },
          resetLog: { type: 'boolean', description: 'The lock was re-provisioned with an empty log (its sequence restarts at 1)' }
        }
      },
      response: ok('Registration: mqtt {username, password, clientId, urls, topics}, trustedKeys, relayTime', 201)
    }
  }, async (req, reply) => {
    reply.code(201);
    return registerDevice(ctx, principal(req), req.body, deps.mqttUrls());
  });

  app.post<{ Params: { id: string }; Body: Record<string, never> | undefined }>('/v1/devices/:id/reregistration', {
    onRequest: owner,
    schema: {
      tags: ['devices'], summary: 'Approve the next re-registration of this lock (15 min, used once): needed when the lock cannot show install mode online', security: bearer,
      params: deviceParams, body: { type: 'object', additionalProperties: false, properties: {} }, response: ok('{ deviceId, approvedUntil }')
    }
  }, async (req) => approveReregistration(ctx, principal(req), req.params.id));

  app.get<{ Querystring: { siteId?: number } }>('/v1/devices', {
    onRequest: owner,
    schema: { tags: ['devices'], summary: 'My locks', security: bearer, querystring: { type: 'object', additionalProperties: false, properties: { siteId: id } }, response: ok('{ items: Device[] }') }
  }, async (req) => ({ items: (await listDevices(ctx, principal(req), req.query.siteId)).map(deviceView) }));

  app.get<{ Params: { id: string } }>('/v1/devices/:id', {
    onRequest: owner, schema: { tags: ['devices'], summary: 'One lock: online, bolt, door, status flags, clock, log integrity', security: bearer, params: deviceParams, response: ok('Device') }
  }, async (req) => deviceView(await deviceForOwner(ctx, ctx.store.q, principal(req), req.params.id)));

  const commandBody = {
    type: 'object', additionalProperties: false,
    properties: { cameraRequired: { type: 'boolean', default: false }, relockAfter: { type: 'integer', minimum: 0, maximum: 3600 } }
  } as const;
  for (const what of ['unlock', 'lock'] as const) {
    app.post<{ Params: { id: string }; Body: OwnerCommandInput | undefined; Headers: { 'idempotency-key'?: string } }>('/v1/devices/:id/' + what, {
      onRequest: owner,
      schema: {
        tags: ['devices'], summary: what === 'unlock' ? 'Owner unlock from anywhere (signed UNLOCK, 60 s window)' : 'Owner lock from anywhere (signed LOCK)',
        security: bearer, params: deviceParams, headers: idempotencyHeaders(false), body: commandBody, response: ok('Outcome at the lock')
      }
    }, async (req, reply) => {
      const p = principal(req);
      const input = req.body ?? {};
      const key = req.headers['idempotency-key'];
      const res = key
        ? await withIdempotencyClaimedIn(ctx, principalKey(p), key, what + ':' + req.params.id, input, (claim) => ownerCommand(ctx, p, req.params.id, what, input, claim))
        : { ...(await ownerCommand(ctx, p, req.params.id, what, input)), replayed: false };
      if (res.replayed) reply.header('idempotency-replayed', 'true');
      reply.code(res.status);
      return res.body;
    });
  }

  app.post<{ Params: { id: string }; Body: { alarm: number } }>('/v1/devices/:id/alarms/clear', {
    onRequest: owner,
    schema: {
      tags: ['devices'], summary: 'Clear a latched alarm on the lock (signed ALARM_CLEAR; 0 = all, e.g. lockout and jam)', security: bearer, params: deviceParams,
      body: { type: 'object', additionalProperties: false, properties: { alarm: { type: 'integer', minimum: 0, maximum: 255, default: 0 } } },
      response: ok('{ outcome: "cleared" }')
    }
  }, async (req, reply) => {
    const res = await ownerClearAlarm(ctx, principal(req), req.params.id, req.body.alarm);
    reply.code(res.status);
    return res.body;
  });

  ownerConsentRoutes(app, ctx, owner);

  app.get<{ Params: { id: string }; Querystring: { limit: number; before?: number } }>('/v1/devices/:id/events', {
    onRequest: owner,
    schema: {
      tags: ['devices'], summary: "The lock's hash-chained log as stored, with integrity verdicts (ok, gap, break, late)", security: bearer, params: deviceParams,
      querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 }, before: id } },
      response: ok('{ items, anomalies }')
    }
  }, async (req) => {
    const d = await deviceForOwner(ctx, ctx.store.q, principal(req), req.params.id);
    const rows = await eventsBefore(ctx.store.q, d.id, d.log_epoch, req.query.before ?? MAX_LOG_SEQ + 1, req.query.limit);
    const anomalies = await recentAnomalies(ctx.store.q, d.id, MAX_ANOMALIES_SHOWN);
    return {
      epoch: d.log_epoch,
      items: rows.map((r) => ({
        seq: r.seq, type: eventTypeName(r.type), code: r.code, reason: eventCodeName(r.type, r.code), ref: r.ref, actor: actorKindName(r.actor_kind), actorRef: r.actor_ref,
        lockTime: r.time_s ? new Date(r.time_s * 1000).toISOString() : null, hash: r.hash, prevHash: r.prev_hash, integrity: r.integrity,
        raw: Buffer.from(r.raw).toString('hex'), receivedAt: new Date(r.received_at).toISOString()
      })),
      anomalies: anomalies.map((a) => ({ epoch: a.epoch, seq: a.seq, kind: a.kind, details: JSON.parse(a.details), at: new Date(a.at).toISOString() }))
    };
  });

  app.get<{ Params: { id: string }; Querystring: { status?: CommandStatus } }>('/v1/devices/:id/commands', {
    onRequest: owner,
    schema: {
      tags: ['devices'], summary: "The lock's command outbox (pending, acked, denied, expired, superseded)", security: bearer, params: deviceParams,
      querystring: { type: 'object', additionalProperties: false, properties: { status: { type: 'string', enum: ['pending', 'acked', 'denied', 'expired', 'superseded'] } } },
      response: ok('{ items }')
    }
  }, async (req) => {
    const d = await deviceForOwner(ctx, ctx.store.q, principal(req), req.params.id);
    const rows = await recentCommands(ctx.store.q, d.id, req.query.status, MAX_COMMANDS_SHOWN);
    return {
      items: rows.map((r) => ({
        counter: r.counter, action: ACTION_NAMES[r.action], purpose: r.purpose, status: r.status, result: r.result_code === null ? null : reasonName(r.result_code),
        keyId: r.key_id, notBefore: new Date(r.not_before_s * 1000).toISOString(), notAfter: new Date(r.not_after_s * 1000).toISOString(),
        grantId: r.grant_id, deliveryId: r.delivery_id, reissueOf: r.reissue_of, sendCount: r.send_count, ackSeq: r.ack_seq,
        // The exact signed bytes (they travel over MQTT anyway): for audits and `keyway` checks.
        hex: Buffer.from(r.bytes).toString('hex')
      }))
    };
  });
}
