/**
 * The Fastify application, built without listening (docs/conventions.md#relay-assembly): one
 * route module per resource, each a function adding its routes; Swagger, WebSocket and the
 * pages are Fastify plugins. JSON-Schema validation without type coercion on every route, with
 * unknown fields rejected (path and query numbers see strict-params.ts), OpenAPI at
 * /docs/json with Swagger UI at /docs, MQTT over WebSocket at /mqtt, and one error handler
 * that turns everything into `{ error: { code, message, details? } }` from errors.ts.
 */
import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createWebSocketStream } from 'ws';
import type { RelayContext } from '../context';
import type { MqttUrls } from '../domain/devices';
import { errorBody, relayError, RelayError } from '../errors';
import type { StepTrace } from '../locks/intake-trace';
import { redactUrl, type Logger } from '../logger';
import { adminRoutes } from './routes/admin';
import { authRoutes } from './routes/auth';
import { clipRoutes } from './routes/clips';
import { deliveryRoutes } from './routes/deliveries';
import { deviceRoutes } from './routes/devices';
import { grantRoutes } from './routes/grants';
import { healthRoutes } from './routes/health';
import { notificationSettingsRoutes } from './routes/notification-settings';
import { parcelRoutes } from './routes/parcels';
import { partnerSiteRoutes } from './routes/partner-sites';
import { siteRoutes } from './routes/sites';
import { webhookRoutes } from './routes/webhooks';
import { errorSchema } from './schemas';
import { lazyRequestLogger } from './request-logger';
import { normalizeRequest } from './strict-params';

export interface HttpDeps {
  mqttUrls(): MqttUrls;
  connectedLocks(): number;
  handleMqttWebSocket(stream: Duplex, req: IncomingMessage): void;
}

function toRelayError(err: FastifyError): RelayError | null {
  if (err instanceof RelayError) return err;
  if (err.validation) {
    return relayError('KW_VALIDATION', { errors: err.validation.map((v) => ({ path: v.instancePath || '/', message: v.message, params: v.params })), context: err.validationContext }, err.message);
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return relayError('KW_UNSUPPORTED_MEDIA');
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return relayError('KW_PAYLOAD_TOO_LARGE');
  if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (err.statusCode === 400 && err instanceof SyntaxError)) return relayError('KW_BAD_JSON');
  if (err.statusCode === 400) return relayError('KW_VALIDATION', undefined, err.message);
  if (err.statusCode === 503 && ['FST_ERR_SERVER_CLOSING'].includes(err.code)) return relayError('KW_SHUTTING_DOWN');
  return null;
}

/**
 * Fastify's own request lines ("incoming request", "request completed", each with the request
 * or reply serialized) are replaced by logRequest's one line; a response that failed to be
 * written is still logged at error by Fastify.
 */
class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) super.requestCompleted(error, request, reply);
  }
}

/** Below this status a request is logged at debug, from it on at info (refusals and failures). */
const LOGGED_AT_INFO_FROM = 400;
const MS_DECIMALS = 10;

/**
 * The request's one log line: failed requests (4xx, 5xx) at info, the rest at debug, where the
 * domain's own lines (command signed, lock answered entry) already tell what happened. The
 * fields are built only when the level is enabled, so at info a successful request costs the
 * log nothing. The URL appears only for a request that matched no route, with credential query
 * parameters redacted.
 */
function logRequest(log: Logger, req: FastifyRequest, status: number, route: string, elapsedMs: number): void {
  const failed = status >= LOGGED_AT_INFO_FROM;
  if (!log.isLevelEnabled(failed ? 'info' : 'debug')) return;
  const fields = {
    method: req.method, route, status, ms: Math.round(elapsedMs * MS_DECIMALS) / MS_DECIMALS,
    ...(req.routeOptions.url === undefined ? { url: redactUrl(req.url) } : {})
  };
  if (failed) req.log.info(fields, 'request refused or failed');
  else req.log.debug(fields, 'request');
}

