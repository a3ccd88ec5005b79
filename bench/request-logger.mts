/**
 * What Fastify's per-request plumbing costs the relay, side by side in one process: the request
 * logger and the two hooks every request runs (relay/src/http/app.ts, request-logger.ts).
 *
 *   eager: Fastify's own child logger per request (bindings, serialization, redaction), and
 *          async hooks reading `req.routeOptions` (a getter building an object) per access,
 *          as the relay ran until 2026-12-05;
 *   lazy:  the relay's childLoggerFactory (the child made on its first enabled line), and
 *          callback hooks reading routeOptions once.
 *
 * Both apps use the relay's pino configuration (redaction paths) at the given level, the same
 * route shape as the owner's unlock (path parameter with a pattern, a JSON body with defaults,
 * a response), and answer through `app.inject` (no sockets: only the framework's and the hooks'
 * work differs). The variants alternate in each of `--rounds` rounds of `--requests` requests;
 * CPU µs per request from process.cpuUsage(), medians over the rounds with their range, and the
 * ratio lazy ÷ eager per round.
 *
 * Run: npx tsx bench/request-logger.mts [--requests 20000] [--rounds 7] [--level warn]. A benchmark, never a timed test.
 */
import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { pino } from 'pino';
import { lazyRequestLogger } from '../relay/src/http/request-logger';
import { REDACT_PATHS } from '../relay/src/logger';
import { convertCanonicalScalars, normalizeRequest } from '../relay/src/http/strict-params';
import { fmt, machineLine, numberFlag, parseFlags, summarize, table } from './lib/report.mjs';

const flags = parseFlags(process.argv.slice(2));
const REQUESTS = numberFlag(flags, 'requests', 20_000);
const ROUNDS = numberFlag(flags, 'rounds', 7);
const LEVEL = flags.get('level') ?? 'warn';
const DEVICE = '00112233445566aa';

type Variant = 'eager' | 'lazy';

function logger(): FastifyBaseLogger {
  const sink = new Writable({ write(_c, _e, cb) { cb(); } });
  const log = pino({ level: LEVEL, base: { service: 'bench' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
  return log.child({ component: 'http' }) as unknown as FastifyBaseLogger;
}

let counted = 0;
function record(req: FastifyRequest, route: string, status: number): void {
  // Stands for the metrics counter and logRequest's level check.
  if (route.length > 0 && status > 0) counted++;
  if (req.log.level === 'debug') req.log.debug({ route, status }, 'request');
}

async function build(variant: Variant): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: logger(), ...(variant === 'lazy' ? { childLoggerFactory: lazyRequestLogger } : {}), disableRequestLogging: true });
  if (variant === 'eager') {
    app.addHook('preValidation', async (req) => {
      if (req.method !== 'GET' && (req.body === undefined || req.body === null)) req.body = {};
      convertCanonicalScalars(req.routeOptions.schema?.params, req.params);
      convertCanonicalScalars(req.routeOptions.schema?.querystring, req.query);
    });
    app.addHook('onResponse', async (req, reply) => {
      record(req, req.routeOptions.url ?? 'unknown', reply.statusCode);
    });
  } else {
    app.addHook('preValidation', normalizeRequest);
    app.addHook('onResponse', (req, reply, done) => {
      record(req, req.routeOptions.url ?? 'unknown', reply.statusCode);
      done();
    });
  }
  app.post<{ Params: { id: string }; Body: { relockAfter?: number } }>('/v1/devices/:id/unlock', {
    schema: {
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{16}$' } } },
      body: { type: 'object', additionalProperties: false, properties: { cameraRequired: { type: 'boolean', default: false }, relockAfter: { type: 'integer', minimum: 0, maximum: 3600 } } },
      response: { 200: { type: 'object', additionalProperties: true } }
    }
  }, async (req) => ({ outcome: 'opened', method: 'command', deviceId: req.params.id, eventSeq: 12, clip: null, latencyMs: 3, counter: 7, relockAfter: req.body.relockAfter ?? 0 }));
  await app.ready();
  return app;
}

async function run(app: FastifyInstance, n: number): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const r = await app.inject({ method: 'POST', url: '/v1/devices/' + DEVICE + '/unlock', headers: { 'content-type': 'application/json', authorization: 'Bearer kw_owner_x' }, payload: '{"relockAfter":5}' });
    if (r.statusCode !== 200) throw new Error('unexpected status ' + r.statusCode + ': ' + r.body);
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

const apps: Record<Variant, FastifyInstance> = { eager: await build('eager'), lazy: await build('lazy') };
await run(apps.eager, Math.min(2000, REQUESTS));
await run(apps.lazy, Math.min(2000, REQUESTS));
const us: Record<Variant, number[]> = { eager: [], lazy: [] };
const ratios: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const order: Variant[] = r % 2 === 0 ? ['eager', 'lazy'] : ['lazy', 'eager'];
  for (const v of order) us[v].push(await run(apps[v], REQUESTS));
  ratios.push(us.lazy[r] / us.eager[r]);
}
const cell = (v: number[]) => { const s = summarize(v); return fmt(s.p50, 1) + ' (' + fmt(s.min, 1) + '–' + fmt(s.max, 1) + ')'; };
const rs = summarize(ratios);
console.log(table('Fastify per-request plumbing, CPU µs per request through app.inject (' + REQUESTS + ' requests × ' + ROUNDS + ' rounds, alternating; log level ' + LEVEL + ')',
  ['variant', 'CPU µs per request, median (range)', 'lazy ÷ eager per round, median (range)'],
  [
    ['eager: child logger per request, async hooks', cell(us.eager), '1.00×'],
    ['lazy: child logger on first line, callback hooks', cell(us.lazy), fmt(rs.p50, 3) + '× (' + fmt(rs.min, 3) + '–' + fmt(rs.max, 3) + ')']
  ]));
console.log('difference: ' + fmt((summarize(us.eager).p50 - summarize(us.lazy).p50), 1) + ' µs per request (medians); ' + machineLine() + '; checks counted ' + counted);
await apps.eager.close();
await apps.lazy.close();
