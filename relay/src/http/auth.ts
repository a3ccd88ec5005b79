/**
 * Request authentication: `Authorization: Bearer <token>`, or the `kw_session` cookie set
 * by POST /v1/auth/login (so browser EventSource streams work without putting a token in a
 * URL). Routes declare which principal kinds and which scope they accept; anything else is
 * 401 (no valid credentials) or 403 (valid, but not for this route).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RelayContext } from '../context';
import { relayError } from '../errors';
import { authenticateToken, hasScope, type Principal, type PrincipalKind, type Scope } from '../domain/principals';

export const SESSION_COOKIE = 'kw_session';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The cookie's value; '' when it is present but not valid percent-encoding (a 401, not a 500). */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return '';
      }
    }
  }
  return null;
}

export function credentialOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h === 'string') {
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    return m ? m[1] : '';
  }
  return readCookie(req.headers.cookie, SESSION_COOKIE);
}

export interface AuthRule {
  kinds: PrincipalKind[];
  /** Required for backend and installer principals (any one of them; admin always passes). */
  scope?: Scope | Scope[];
}

export function requireAuth(ctx: RelayContext, rule: AuthRule) {
  return async function auth(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const token = credentialOf(req);
    const p = token ? await authenticateToken(ctx, token) : null;
    if (!p) throw relayError('KW_UNAUTHORIZED');
    req.principal = p;
    if (p.kind === 'admin') return;
    if (!rule.kinds.includes(p.kind)) throw relayError('KW_FORBIDDEN', { kind: p.kind });
    const scopes = rule.scope === undefined ? [] : Array.isArray(rule.scope) ? rule.scope : [rule.scope];
    if (scopes.length > 0 && (p.kind === 'backend' || p.kind === 'installer') && !scopes.some((s) => hasScope(p, s))) {
      throw relayError('KW_FORBIDDEN', { missingScope: scopes.join(' or ') });
    }
  };
}

export function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw relayError('KW_UNAUTHORIZED');
  return req.principal;
}
