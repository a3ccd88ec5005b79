/**
 * `keyway up`: the relay on embedded defaults (in-process Aedes on 1883, HTTP on 8080, SQLite
 * in .keyway/data) with a fleet of simulated locks running the real firmware over real MQTT,
 * and demo data seeded on the first start. `keyway demo` plays the courier story against a
 * fresh copy of the same stack.
 */
import { CliError } from '../cli-error';
import { startStack } from '../stack/stack';

export interface UpOptions {
  dataDir: string;
  host: string;
  http: number;
  mqtt: number;
  doors: number;
  logLevel: string;
}

export async function runUp(o: UpOptions, out: (s: string) => void): Promise<number> {
  let stack;
  try {
    stack = await startStack({
      dataDir: o.dataDir, host: o.host, ports: { http: o.http, mqtt: o.mqtt, mqtts: 0 },
      doors: o.doors, parcelBox: true, log: { level: o.logLevel, destination: process.stderr }
    });
  } catch (e) {
    const m = String((e as Error).message ?? e);
    if (/EADDRINUSE/.test(m)) throw new CliError('KW_PORT_IN_USE', m);
    // The relay's stable code for a configuration it refuses (relay/src/errors.ts).
    if ((e as { code?: unknown }).code === 'KW_DATA_KEY_INVALID') throw new CliError('KW_DATA_KEY_INVALID', m);
    throw e;
  }
  const w = stack.world;
  const urls = stack.relay.urls();
  out('keyway is up');
  out('  owner page      ' + urls.http + '/            (login ' + w.owner.email + ' / ' + w.owner.password + ')');
  out('  courier page    ' + urls.http + '/courier     (courier token ' + w.courier.token + ')');
  out('  API docs        ' + urls.http + '/docs');
  out('  metrics         ' + urls.http + '/metrics   (bearer: the admin token)');
  out('  MQTT            ' + urls.mqtt.tcp + '   (WebSocket ' + urls.mqtt.ws + ')');
  out('  backend token   ' + w.backend.token + '   (site ' + w.siteId + ', courier ' + w.courier.id + ')');
  out('  installer token ' + w.installerToken + '   (keyway provision --token …)');
  out('  admin token     ' + stack.adminToken);
  for (const l of w.locks) out('  lock ' + l.deviceId + '  ' + l.label + ' (' + l.board.id + ', simulated)');
  for (const c of stack.cameras) out('  camera ' + c.deviceId + '  photos each entry (own process, pid ' + c.child.pid + ', log ' + c.logFile + ')');
  out('  data            ' + o.dataDir + '   (delete it to start afresh)');
  out('Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  out('stopping…');
  await stack.close();
  return 0;
}

