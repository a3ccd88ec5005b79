/**
 * The far end of the bare round trip: an MQTT client (mqtt.js) that republishes every
 * message from `bench/req` to `bench/resp`, both QoS 1. Usage: mqtt-echo.mts <port>.
 */
import mqtt from 'mqtt';

const port = Number(process.argv[2]);
const client = mqtt.connect({ host: '127.0.0.1', port, clientId: 'bench-echo', clean: true, keepalive: 30, reconnectPeriod: 0 });
client.on('connect', () => {
  (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  client.subscribe('bench/req', { qos: 1 }, (err) => {
    if (err) throw err;
    process.stdout.write(JSON.stringify({ ready: true }) + '\n');
  });
});
client.on('message', (_topic, payload) => {
  client.publish('bench/resp', payload, { qos: 1 });
});
client.on('error', (e) => {
  process.stderr.write('echo: ' + e.message + '\n');
  process.exit(1);
});
process.on('SIGTERM', () => client.end(true, () => process.exit(0)));
