/**
 * The relay as a process: `npx tsx relay/src/main.ts --data <dir> [--host 127.0.0.1]
 * [--http 8080] [--mqtt 1883] [--mqtts 8883 --tls] [--redis redis://…] [--relay-id a]
 * [--admin-token …] [--log-level info] [--allow-private-webhooks] [--database-url postgres://…] [--step-trace <file>]`
 * (the timing trace, written on close: locks/intake-trace.ts); a Prometheus scraper's
 * token comes from the KEYWAY_METRICS_TOKEN environment variable. Prints one JSON line `{"ready":true,…}` on stdout
 * once listening; SIGTERM/SIGINT close it cleanly. `keyway up` runs the same relay in-process.
 * E-mail notifications use KEYWAY_SMTP_HOST, KEYWAY_SMTP_PORT, KEYWAY_SMTP_FROM,
 * KEYWAY_SMTP_SECURE (1 for TLS on connect), KEYWAY_SMTP_USER, KEYWAY_SMTP_PASSWORD; links in
 * notifications point at KEYWAY_PUBLIC_URL. KEYWAY_DATABASE_URL selects PostgreSQL as --database-url
 * does (the flag wins); KEYWAY_DATA_KEY or KEYWAY_DATA_KEY_FILE give the data key (store-env.ts).
 */
import { parseArgs } from 'node:util';
import { smtpFromEnv } from './notification-env';
import { RelayError } from './errors';
import { buildRelay } from './relay';
import { storeFromEnv } from './store-env';

const { values } = parseArgs({
  options: {
    data: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, http: { type: 'string', default: '8080' },
    mqtt: { type: 'string', default: '1883' }, mqtts: { type: 'string', default: '8883' }, tls: { type: 'boolean', default: false },
    redis: { type: 'string' }, 'relay-id': { type: 'string' }, 'admin-token': { type: 'string' }, 'log-level': { type: 'string', default: 'info' },
    'entry-timeout': { type: 'string' }, 'allow-private-webhooks': { type: 'boolean', default: false },
    'database-url': { type: 'string' }, 'step-trace': { type: 'string' }
  }
});

if (!values.data) {
  process.stderr.write('usage: relay --data <dir> [--http <port>] [--mqtt <port>] [--redis <url>]\n');
  process.exit(2);
}

/** The exit status for a configuration the relay refuses (a coded RelayError), as for wrong arguments. */
const EXIT_REFUSED = 2;

const relay = await buildRelay({
  dataDir: values.data,
  host: values.host,
  ports: { http: Number(values.http), mqtt: Number(values.mqtt), mqtts: Number(values.mqtts) },
  tls: values.tls,
  redis: values.redis ? { url: values.redis } : undefined,
  relayId: values['relay-id'],
  adminToken: values['admin-token'],
  entryTimeoutMs: values['entry-timeout'] ? Number(values['entry-timeout']) : undefined,
  stepTraceFile: values['step-trace'],
  webhooks: { allowPrivateTargets: values['allow-private-webhooks'] },
  metricsToken: process.env.KEYWAY_METRICS_TOKEN || undefined,
  ...storeFromEnv(process.env),
  ...(values['database-url'] ? { databaseUrl: values['database-url'] } : {}),
  logger: { level: values['log-level'] ?? 'info', destination: process.stderr },
  notifications: { smtp: smtpFromEnv(process.env), publicUrl: process.env.KEYWAY_PUBLIC_URL ?? null }
}).catch((err: unknown) => {
  // A refused configuration is the operator's to fix: its code and message, no stack.
  if (!(err instanceof RelayError)) throw err;
  process.stderr.write('relay: ' + err.code + ': ' + err.message + '\n');
  process.exit(EXIT_REFUSED);
});
const ports = await relay.listen();
process.stdout.write(JSON.stringify({ ready: true, pid: process.pid, ports, urls: relay.urls(), adminToken: relay.adminToken ?? null }) + '\n');

let closing = false;
const stop = async () => {
  if (closing) return;
  closing = true;
  await relay.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
