/**
 * buildRelay(options) wires the relay together without listening (docs/conventions.md#relay-assembly):
 * database and migrations, signing keys, the Aedes broker with its lock ACLs, the lock
 * intake (events, status, presence, outbox resend), the HTTP API, the webhook worker and
 * the maintenance sweep. listen() binds HTTP (+ MQTT over WebSocket), MQTT and MQTT/TLS;
 * close() stops everything and leaves no handle behind.
 */
import { isReceipt } from '@keyway/shared';
import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { RelayContext } from './context';
import { openDatabase, type Db } from './db/database';
import { forgetAllConnections, forgetConnectionsOf } from './data/devices';
import { postgresStore, sqliteStore, type Store } from './data/store';
import { createBroker, type BrokerHandle } from './broker/broker';
import { createMqttListeners, type MqttListeners } from './broker/listeners';
import { loadOrCreateTls } from './broker/tls-cert';
import { bootstrapAdmin } from './domain/admin-bootstrap';
import type { MqttUrls } from './domain/devices';
import { PushWorker } from './domain/push-worker';
import { WebhookWorker } from './domain/webhook-worker';
import { buildHttp } from './http/app';
import { LiveHub, LIVE_TOPIC, liveBus, type LiveMessage } from './live-hub';
import { createLogger, type Logger } from './logger';
import { handleEventMessage } from './locks/event-intake';
import { handleReceiptMessage } from './locks/receipt-intake';
import { DbKeyStore } from './locks/db-key-store';
import { StepTrace } from './locks/intake-trace';
import { KeyStore, type SigningKeys } from './locks/key-store';
import { runMaintenance, startMaintenance } from './locks/maintenance';
import { cancelReconcileTimers } from './locks/reconcile';
import { resendPending } from './locks/outbox';
import { lockConnected, lockDisconnected } from './locks/presence';
import { handleStateMessage } from './locks/status-intake';
import { Waiters } from './locks/waiters';
import { createMetrics } from './metrics';
import { loadDataKey, SecretBox } from './secret-box';
import { resolveOptions, type RelayOptions } from './options';

export interface RelayPorts {
  http: number;
  mqtt: number;
  mqtts: number | null;
  ws: number;
}

export interface Relay {
  readonly ctx: RelayContext;
  readonly http: FastifyInstance;
  readonly broker: BrokerHandle;
  readonly log: Logger;
  /** The bootstrap admin token when this start created it, else null. */
  readonly adminToken: string | null;
  /** Bound ports after listen(), else null. */
  readonly ports: RelayPorts | null;
  /** URLs after listen(): http base, and the MQTT URLs handed to devices. */
  urls(): { http: string; mqtt: MqttUrls };
  listen(): Promise<RelayPorts>;
  /** Runs the periodic maintenance sweep now (tests; it also runs on a timer). */
  maintain(): Promise<void>;
  close(): Promise<void>;
}

