/**
 * The `keyway` command line (issue 6). Subcommands:
 *   keyway firmware build [--board <id>] [--out <dir>]
 *   keyway flash --port <serial path | tcp://host:port> [--board <id>] [--baud <n>]
 *   keyway provision --port <…> --relay <url> --site <id> --token <installer token> [--wifi-ssid …] [--wifi-password …]
 *   keyway keys generate|rotate|list [--dir <keys dir>]
 *   keyway sign --device <id> --action unlock|lock|… --counter <n> [--dir <keys dir>] [--publish <mqtt url>]
 *   keyway up | demo        (relay + simulated locks on embedded defaults; see README)
 * Errors print their stable code and exit with its status (tools/src/cli-error.ts).
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { CliError } from './cli-error';
import { REPO_ROOT } from './firmware/es5-bundle';

const HELP = `keyway — open smart-lock tools

  keyway up [--port <http>] [--locks <n>] [--data <dir>]   relay + SQLite + simulated locks (embedded defaults)
  keyway demo                                            plays the courier delivery story end to end
  keyway firmware build [--board <id> | --board-file <json>] [--out <dir>]   build the lock bundle (ES5, minified)
  keyway flash --port <path|tcp://host:port> [--board <id> | --board-file <json>] [--baud <n>] [--no-throttle]
  keyway provision --port <path|tcp://…> --relay <url> --site <id> --token <installer token>
                   [--wifi-ssid <ssid> --wifi-password <pw>] [--mqtt-url <url>] [--tls] [--name <name>] [--profile door|box]
  keyway keys generate|rotate|list [--dir <keys dir>]
  keyway sign --device <id> --action unlock|lock|unlatch|revoke|time-set|alarm-clear --counter <n>
              [--dir <keys dir>] [--valid-for <s>] [--at <unix s>] [--nonce <hex>] [--grant <id>] [--camera] [--publish <mqtt url>]
`;

/** A board profile by id, or from a JSON file (custom wiring), validated either way. */
async function boardFrom(values: Record<string, unknown>): Promise<import('@keyway/firmware').BoardProfile> {
  const { board, validateBoard } = await import('@keyway/hardware');
  const file = opt(values, 'board-file');
  if (!file) return board(String(values.board ?? 'espruino-wifi'));
  const { readFileSync } = await import('node:fs');
  try {
    return validateBoard(JSON.parse(readFileSync(file, 'utf8')));
  } catch (e) {
    throw new CliError('KW_USAGE', '--board-file ' + file + ': ' + String((e as Error).message));
  }
}

