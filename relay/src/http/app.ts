/**
 * The Fastify application, built without listening (docs/conventions.md#relay-assembly): one
 * route module per resource, each a function adding its routes; Swagger, WebSocket and the
 * pages are Fastify plugins. JSON-Schema validation without type coercion on every route, with
 * unknown fields rejected (path and query numbers see strict-params.ts), OpenAPI at
 * /docs/json with Swagger UI at /docs, MQTT over WebSocket at /mqtt, and one error handler
 * that turns everything into `{ error: { code, message, details? } }` from errors.ts.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { createWebSocketStream } from 'ws';
import type { RelayContext } from '../context';
import type { MqttUrls } from '../domain/devices';
import { errorBody, relayError, RelayError } from '../errors';
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
import { convertCanonicalScalars } from './strict-params';

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

export async function buildHttp(ctx: RelayContext, deps: HttpDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: ctx.log.child({ component: 'http' }) as unknown as FastifyBaseLogger,
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
  // A POST without a body validates as {} (routes with required fields still reject it).
  app.addHook('preValidation', async (req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && (req.body === undefined || req.body === null)) req.body = {};
    convertCanonicalScalars(req.routeOptions.schema?.params, req.params);
    convertCanonicalScalars(req.routeOptions.schema?.querystring, req.query);
  });
  app.addHook('onResponse', async (req, reply) => {
    ctx.metrics.httpRequests.inc({ route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
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
