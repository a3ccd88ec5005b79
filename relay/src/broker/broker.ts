/**
 * The embedded Aedes broker (docs/protocol.md §9) with per-device credentials and ACLs.
 * A lock connects with username = client id = its device id and the password issued at
 * registration (stored as SHA-256, see secrets.ts); it may leave a will only on its own
 * state topic. The relay itself never connects as an MQTT client: it publishes commands
 * and subscribes to kw/+/evt, kw/+/state and the internal $kw/live topic on the broker
 * directly (privileged, no ACL). With `redis`, mqemitter-redis and aedes-persistence-redis
 * join several relay processes into one broker.
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { Aedes, type AedesPublishPacket, type Client, type PublishPacket, type Subscription } from 'aedes';
import { TOPIC_EVENT, eventSeqOf, isDeviceIdHex, parseDeviceTopic } from '@keyway/shared';
import type { RelayContext } from '../context';
import { mqttCredentials, retirePreviousPassword } from '../data/devices';
import { secretMatches } from '../secrets';
import { checkIdentity, checkPublish, checkSubscribe, checkWill, mayForward } from './acl';
import { guardConnection } from './packet-size-guard';

export interface BrokerHooks {
  /**
   * A lock's own event, before the broker acknowledges it: Aedes writes the PUBACK of a QoS 1
   * publish first and hands the message to subscribers only after that write completes, so a
   * relay killed in between would have acknowledged an event it never stored, and the lock
   * never sends an acknowledged event again. Returns false when the event could not be kept
   * (the relay is closing, storage failed): the connection is closed without a PUBACK and the
   * lock sends the event again after reconnecting.
   */
  keepEvent(deviceId: string, payload: Uint8Array): Promise<boolean>;
  /** An event another relay process kept, seen on the shared message bus. */
  onEvent(deviceId: string, payload: Uint8Array): void;
  /** A status or offline marker published on this process's broker (by its lock, or as a will). */
  onState(deviceId: string, payload: Uint8Array): void;
  /** A status or offline marker another relay process handles, seen on the shared message bus. */
  onForeignState(deviceId: string): void;
  onLive(payload: Buffer): void;
  onLockReady(deviceId: string, connId: string): void;
  onLockGone(deviceId: string, connId: string, graceful: boolean): void;
  onCommandSubscription(deviceId: string): void;
}

export interface BrokerHandle {
  aedes: Aedes;
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  handle(conn: Duplex, req?: IncomingMessage): void;
  connectedLocks(): number;
  close(): Promise<void>;
}

interface AuthError extends Error {
  returnCode: number;
}

function authError(code: number, message: string): AuthError {
  const e = new Error(message) as AuthError;
  e.returnCode = code;
  return e;
}

/** Device id a client authenticated as (only set for locks). */
const deviceOf = new WeakMap<Client, { deviceId: string; connId: string }>();

function parseRedisUrl(url: string): Record<string, unknown> {
  const u = new URL(url);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    db: u.pathname && u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0
  };
}

