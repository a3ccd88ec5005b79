/** Owner login (scrypt-checked password → session token + HttpOnly cookie), token→cookie exchange, logout, whoami. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RelayContext } from '../../context';
import { getCourier, getOwner, login, logout } from '../../domain/accounts';
import { authenticateToken } from '../../domain/principals';
import { relayError } from '../../errors';
import { principal, requireAuth, SESSION_COOKIE } from '../auth';
import { createCredentialGuard } from '../credential-guard';
import { bearer, emptyBody, ok } from '../schemas';

function setSession(reply: FastifyReply, token: string, maxAgeS: number): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, Math.floor(maxAgeS))}`);
}

export function authRoutes(app: FastifyInstance, ctx: RelayContext): void {
  const guard = createCredentialGuard(ctx.opts, () => ctx.now());
  app.post<{ Body: { email: string; password: string } }>('/v1/auth/login', {
    schema: {
      tags: ['auth'], summary: 'Owner login: returns a session token and sets the kw_session cookie',
      body: { type: 'object', additionalProperties: false, required: ['email', 'password'], properties: { email: { type: 'string', minLength: 3, maxLength: 254 }, password: { type: 'string', minLength: 1, maxLength: 256 } } },
      response: ok('Session token (also set as an HttpOnly cookie), expiry and the owner')
    }
  }, async (req, reply) => {
    const r = await guard.attempt(reply, { address: req.ip, account: req.body.email }, () => login(ctx, req.body.email, req.body.password));
    setSession(reply, r.token, ctx.opts.sessionTtlMs / 1000);
    return r;
  });

  app.post<{ Body: { token: string } }>('/v1/auth/session', {
    schema: {
      tags: ['auth'], summary: 'Exchange any valid token (courier, guest, owner) for the kw_session cookie, for browser pages',
      body: { type: 'object', additionalProperties: false, required: ['token'], properties: { token: { type: 'string', minLength: 10, maxLength: 200 } } },
      response: ok('The kind of principal the cookie stands for')
    }
  }, async (req, reply) => {
    const p = await guard.attempt(reply, { address: req.ip }, async () => {
      const found = await authenticateToken(ctx, req.body.token);
      if (!found) throw relayError('KW_UNAUTHORIZED');
      return found;
    });
    setSession(reply, req.body.token, ctx.opts.sessionTtlMs / 1000);
    return { kind: p.kind, id: p.subjectId };
  });

  app.post('/v1/auth/logout', {
    onRequest: requireAuth(ctx, { kinds: ['owner', 'courier', 'guest', 'backend', 'installer'] }),
    schema: { tags: ['auth'], summary: 'Ends an owner session (revokes the session token) and clears the cookie', security: bearer, body: emptyBody, response: ok('Logged out') }
  }, async (req, reply) => {
    const p = principal(req);
    if (p.kind === 'owner') await logout(ctx, p);
    setSession(reply, '', 0);
    return { loggedOut: true };
  });

  app.get('/v1/me', {
    onRequest: requireAuth(ctx, { kinds: ['owner', 'courier', 'guest', 'backend', 'installer'] }),
    schema: { tags: ['auth'], summary: 'Who these credentials stand for', security: bearer, response: ok('Principal kind, id, scopes and profile') }
  }, async (req) => {
    const p = principal(req);
    return {
      kind: p.kind, id: p.subjectId, scopes: p.scopes,
      owner: p.kind === 'owner' ? await getOwner(ctx, p.subjectId!) : undefined,
      courier: p.kind === 'courier' ? await getCourier(ctx, p.subjectId!) : undefined
    };
  });
}