function opt(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function need(values: Record<string, unknown>, name: string): string {
  const v = opt(values, name);
  if (!v) throw new CliError('KW_USAGE', '--' + name + ' is required');
  return v;
}

const DEFAULT_KEYS = path.join(REPO_ROOT, '.keyway', 'data', 'keys');

export async function main(argv: string[], out: (s: string) => void = (s) => void process.stdout.write(s + '\n')): Promise<number> {
  const [cmd, sub] = argv;
  try {
    if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      out(HELP);
      return cmd ? 0 : 2;
    }
    if (cmd === 'firmware') {
      const { values } = parseArgs({ args: argv.slice(2), options: { board: { type: 'string', default: 'espruino-wifi' }, 'board-file': { type: 'string' }, out: { type: 'string' } } });
      if (sub !== 'build') throw new CliError('KW_USAGE', 'keyway firmware build');
      const { buildFirmware, writeFirmware } = await import('./firmware/build');
      const b = await buildFirmware(await boardFrom(values)).catch((e: Error) => {
        throw e instanceof CliError ? e : new CliError('KW_BUILD', e.message);
      });
      const file = writeFirmware(b, values.out);
      out('built ' + path.relative(process.cwd(), file) + ': ' + b.bytes + ' bytes, ' + b.modules + ' modules, sha256 ' + b.sha256);
      return 0;
    }
    if (cmd === 'flash') {
      const { values } = parseArgs({ args: argv.slice(1), options: { port: { type: 'string' }, board: { type: 'string', default: 'espruino-wifi' }, 'board-file': { type: 'string' }, baud: { type: 'string', default: '115200' }, 'no-progress': { type: 'boolean', default: false }, 'no-throttle': { type: 'boolean', default: false } } });
      const { buildFirmware } = await import('./firmware/build');
      const { flashFirmware } = await import('./flash/flash');
      const port = need(values, 'port');
      const b = await buildFirmware(await boardFrom(values));
      out('flashing ' + b.bytes + ' bytes (' + b.board + ', sha256 ' + b.sha256.slice(0, 16) + '…) to ' + port);
      const r = await flashFirmware(b, { port, baudRate: Number(values.baud), progress: !values['no-progress'], throttle: !values['no-throttle'] });
      out('verified: the board stores CRC-32 ' + r.crc32.toString(16) + ' and runs ' + r.running.board + ' ' + r.running.version + ' sha256 ' + r.running.sha256 + ' (' + r.seconds.toFixed(1) + ' s)');
      return 0;
    }
    if (cmd === 'provision') {
      const { values } = parseArgs({
        args: argv.slice(1),
        options: {
          port: { type: 'string' }, relay: { type: 'string' }, site: { type: 'string' }, token: { type: 'string' }, name: { type: 'string' },
          profile: { type: 'string' }, 'wifi-ssid': { type: 'string' }, 'wifi-password': { type: 'string' }, 'mqtt-url': { type: 'string' },
          tls: { type: 'boolean', default: false }, timeout: { type: 'string' }
        }
      });
      const { provision } = await import('./provision/provision');
      const token = opt(values, 'token') ?? process.env.KEYWAY_INSTALLER_TOKEN;
      if (!token) throw new CliError('KW_USAGE', '--token (or KEYWAY_INSTALLER_TOKEN) is required');
      const site = Number(need(values, 'site'));
      if (!Number.isInteger(site) || site < 1) throw new CliError('KW_USAGE', '--site must be a site id');
      const r = await provision({
        port: need(values, 'port'), relay: need(values, 'relay'), token, site, name: opt(values, 'name'),
        profile: opt(values, 'profile') as 'door' | 'box' | undefined, wifiSsid: opt(values, 'wifi-ssid'),
        wifiPassword: opt(values, 'wifi-password'), mqttUrl: opt(values, 'mqtt-url'), tls: values.tls === true,
        timeoutMs: values.timeout ? Number(values.timeout) : undefined, log: out
      });
      out('provisioned lock ' + r.deviceId + ' for site ' + site + ' (trusts key ' + r.keyIds.join(', ') + '; mqtt ' + r.mqtt + ')' +
        (r.retries ? '; ' + r.retries + ' retransmission(s), ' + r.garbledReplies + ' garbled repl(ies)' : ''));
      out('the lock restarts and connects to the relay; it appears online under its site');
      return 0;
    }
    if (cmd === 'keys') {
      const { values } = parseArgs({ args: argv.slice(2), options: { dir: { type: 'string', default: DEFAULT_KEYS } } });
      const { keysCommand } = await import('./commands/keys');
      keysCommand(sub ?? '', values.dir!, out);
      return 0;
    }
    if (cmd === 'sign') {
      const { values } = parseArgs({
        args: argv.slice(1),
        options: {
          dir: { type: 'string', default: DEFAULT_KEYS }, device: { type: 'string' }, action: { type: 'string' }, counter: { type: 'string' },
          'valid-for': { type: 'string', default: '60' }, nonce: { type: 'string' }, grant: { type: 'string' }, camera: { type: 'boolean', default: false },
          time: { type: 'string' }, publish: { type: 'string' }, at: { type: 'string' }
        }
      });
      const { signByHand } = await import('./commands/sign');
      const r = signByHand({
        keysDir: values.dir!, device: need(values, 'device'), action: need(values, 'action'), counter: Number(need(values, 'counter')),
        validFor: Number(values['valid-for']), nonce: opt(values, 'nonce'), grant: values.grant ? Number(values.grant) : undefined,
        camera: values.camera === true, time: values.time ? Number(values.time) : undefined, now: values.at ? Number(values.at) : undefined
      });
      out(r.hex);
      if (values.publish) {
        const mqtt = await import('mqtt');
        const c = await mqtt.connectAsync(values.publish);
        await c.publishAsync(r.topic, Buffer.from(r.hex, 'hex'), { qos: 1 });
        await c.endAsync();
        out('published to ' + r.topic);
      }
      return 0;
    }
    if (cmd === 'up' || cmd === 'demo') {
      const { runUp, runDemo } = await import('./commands/up');
      return cmd === 'up' ? await runUp(argv.slice(1), out) : await runDemo(argv.slice(1), out);
    }
    throw new CliError('KW_USAGE', 'unknown command "' + cmd + '" (keyway help)');
  } catch (e) {
    if (e instanceof CliError) {
      console.error('keyway: ' + e.code + ': ' + e.message + (e.deviceTouched ? ' (the device may have been changed)' : ''));
      return e.exit;
    }
    console.error('keyway: ' + String((e as Error)?.stack ?? e));
    return 1;
  }
}