export async function createBroker(ctx: RelayContext, hooks: BrokerHooks): Promise<BrokerHandle> {
  const log = ctx.log.child({ component: 'mqtt' });
  const reject = (reason: string) => ctx.metrics.mqttRejections.inc({ reason });
  let mq: unknown;
  let persistence: { destroy?: () => unknown } | undefined;
  if (ctx.opts.redis) {
    const { default: mqemitterRedis } = await import('mqemitter-redis');
    const { default: redisPersistence } = await import('aedes-persistence-redis');
    const emitter = mqemitterRedis({ connectionString: ctx.opts.redis.url });
    (emitter as unknown as { state: { on(e: string, f: (err: Error) => void): void } }).state.on('error', (err: Error) => log.error({ error: err.message }, 'redis message bus error'));
    mq = emitter;
    persistence = redisPersistence(parseRedisUrl(ctx.opts.redis.url)) as typeof persistence;
  }
  const locks = new Set<Client>();
  // PUBACKs of events already committed, released together at the end of the loop's turn.
  const releases: Array<() => void> = [];
  /**
   * Releases an event's PUBACK once the event loop's current turn is over, with the others of that
   * turn: a request the same commit answered (a courier's or an owner's HTTP answer, several
   * promise steps on) is written first, then the PUBACKs, which only the lock waits for. Each is
   * still released only after its event committed.
   */
  const releaseAfterTurn = (release: () => void): void => {
    releases.push(release);
    if (releases.length > 1) return;
    setImmediate(() => {
      for (const r of releases.splice(0)) r();
    });
  };

  async function authenticateLock(client: Client, username: string | undefined, password: Readonly<Buffer> | undefined): Promise<true | AuthError> {
    if (ctx.closing) return authError(3, 'server unavailable');
    const will = (client as unknown as { _will?: { topic: string; retain?: boolean } })._will;
    const deviceId = username ?? '';
    const row = isDeviceIdHex(deviceId) ? await mqttCredentials(ctx.store.q, deviceId) : undefined;
    const given = password ? password.toString('utf8') : '';
    const current = !!row && given.length > 0 && secretMatches(given, row.mqtt_password_hash);
    const previous = !current && !!row && given.length > 0 && row.mqtt_prev_password_hash !== null && secretMatches(given, row.mqtt_prev_password_hash);
    // The lock uses its new password: the one from before the re-provisioning is retired.
    if (current && row!.mqtt_prev_password_hash !== null) await retirePreviousPassword(ctx.store.q, deviceId);
    if (!row || (!current && !previous)) {
      reject('bad_credentials');
      log.warn({ clientId: client.id, username: deviceId.slice(0, 32) }, 'mqtt connect refused: bad credentials');
      return authError(4, 'bad user name or password');
    }
    const identity = checkIdentity({ clientId: client.id, username, will });
    if (identity) {
      reject('identity');
      log.warn({ clientId: client.id, deviceId, reason: identity }, 'mqtt connect refused');
      return authError(2, identity);
    }
    const willDenied = checkWill(deviceId, will);
    if (willDenied) {
      reject('will');
      log.warn({ deviceId, topic: will?.topic, reason: willDenied }, 'mqtt connect refused');
      return authError(5, willDenied);
    }
    deviceOf.set(client, { deviceId, connId: ctx.opts.relayId + ':' + randomUUID() });
    return true;
  }

  const aedes = new Aedes({
    id: ctx.opts.relayId + '-' + randomUUID().slice(0, 8),
    mq,
    persistence,
    connectTimeout: ctx.opts.mqtt.connectTimeoutMs,
    keepaliveLimit: ctx.opts.mqtt.keepaliveLimitS,
    maxTopicLevels: 8,
    maxClientsIdLength: 23,
    authenticate(client, username, password, done) {
      authenticateLock(client, username, password).then((ok) => done(ok === true ? null : ok, ok === true), (err: unknown) => {
        log.error({ err, clientId: client.id }, 'mqtt authentication failed');
        done(authError(3, 'server unavailable'), false);
      });
    },
    authorizePublish(client, packet, done) {
      if (!client) return done(null);
      const dev = deviceOf.get(client);
      const denied = dev ? checkPublish(dev.deviceId, packet.topic, !!packet.retain) : 'not a device';
      if (denied) {
        reject('publish');
        log.warn({ deviceId: dev?.deviceId, topic: packet.topic.slice(0, 100), retain: !!packet.retain, reason: denied }, 'mqtt publish refused');
        return done(new Error(denied));
      }
      const t = dev && parseDeviceTopic(packet.topic);
      if (!t || t.kind !== TOPIC_EVENT) return done(null);
      // The event is stored before Aedes sends the PUBACK; one not stored is not acknowledged.
      const payload = new Uint8Array(packet.payload as Buffer);
      // Refused, the connection is closed; not before the PUBACKs of the events kept ahead of it
      // (of the same read) are out: they go at the end of this turn, and leave the socket at the
      // next tick (mqtt-packet corks it), so the close waits one more turn.
      const refuse = (): void => {
        reject('event_not_kept');
        releaseAfterTurn(() => setImmediate(() => done(new Error('event not kept'))));
      };
      hooks.keepEvent(dev.deviceId, payload).then((kept) => {
        if (kept) {
          releaseAfterTurn(() => {
            // Aedes writes the PUBACK as soon as this returns (handlers/publish.js: authorize, then PUBACK).
            ctx.steps?.mark('lock event acknowledged', { deviceId: dev.deviceId, eventSeq: eventSeqOf(payload) });
            done(null);
          });
          return;
        }
        refuse();
      }, (err: unknown) => {
        log.error({ err, deviceId: dev.deviceId }, 'keeping lock event failed');
        refuse();
      });
    },
    authorizeSubscribe(client, sub: Subscription, done) {
      const dev = deviceOf.get(client);
      const denied = dev ? checkSubscribe(dev.deviceId, sub.topic) : 'not a device';
      if (denied) {
        reject('subscribe');
        log.warn({ deviceId: dev?.deviceId, topic: sub.topic.slice(0, 100), reason: denied }, 'mqtt subscribe refused');
        return done(null, null);
      }
      done(null, { ...sub, qos: sub.qos > 1 ? 1 : sub.qos });
    },
    authorizeForward(client, packet) {
      const dev = deviceOf.get(client);
      return dev && mayForward(dev.deviceId, packet.topic) ? packet : null;
    }
  });
  await aedes.listen();

  aedes.on('clientReady', (client) => {
    const dev = deviceOf.get(client);
    if (!dev) return;
    locks.add(client);
    hooks.onLockReady(dev.deviceId, dev.connId);
  });
  aedes.on('clientDisconnect', (client) => {
    const dev = deviceOf.get(client);
    if (!dev || !locks.delete(client)) return;
    hooks.onLockGone(dev.deviceId, dev.connId, !!(client as unknown as { _disconnected?: boolean })._disconnected);
  });
  aedes.on('subscribe', (subs, client) => {
    const dev = client && deviceOf.get(client);
    if (dev && subs.some((s) => s.topic === 'kw/' + dev.deviceId + '/cmd')) hooks.onCommandSubscription(dev.deviceId);
  });
  aedes.on('clientError', (client, err) => log.debug({ clientId: client?.id, error: err.message }, 'mqtt client error'));
  aedes.on('connectionError', (client, err) => log.debug({ error: err.message }, 'mqtt connection error'));

  const sub = (topic: string, fn: (packet: AedesPublishPacket) => void) => new Promise<void>((resolve) => {
    aedes.subscribe(topic, (packet, cb) => {
      try {
        fn(packet);
      } catch (err) {
        log.error({ err, topic: packet.topic }, 'internal subscriber failed');
      }
      cb();
    }, resolve);
  });
  const deviceMessage = (fn: (id: string, payload: Uint8Array) => void) => (packet: AedesPublishPacket) => {
    const t = parseDeviceTopic(packet.topic);
    if (t) fn(t.deviceId, new Uint8Array(packet.payload as Buffer));
  };
  // Events this process's own clients published were kept before their PUBACK (keepEvent).
  await sub('kw/+/evt', (packet) => {
    if ((packet as { brokerId?: string }).brokerId !== aedes.id) deviceMessage(hooks.onEvent)(packet);
  });
  // A status is handled once, by the process whose broker it was published on: the one holding
  // the lock's session (or publishing its will), which also sends the sync that answers it.
  await sub('kw/+/state', (packet) => {
    if ((packet as { brokerId?: string }).brokerId === aedes.id) deviceMessage(hooks.onState)(packet);
    else deviceMessage((id) => hooks.onForeignState(id))(packet);
  });
  await sub('$kw/live', (packet) => hooks.onLive(packet.payload as Buffer));

  return {
    aedes,
    publish(topic, payload, qos) {
      return new Promise((resolve, reject) => {
        const packet = { cmd: 'publish', topic, payload, qos, retain: false, dup: false } as PublishPacket;
        aedes.publish(packet, (err?: Error) => (err ? reject(err) : resolve()));
      });
    },
    handle(conn, req) {
      const guarded = guardConnection(conn, ctx.opts.mqtt.maxPacketSize, () => {
        reject('packet_size');
        log.warn({ maxPacketSize: ctx.opts.mqtt.maxPacketSize }, 'mqtt packet too large: connection closed');
      });
      guarded.on('error', () => undefined);
      aedes.handle(guarded, req);
    },
    connectedLocks: () => locks.size,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      // Without a callback it returns a promise (the callback form waits for a 'ready' event
      // that never fires when Aedes calls setup() itself).
      if (persistence?.destroy) await Promise.resolve(persistence.destroy()).catch(() => undefined);
    }
  };
}
