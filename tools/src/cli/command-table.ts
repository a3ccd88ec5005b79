/**
 * The one command table: it drives argv parsing, `keyway help`, `keyway <command> --help` and
 * the README's command list (tests/tools/cli-table.test.ts keeps that in step). Every `run`
 * imports what it needs when it runs, so `keyway help` loads neither TypeScript, Rollup,
 * Terser, serialport nor the relay.
 */
import path from 'node:path';
import type { BoardProfile } from '@keyway/firmware';
import { CliError } from '../cli-error';
import { REPO_ROOT } from '../repo-root';
import type { CommandSpec, OptionValues } from './command-spec';

const DEFAULT_DATA = path.join(REPO_ROOT, '.keyway', 'data');
const DEFAULT_KEYS = path.join(DEFAULT_DATA, 'keys');

function str(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A whole number in [min, max] given as plain decimal digits. */
export function intOption(values: OptionValues, name: string, min: number, max: number): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new CliError('KW_USAGE', '--' + name + ' must be a whole number from ' + min + ' to ' + max + ', got "' + v + '"');
  }
  return Number(v);
}

/** A directory option: relative to the working directory when given, else the repository default. */
function dirOption(values: OptionValues, name: string, fallback: string): string {
  const v = str(values, name);
  return v === undefined ? fallback : path.resolve(v);
}

function requiredInt(values: OptionValues, name: string, min: number, max: number): number {
  const n = intOption(values, name, min, max);
  if (n === undefined) throw new CliError('KW_USAGE', '--' + name + ' is required');
  return n;
}

/** A board profile by id, or from a JSON file (custom wiring), validated either way. */
async function boardFrom(values: OptionValues): Promise<BoardProfile> {
  const { BOARDS, validateBoard } = await import('@keyway/hardware');
  const file = str(values, 'board-file');
  if (file) {
    const { readFileSync } = await import('node:fs');
    try {
      return validateBoard(JSON.parse(readFileSync(file, 'utf8')));
    } catch (e) {
      throw new CliError('KW_USAGE', '--board-file ' + file + ': ' + String((e as Error).message));
    }
  }
  const id = str(values, 'board') ?? 'espruino-wifi';
  const b = BOARDS[id];
  if (!b) throw new CliError('KW_UNKNOWN_BOARD', '"' + id + '"', false, 'known boards: ' + Object.keys(BOARDS).join(', ') + '; or --board-file <json>');
  return b;
}

async function buildFor(values: OptionValues) {
  const board = await boardFrom(values);
  const { buildFirmware } = await import('../firmware/build');
  return buildFirmware(board).catch((e: Error) => {
    throw e instanceof CliError ? e : new CliError('KW_BUILD', e.message);
  });
}

const boardOptions = {
  board: { type: 'string', value: '<id>', help: 'board profile: espruino-wifi, espruino-wifi-parcelbox, esp32, mdbt42q', default: 'espruino-wifi' },
  'board-file': { type: 'string', value: '<json>', help: 'a custom board profile (wiring) instead of --board' }
} as const;

const keysDirOption = { type: 'string', value: '<dir>', help: 'key directory, default .keyway/data/keys in the repository (where keyway up keeps the relay\'s keys)' } as const;

