/**
 * The owner and courier web pages (docs/pages.md): plain HTML, CSS and JavaScript modules
 * from relay/public, no build step. GET / is the owner page, /login the owner login,
 * /courier the courier page, /guest the page an invitation link opens, /receipt the offline
 * check of a lock-signed receipt; assets live under
 * /app/. The pages hold no secrets and do no authorization of their own: they call the relay API with the HttpOnly SameSite=Strict
 * session cookie, so everything they show is what the API lets that session see.
 *
 * Every answer carries a strict CSP (default-src 'self', no inline script or style) and the
 * HTML is `no-store`, so a page is never served from a cache after a logout or to the next
 * person who logs in on the same browser.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALARMS, REASONS } from '@keyway/shared';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { relayError } from '../errors';

export const PAGES_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"
].join('; ');

const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

/** URL path → file under relay/public. */
export const PAGE_ROUTES: Readonly<Record<string, string>> = {
  '/': 'owner.html', '/login': 'login.html', '/courier': 'courier.html', '/guest': 'guest.html', '/receipt': 'receipt.html'
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.webmanifest': 'application/manifest+json'
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function asset(body: Buffer, type: string): Asset {
  return { body, type, etag: '"' + createHash('sha256').update(body).digest('base64url').slice(0, 22) + '"' };
}

/** Every file below dir with a known type, keyed by its '/'-separated relative path (read once: nothing on disk is looked up per request). */
function readTree(dir: string, prefix = ''): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) for (const [k, v] of readTree(path.join(dir, entry.name), rel + '/')) out.set(k, v);
    else if (entry.isFile() && TYPES[path.extname(entry.name)]) out.set(rel, asset(readFileSync(path.join(dir, entry.name)), TYPES[path.extname(entry.name)]));
  }
  return out;
}

/** Reason and alarm names with their meanings, from shared's code registry (one source for the feed's wording). */
function codesAsset(): Asset {
  const reasons = Object.fromEntries(REASONS.map((r) => [r.name, r.description]));
  const alarms = Object.fromEntries(ALARMS.map((a) => [a.name, a.description]));
  return asset(Buffer.from(JSON.stringify({ reasons, alarms })), TYPES['.json']);
}

function send(reply: FastifyReply, a: Asset, ifNoneMatch: string | undefined, cache: string): FastifyReply {
  reply.header('content-type', a.type).header('cache-control', cache).header('etag', a.etag);
  if (ifNoneMatch === a.etag) return reply.code(304).send();
  return reply.send(a.body);
}

export async function pagesPlugin(app: FastifyInstance, opts: { publicDir?: string } = {}): Promise<void> {
  const files = readTree(opts.publicDir ?? PUBLIC_DIR);
  const assets = new Map([...files].filter(([k]) => k.startsWith('app/')).map(([k, v]) => [k.slice('app/'.length), v]));
  assets.set('codes.json', codesAsset());

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('content-security-policy', PAGES_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .header('cross-origin-opener-policy', 'same-origin');
    return payload;
  });

  for (const [url, file] of Object.entries(PAGE_ROUTES)) {
    const page = files.get(file);
    if (!page) throw new Error('relay/public/' + file + ' is missing');
    app.get(url, { schema: { hide: true } }, async (_req, reply) => send(reply, page, undefined, 'no-store'));
  }

  app.get<{ Params: { '*': string } }>('/app/*', { schema: { hide: true } }, async (req, reply) => {
    const a = assets.get(req.params['*']);
    if (!a) throw relayError('KW_ROUTE_NOT_FOUND');
    return send(reply, a, req.headers['if-none-match'], 'no-cache');
  });
}
