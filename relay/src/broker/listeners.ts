/**
 * Network listeners for the broker: MQTT over TCP (1883) and over TLS (8883). MQTT over
 * WebSocket is served by the HTTP server at /mqtt (http/app.ts). Ports may be 0; the
 * bound ports are reported back.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { BrokerHandle } from './broker';
import type { TlsMaterial } from './tls-cert';

export interface MqttListeners {
  listen(host: string, mqttPort: number, mqttsPort: number): Promise<{ mqtt: number; mqtts: number | null }>;
  close(): Promise<void>;
}

function listenOn(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

export function createMqttListeners(broker: BrokerHandle, material: TlsMaterial | null): MqttListeners {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.setNoDelay(true);
    s.on('error', () => undefined);
  };
  const tcp = net.createServer((socket) => {
    track(socket);
    broker.handle(socket);
  });
  const secure = material
    ? tls.createServer({ key: material.key, cert: material.cert, minVersion: 'TLSv1.2' }, (socket) => {
      track(socket);
      broker.handle(socket);
    })
    : null;
  secure?.on('tlsClientError', () => undefined);
  return {
    async listen(host, mqttPort, mqttsPort) {
      const mqtt = await listenOn(tcp, host, mqttPort);
      const mqtts = secure ? await listenOn(secure, host, mqttsPort) : null;
      return { mqtt, mqtts };
    },
    async close() {
      await closeServer(tcp, sockets);
      if (secure) await closeServer(secure, sockets);
    }
  };
}