/** Node's diagnostics channels: an HTTP request whose head was parsed, a response handed to the socket. */
const HTTP_REQUEST_START = 'http.server.request.start';
const HTTP_RESPONSE_FINISH = 'http.server.response.finish';

export async function buildHttp(ctx: RelayContext, deps: HttpDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: ctx.log.child({ component: 'http' }) as unknown as FastifyBaseLogger,
    logController: new RequestLogController(),
    childLoggerFactory: lazyRequestLogger,
    bodyLimit: 64 * 1024,
    forceCloseConnections: true,
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true } }
  });
  app.decorateRequest('principal', null);
  // An empty body sent as application/json counts as no body (then {} below), like a POST
  // without content-type; anything else goes through Fastify's own JSON parser.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(req, text, done);
  });
  app.addSchema(errorSchema);

  await app.register(swagger, {
    openapi: {
      info: { title: 'keyway relay API', version: '1', description: 'Who may enter where and when. Errors are { error: { code, message, details?, mayHaveRun? } }; codes in docs/relay-api.md.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } }
    }
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(websocket, { options: { maxPayload: ctx.opts.mqtt.maxPacketSize * 4 } });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const known = toRelayError(err);
    if (known) {
      if (known.status >= 500) req.log.warn({ code: known.code }, 'request failed');
      return reply.code(known.status).send(errorBody(known));
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send(errorBody(relayError('KW_INTERNAL')));
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send(errorBody(relayError('KW_ROUTE_NOT_FOUND'))));
  // Both hooks run on every request and wait for nothing: callback hooks, reading
  // `routeOptions` (a getter that builds an object) once.
  app.addHook('preValidation', normalizeRequest);
  if (ctx.steps) traceHttpRequests(app, ctx.steps);
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unknown';
    ctx.metrics.httpRequests.inc({ route, status: String(reply.statusCode) });
    logRequest(ctx.log, req, reply.statusCode, route, reply.elapsedTime);
    done();
  });

  app.get('/mqtt', { websocket: true, schema: { hide: true } }, (socket, req) => {
    deps.handleMqttWebSocket(createWebSocketStream(socket), req.raw);
  });

  healthRoutes(app, ctx, deps);
  authRoutes(app, ctx);
  adminRoutes(app, ctx);
  siteRoutes(app, ctx);
  deviceRoutes(app, ctx, deps);
  deliveryRoutes(app, ctx);
  grantRoutes(app, ctx);
  parcelRoutes(app, ctx);
  partnerSiteRoutes(app, ctx);
  webhookRoutes(app, ctx);
  notificationSettingsRoutes(app, ctx);
  clipRoutes(app, ctx);
  await app.register((await import('./pages')).pagesPlugin);
  await app.ready();
  return app;
}

/**
 * With a step trace: when Node has parsed each HTTP request's head, before Fastify routes it, and
 * when each response was handed to the socket (so a traced courier entry tells the ways to and
 * from the relay from the relay's own HTTP work). The channels are the process's: only this
 * relay's server is traced, not another relay's or any other HTTP server in the process.
 */
function traceHttpRequests(app: FastifyInstance, steps: StepTrace): void {
  const ours = (message: unknown): boolean => (message as { server?: unknown }).server === app.server;
  const parsed = (message: unknown): void => {
    if (ours(message)) steps.mark('http request parsed');
  };
  const written = (message: unknown): void => {
    if (ours(message)) steps.mark('http response written');
  };
  diagnostics.subscribe(HTTP_REQUEST_START, parsed);
  diagnostics.subscribe(HTTP_RESPONSE_FINISH, written);
  app.addHook('onClose', (_app, done) => {
    diagnostics.unsubscribe(HTTP_REQUEST_START, parsed);
    diagnostics.unsubscribe(HTTP_RESPONSE_FINISH, written);
    done();
  });
}
