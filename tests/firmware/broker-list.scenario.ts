/**
 * The lock's MQTT client dialling an address list on a virtual clock, portable ES5 so the same
 * scenario runs in Node and, bundled, in Duktape (and Espruino): each address behaves as a relay
 * that accepts, refuses, never answers, or accepts and dies at a given time. Returns the trace of
 * what the client did, one line per step, for the test to compare across engines and check.
 */
import { createVirtualLoop } from '@keyway/hardware/sim';
import { createMqttClient, mqttStart, mqttStop, type NetPort, type SocketHandlers } from '@keyway/firmware';

/** 'ok' answers; 'refuse' closes at once; 'silent' accepts and never answers; 'die:<ms>' answers, then dies (and refuses) at <ms>. */
export type BrokerBehaviour = string;

export interface BrokerScenario {
  behaviours: BrokerBehaviour[];
  runMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  connectTimeoutMs: number;
}

const CONNACK_OK = [0x20, 0x02, 0x00, 0x00];
const MQTT_CONNECT = 1;
const MQTT_SUBSCRIBE = 8;
const SUBACK = 0x90;
/** One TCP round trip on the simulated network. */
const LINK_MS = 5;

function seeded(): () => number {
  let seed = 7;
  return function () {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

export function runBrokerScenario(s: BrokerScenario): string[] {
  const loop = createVirtualLoop(null);
  const trace: string[] = [];
  const line = function (text: string) {
    trace.push(loop.now() + ' ' + text);
  };
  const open: Array<{ index: number; h: SocketHandlers; closed: boolean }> = [];
  const deadAt = function (b: BrokerBehaviour): number {
    return b.indexOf('die:') === 0 ? parseInt(b.substring(4), 10) : -1;
  };
  const net: NetPort = {
    join: function (_ssid, _pw, cb) {
      cb(null);
    },
    connect: function (host, port, _tls, h) {
      const index = port - 1;
      const b = s.behaviours[index];
      line('dial ' + host + ':' + port);
      const conn = { index: index, h: h, closed: false };
      const close = function () {
        if (conn.closed) return;
        conn.closed = true;
        h.onClose();
      };
      const dead = deadAt(b);
      if (b === 'refuse' || (dead >= 0 && loop.now() >= dead)) {
        loop.setTimeout(close, LINK_MS);
      } else {
        open.push(conn);
        loop.setTimeout(function () {
          if (!conn.closed) h.onConnect();
        }, LINK_MS);
        if (dead >= 0) loop.setTimeout(close, dead - loop.now());
      }
      return {
        write: function (data: Uint8Array) {
          if (conn.closed || b === 'silent') return;
          const type = data[0] >> 4;
          if (type === MQTT_CONNECT) {
            loop.setTimeout(function () {
              if (!conn.closed) h.onData(new Uint8Array(CONNACK_OK));
            }, LINK_MS);
          } else if (type === MQTT_SUBSCRIBE) {
            const suback = new Uint8Array([SUBACK, 0x03, data[2], data[3], 0x01]);
            loop.setTimeout(function () {
              if (!conn.closed) h.onData(suback);
            }, LINK_MS);
          }
        },
        close: function () {
          conn.closed = true;
        }
      };
    }
  };
  const hosts: Array<{ host: string; port: number }> = [];
  for (let i = 0; i < s.behaviours.length; i++) hosts.push({ host: 'relay-' + String.fromCharCode(97 + i), port: i + 1 });
  let client: ReturnType<typeof createMqttClient> | null = null;
  client = createMqttClient(net, { millis: loop.now, setTimeout: loop.setTimeout, clearTimeout: loop.clearTimeout }, seeded(), {
    brokers: hosts, tls: false, clientId: 'lock-1', username: 'lock-1', password: 'pw', keepAlive: 600,
    willTopic: 'kw/lock-1/state', willPayload: new Uint8Array([1]), subscribe: 'kw/lock-1/cmd',
    maxPacket: 1024, retryMs: 5000, backoffMinMs: s.backoffMinMs, backoffMaxMs: s.backoffMaxMs, connectTimeoutMs: s.connectTimeoutMs
  }, function () {
    // no commands in this scenario
  }, function () {
    line('online ' + hosts[client!.broker].host);
  }, function () {
    line('offline');
  });
  mqttStart(client);
  loop.advance(s.runMs);
  line('end');
  mqttStop(client, true);
  for (let i = 0; i < loop.errors.length; i++) line('error ' + loop.errors[i]);
  return trace;
}