const portOption = { type: 'string', value: '<path|tcp://host:port>', help: 'the board\'s serial port, or Espruino\'s telnet console', required: true } as const;

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'up',
    summary: 'relay + SQLite + simulated locks on embedded defaults; prints logins and tokens (npm start)',
    options: {
      http: { type: 'string', value: '<port>', help: 'HTTP port (API, pages, MQTT over WebSocket)', default: '8080' },
      mqtt: { type: 'string', value: '<port>', help: 'MQTT port', default: '1883' },
      host: { type: 'string', value: '<address>', help: 'interface to bind', default: '127.0.0.1' },
      doors: { type: 'string', value: '<n>', help: 'simulated door locks on the first start', default: '2' },
      data: { type: 'string', value: '<dir>', help: 'data directory, default .keyway/data in the repository (delete it to start afresh)' },
      'log-level': { type: 'string', value: '<level>', help: 'relay log level on stderr', default: 'warn' }
    },
    async run(values, _action, io) {
      const { runUp } = await import('../commands/up');
      return runUp({
        dataDir: dirOption(values, 'data', DEFAULT_DATA), host: str(values, 'host')!, http: intOption(values, 'http', 0, 65535)!,
        mqtt: intOption(values, 'mqtt', 0, 65535)!, doors: intOption(values, 'doors', 1, 20)!, logLevel: str(values, 'log-level')!
      }, io.out);
    }
  },
  {
    name: 'demo',
    summary: 'plays the courier delivery story end to end on a fresh, throw-away stack',
    options: {},
    async run(_values, _action, io) {
      const { runDemo } = await import('../commands/demo');
      return runDemo(io.out);
    }
  },
  {
    name: 'firmware build',
    summary: 'builds the lock bundle (ES5, minified, stamped) for a board',
    options: { ...boardOptions, out: { type: 'string', value: '<dir>', help: 'output directory', default: 'build' } },
    async run(values, _action, io) {
      const b = await buildFor(values);
      const { writeFirmware } = await import('../firmware/build');
      const file = writeFirmware(b, str(values, 'out'));
      io.out('built ' + path.relative(process.cwd(), file) + ': ' + b.bytes + ' bytes, ' + b.modules + ' modules, sha256 ' + b.sha256);
      return 0;
    }
  },
  {
    name: 'flash',
    summary: 'builds, writes the bundle to the board over USB with a progress bar, and reads it back',
    options: {
      port: portOption, ...boardOptions,
      baud: { type: 'string', value: '<n>', help: 'serial speed', default: '115200' },
      'no-progress': { type: 'boolean', help: 'no progress bar' },
      'no-throttle': { type: 'boolean', help: 'send as fast as the link takes it (telnet, fast USB)' }
    },
    async run(values, _action, io) {
      const port = str(values, 'port')!;
      const baudRate = requiredInt(values, 'baud', 300, 4_000_000);
      const { checkPortPath } = await import('../serial/port-path');
      checkPortPath(port);
      const { flashFirmware, probePort } = await import('../flash/flash');
      await probePort(port);
      const b = await buildFor(values);
      io.out('flashing ' + b.bytes + ' bytes (' + b.board + ', sha256 ' + b.sha256.slice(0, 16) + '…) to ' + port);
      const r = await flashFirmware(b, { port, baudRate, progress: values['no-progress'] !== true, throttle: values['no-throttle'] !== true });
      io.out('verified: the board stores CRC-32 ' + r.crc32.toString(16) + ' and runs ' + r.running.board + ' ' + r.running.version + ' sha256 ' + r.running.sha256 + ' (' + r.seconds.toFixed(1) + ' s)');
      return 0;
    }
  },
  {
    name: 'provision',
    summary: 'gives a flashed lock its identity, keys, Wi-Fi and relay address, and registers it for a site',
    options: {
      port: portOption,
      relay: { type: 'string', value: '<url[,url…]>', help: 'the relay\'s HTTP base URL, or a relay set\'s URLs (tried in order when one cannot be reached)', required: true },
      site: { type: 'string', value: '<id>', help: 'the site the lock belongs to', required: true },
      token: { type: 'string', value: '<installer token>', help: 'an installer token (keyway up prints one)', required: true, env: 'KEYWAY_INSTALLER_TOKEN' },
      name: { type: 'string', value: '<name>', help: 'the lock\'s name at the relay' },
      profile: { type: 'string', value: 'door|box', help: 'what the lock guards', default: 'door' },
      'wifi-ssid': { type: 'string', value: '<ssid>', help: 'Wi-Fi network' },
      'wifi-password': { type: 'string', value: '<password>', help: 'Wi-Fi password', env: 'KEYWAY_WIFI_PASSWORD' },
      'mqtt-url': { type: 'string', value: '<url[,url…]>', help: 'the MQTT addresses the lock dials in order (up to 4, a relay set\'s), default the relay\'s advertised one' },
      tls: { type: 'boolean', help: 'use the relay\'s MQTT over TLS' },
      timeout: { type: 'string', value: '<ms>', help: 'per-request timeout on the serial link', default: '3000' }
    },
    async run(values, _action, io) {
      const profile = str(values, 'profile');
      if (profile !== 'door' && profile !== 'box') throw new CliError('KW_USAGE', '--profile must be door or box');
      const site = requiredInt(values, 'site', 1, 4294967295);
      const { parseRelayBases } = await import('../provision/relay-client');
      const relay = parseRelayBases(str(values, 'relay')!);
      const port = str(values, 'port')!;
      const { checkPortPath } = await import('../serial/port-path');
      checkPortPath(port);
      const { provision } = await import('../provision/provision');
      const { splitUrls } = await import('../provision/broker-list');
      const mqttUrl = str(values, 'mqtt-url');
      const r = await provision({
        port, relay, token: str(values, 'token')!, site, name: str(values, 'name'), profile, wifiSsid: str(values, 'wifi-ssid'),
        wifiPassword: str(values, 'wifi-password'), mqttUrls: mqttUrl === undefined ? undefined : splitUrls(mqttUrl), tls: values.tls === true,
        timeoutMs: intOption(values, 'timeout', 100, 600_000), log: io.out
      });
      io.out('provisioned lock ' + r.deviceId + ' for site ' + site + ' (trusts key ' + r.keyIds.join(', ') + '; mqtt ' + r.mqtt + ')' +
        (r.retries ? '; ' + r.retries + ' retransmission(s), ' + r.garbledReplies + ' garbled repl(ies)' : ''));
      io.out('the lock restarts and connects to the relay; it appears online under its site');
      return 0;
    }
  },
  {
    name: 'keys',
    summary: 'the relay\'s Ed25519 signing keys (0600 files): generate, rotate, list',
    actions: ['generate', 'rotate', 'list'],
    options: { dir: keysDirOption },
    async run(values, action, io) {
      const { keysCommand } = await import('../commands/keys');
      keysCommand(action!, dirOption(values, 'dir', DEFAULT_KEYS), io.out);
      return 0;
    }
  },
  {
    name: 'verify-receipt',
    summary: 'checks a receipt signed by a lock, offline, against the lock\'s key and its event chain',
    operand: { value: '<file>', help: 'a receipt file: { receipt, lockKey, events } as GET /v1/deliveries/:id/signed-receipt returns it' },
    options: {
      key: { type: 'string', value: '<hex>', help: 'the lock\'s public key from a source you trust (its installation record); default the file\'s' }
    },
    async run(values, file, io) {
      const { verifyReceiptFile } = await import('../commands/verify-receipt');
      verifyReceiptFile(file!, str(values, 'key')).forEach((l) => io.out(l));
      return 0;
    }
  },
  {
    name: 'sign',
    summary: 'signs one command by hand with the current relay key (emergencies, tests); prints hex',
    options: {
      device: { type: 'string', value: '<id>', help: 'the lock\'s device id (16 hex characters)', required: true },
      action: { type: 'string', value: '<action>', help: 'unlock, lock, unlatch, revoke, time-set or alarm-clear', required: true },
      counter: { type: 'string', value: '<n>', help: 'replay counter, higher than any the lock has seen', required: true },
      dir: keysDirOption,
      'valid-for': { type: 'string', value: '<s>', help: 'validity window in seconds', default: '60' },
      at: { type: 'string', value: '<unix s>', help: 'start of validity (default now)' },
      nonce: { type: 'string', value: '<hex>', help: 'the lock\'s challenge nonce' },
      grant: { type: 'string', value: '<id>', help: 'grant id (unlock, unlatch, revoke)' },
      camera: { type: 'boolean', help: 'unlock only after the camera trigger is acknowledged' },
      time: { type: 'string', value: '<unix s>', help: 'the time a time-set carries (default now)' },
      publish: { type: 'string', value: '<mqtt url>', help: 'also publish it to the lock\'s command topic' }
    },
    async run(values, _action, io) {
      const { signByHand } = await import('../commands/sign');
      const r = signByHand({
        keysDir: dirOption(values, 'dir', DEFAULT_KEYS), device: str(values, 'device')!, action: str(values, 'action')!, counter: requiredInt(values, 'counter', 1, 4294967295),
        validFor: requiredInt(values, 'valid-for', 1, 86400 * 366), nonce: str(values, 'nonce'), grant: intOption(values, 'grant', 0, 4294967295),
        camera: values.camera === true, time: intOption(values, 'time', 0, 4294967295), now: intOption(values, 'at', 0, 4294967295)
      });
      io.out(r.hex);
      const publish = str(values, 'publish');
      if (publish) {
        const mqtt = await import('mqtt');
        const c = await mqtt.connectAsync(publish).catch((e: Error) => {
          throw new CliError('KW_RELAY_UNREACHABLE', publish + ': ' + e.message, false, 'check --publish (e.g. mqtt://127.0.0.1:1883) and that the relay runs');
        });
        await c.publishAsync(r.topic, Buffer.from(r.hex, 'hex'), { qos: 1 });
        await c.endAsync();
        io.out('published to ' + r.topic);
      }
      return 0;
    }
  }
];
