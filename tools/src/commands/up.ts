/**
 * `keyway up`: the relay on embedded defaults (in-process Aedes on 1883, HTTP on 8080, SQLite
 * in .keyway/data) with a fleet of simulated locks running the real firmware over real MQTT,
 * and demo data seeded on the first start. `keyway demo` plays the courier story against a
 * fresh copy of the same stack.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { CliError } from '../cli-error';
import { REPO_ROOT } from '../firmware/es5-bundle';
import { startStack } from '../stack/stack';

export async function runUp(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string', default: path.join(REPO_ROOT, '.keyway', 'data') }, http: { type: 'string', default: '8080' },
      mqtt: { type: 'string', default: '1883' }, host: { type: 'string', default: '127.0.0.1' }, doors: { type: 'string', default: '2' },
      'log-level': { type: 'string', default: 'warn' }
    }
  });
  let stack;
  try {
    stack = await startStack({
      dataDir: values.data!, host: values.host, ports: { http: Number(values.http), mqtt: Number(values.mqtt), mqtts: 0 },
      doors: Number(values.doors), parcelBox: true, log: { level: values['log-level'], destination: process.stderr }
    });
  } catch (e) {
    const m = String((e as Error).message ?? e);
    if (/EADDRINUSE/.test(m)) throw new CliError('KW_USAGE', 'a port is in use (' + m + '); choose others with --http and --mqtt');
    throw e;
  }
  const w = stack.world;
  const urls = stack.relay.urls();
  out('keyway is up');
  out('  owner page      ' + urls.http + '/            (login ' + w.owner.email + ' / ' + w.owner.password + ')');
  out('  courier page    ' + urls.http + '/courier     (courier token ' + w.courier.token + ')');
  out('  API docs        ' + urls.http + '/docs');
  out('  metrics         ' + urls.http + '/metrics');
  out('  MQTT            ' + urls.mqtt.tcp + '   (WebSocket ' + urls.mqtt.ws + ')');
  out('  backend token   ' + w.backend.token + '   (site ' + w.siteId + ', courier ' + w.courier.id + ')');
  out('  admin token     ' + stack.adminToken);
  for (const l of w.locks) out('  lock ' + l.deviceId + '  ' + l.label + ' (' + l.board.id + ', simulated)');
  out('  data            ' + values.data + '   (delete it to start afresh)');
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

export { runDemo } from './demo';