export async function buildRelay(options: RelayOptions): Promise<Relay> {
  const opts = resolveOptions(options);
  // The data key first: an unusable one (KW_DATA_KEY_INVALID) stops the relay before it creates anything.
  const box = new SecretBox(loadDataKey(opts.dataKey, opts.dataKeyFile));
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const log = createLogger(opts);
  // On PostgreSQL no SQLite file is opened: the store is the only way to the data.
  const where = opts.database;
  const db: Db | null = where.kind === 'sqlite' ? openDatabase(where.file) : null;
  const store: Store = where.kind === 'postgres' ? await postgresStore(where.url) : sqliteStore(db!);
  let keys: SigningKeys;
  let dbKeys: DbKeyStore | null = null;
  try {
    keys = db ? new KeyStore(opts.keysDir) : (dbKeys = await DbKeyStore.open(store, box, log, opts.now));
  } catch (err) {
    await store.close();
    db?.close();
    throw err;
  }
  let broker: BrokerHandle | null = null;
  let webhooks: WebhookWorker | null = null;
  let pushes: PushWorker | null = null;
  const ctx: RelayContext = {
    opts, store, log,
    now: opts.now,
    nowS: () => Math.floor(opts.now() / 1000),
    keys,
    box,
    metrics: createMetrics(() => broker?.connectedLocks() ?? 0),
    live: new LiveHub(liveBus(!!opts.redis, () => (ctx.closing ? null : ctx.live), (payload) => {
      if (!ctx.closing && broker) broker.publish(LIVE_TOPIC, payload, 0).catch(() => undefined);
    }), !!opts.redis),
    waiters: new Waiters(),
    steps: opts.stepTraceFile ? new StepTrace() : null,
    publishToLock: (deviceId, bytes) => {
      if (!broker) return Promise.reject(new Error('broker not ready'));
      return broker.publish('kw/' + deviceId + '/cmd', Buffer.from(bytes), 1);
    },
    closing: false,
    kickWebhooks: () => webhooks?.kick(),
    kickPushes: () => pushes?.kick()
  };

  // Locks marked online by a previous run of this process (or any process, without Redis) are not.
  if (opts.redis) await forgetConnectionsOf(store.q, opts.relayId);
  else await forgetAllConnections(store.q);

  const adminToken = await bootstrapAdmin(ctx, opts.adminToken);
  const tlsMaterial = opts.tls ? loadOrCreateTls(opts.tls.keyPath, opts.tls.certPath, opts.tls.generate, opts.host) : null;

  broker = await createBroker(ctx, {
    // The event topic carries events and lock-signed receipts, told apart by their tag.
    keepEvent: async (id, payload) => (await (isReceipt(payload) ? handleReceiptMessage : handleEventMessage)(ctx, id, payload)) !== 'unavailable',
    // Another process kept this event before acknowledging it. Here it only matters to a request
    // of this process waiting for the lock's answer; without one, looking it up would be work
    // (and a device row lock) for nothing, repeated by every relay process.
    onEvent: (id, payload) => {
      const waited = !isReceipt(payload) && ctx.waiters.waitingOn(id);
      ctx.metrics.busLockMessages.inc({ kind: 'event', outcome: waited ? 'checked' : 'ignored' });
      if (!waited) return;
      handleEventMessage(ctx, id, payload).catch((err) => log.warn({ err, deviceId: id }, 'lock event from the bus not checked'));
    },
    onState: (id, payload) => void handleStateMessage(ctx, id, payload),
    onForeignState: () => ctx.metrics.busLockMessages.inc({ kind: 'state', outcome: 'ignored' }),
    onLive: (payload) => {
      try {
        ctx.live.deliver(JSON.parse(payload.toString('utf8')) as LiveMessage);
      } catch {
        log.warn('malformed live message dropped');
      }
    },
    onLockReady: (id, connId) => {
      lockConnected(ctx, id, connId).catch((err) => log.error({ err, deviceId: id }, 'recording lock connection failed'));
    },
    onLockGone: (id, connId, graceful) => {
      lockDisconnected(ctx, id, connId, graceful).catch((err) => log.error({ err, deviceId: id }, 'recording lock disconnection failed'));
    },
    onCommandSubscription: (id) => {
      resendPending(ctx, id).catch((err) => log.warn({ err, deviceId: id }, 'outbox resend failed'));
    }
  });
  const b = broker;
  const listeners: MqttListeners = createMqttListeners(b, tlsMaterial);
  let ports: RelayPorts | null = null;

  const mqttUrls = (): MqttUrls => {
    const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
    return {
      tcp: opts.publicUrls.mqtt ?? 'mqtt://' + host + ':' + (ports?.mqtt ?? opts.ports.mqtt),
      tls: tlsMaterial ? (opts.publicUrls.mqtts ?? 'mqtts://' + host + ':' + (ports?.mqtts ?? opts.ports.mqtts)) : null,
      ws: opts.publicUrls.ws ?? 'ws://' + host + ':' + (ports?.http ?? opts.ports.http) + '/mqtt'
    };
  };

  const http = await buildHttp(ctx, {
    mqttUrls,
    connectedLocks: () => b.connectedLocks(),
    handleMqttWebSocket: (stream, req) => b.handle(stream, req)
  });
  webhooks = new WebhookWorker(ctx);
  pushes = new PushWorker(ctx);
  let stopMaintenance: (() => void) | null = null;
  let closed: Promise<void> | null = null;

  return {
    ctx, http, broker: b, log, adminToken,
    get ports() {
      return ports;
    },
    urls() {
      const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
      return { http: 'http://' + host + ':' + (ports?.http ?? opts.ports.http), mqtt: mqttUrls() };
    },
    async listen() {
      if (ports) return ports;
      await http.listen({ port: opts.ports.http, host: opts.host });
      const httpPort = (http.server.address() as { port: number }).port;
      const m = await listeners.listen(opts.host, opts.ports.mqtt, opts.ports.mqtts);
      ports = { http: httpPort, mqtt: m.mqtt, mqtts: m.mqtts, ws: httpPort };
      webhooks!.start();
      pushes!.start();
      stopMaintenance = startMaintenance(ctx);
      dbKeys?.startRefreshing();
      void runMaintenance(ctx);
      log.info({ ports, tls: !!tlsMaterial, redis: !!opts.redis, store: store.dialect }, 'relay listening');
      return ports;
    },
    maintain: () => runMaintenance(ctx),
    close() {
      if (closed) return closed;
      closed = (async () => {
        ctx.closing = true;
        stopMaintenance?.();
        dbKeys?.stop();
        cancelReconcileTimers(ctx);
        ctx.waiters.cancelAll();
        ctx.live.closeAll();
        await webhooks!.stop();
        await pushes!.stop();
        await http.close();
        await b.close();
        await listeners.close();
        await store.close();
        if (db?.open) db.close();
        if (ctx.steps && opts.stepTraceFile) {
          // A benchmark's file: a path that cannot be written is said, and the close goes on.
          try {
            ctx.steps.writeTo(opts.stepTraceFile);
          } catch (err) {
            log.error({ err, file: opts.stepTraceFile }, 'step trace not written');
          }
        }
        log.info('relay closed');
        log.flush?.();
      })();
      return closed;
    }
  };
}
