/**
 * A plain Aedes broker (the relay's version, 1.2) on loopback with default options: no
 * authentication, no ACLs, no packet-size guard. The relay's own broker refuses a plain echo
 * (locks may publish only their own evt/state and subscribe only to their own cmd), so the
 * bare MQTT round trip is measured here, in its own process like the relay's.
 * Prints `{"ready":true,"port":…,"aedes":"1.2.0"}`.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Aedes } from 'aedes';

const aedesVersion = (JSON.parse(readFileSync(new URL('../../node_modules/aedes/package.json', import.meta.url), 'utf8')) as { version: string }).version;
const aedes = new Aedes({});
await aedes.listen();
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  aedes.handle(socket);
});
server.listen(0, '127.0.0.1', () => {
  const port = (server.address() as net.AddressInfo).port;
  process.stdout.write(JSON.stringify({ ready: true, port, aedes: aedesVersion, pid: process.pid }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
