/**
 * A small network of Linux network namespaces made by a test (docs/relay.md#more-than-one-machine):
 * one bridge in the test's own namespace, and per host a namespace joined to it by a veth pair,
 * with its own address, loopback and default route. Processes started in a host namespace see
 * only their own interfaces, as on a separate machine; the file system stays shared. Names and the
 * /24 are unique per run, and close() removes everything (processes there must be stopped first).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { ROOT, TS_NODE, start, type Child } from './processes';
import { scaled } from './time-scale';
import type { RelayProcess } from './e2e-world';

const IP = 'ip';
/** Host addresses in the lab's /24 start here (.1 is the bridge). */
const FIRST_HOST = 10;
const RELAY_READY_MS = 30_000;
const POLL_MS = 50;

export interface NetnsHost {
  ns: string;
  ip: string;
}

export interface NetnsLab {
  /** The bridge's address: what a host namespace reaches the test's own namespace by. */
  bridgeIp: string;
  /** The lab's /24 (bridge and hosts), for a service's allow list. */
  cidr: string;
  hosts: NetnsHost[];
  /**
   * Makes a service that listens on the test's loopback (a database, say) reachable from the
   * hosts: a TCP forwarder on the bridge address. Returns the URL with its host and port rewritten.
   */
  forward(url: string): Promise<string>;
  close(): Promise<void>;
}

function ip(args: string[]): void {
  execFileSync(IP, args, { stdio: 'pipe' });
}

/** Null when this process may make namespaces; otherwise why not (the test then says so and skips). */
export function netnsUnavailable(): string | null {
  const probe = 'kwprobe' + randomBytes(3).toString('hex');
  try {
    ip(['netns', 'add', probe]);
  } catch (e) {
    return '`ip netns add` is not permitted here (' + String((e as { stderr?: Buffer }).stderr ?? e).trim() + ')';
  }
  try {
    ip(['netns', 'del', probe]);
  } catch {
    // removed with the run's namespaces at worst
  }
  return null;
}

/** A 10.x.y.0/24 no interface on this machine uses yet. */
function freeSubnet(): string {
  const used = execFileSync(IP, ['-4', '-o', 'addr'], { encoding: 'utf8' });
  for (;;) {
    const b = randomBytes(2);
    const prefix = '10.' + (100 + (b[0] % 150)) + '.' + b[1];
    if (!used.includes(' ' + prefix + '.')) return prefix;
  }
}

export async function createNetnsLab(hostCount: number): Promise<NetnsLab> {
  const id = randomBytes(3).toString('hex');
  const subnet = freeSubnet();
  const bridge = 'kwb' + id;
  const bridgeIp = subnet + '.1';
  const hosts: NetnsHost[] = [];
  const servers: net.Server[] = [];
  const undo: Array<() => void> = [];
  const lab: NetnsLab = {
    bridgeIp,
    cidr: subnet + '.0/24',
    hosts,
    async forward(url) {
      const u = new URL(url);
      const target = { host: u.hostname, port: Number(u.port) };
      const server = net.createServer((inbound) => {
        const out = net.connect(target);
        inbound.pipe(out).pipe(inbound);
        const end = () => {
          inbound.destroy();
          out.destroy();
        };
        inbound.on('error', end);
        out.on('error', end);
      });
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, bridgeIp, r));
      u.hostname = bridgeIp;
      u.port = String((server.address() as net.AddressInfo).port);
      return u.toString();
    },
    async close() {
      for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
      for (const f of undo.splice(0).reverse()) {
        try {
          f();
        } catch {
          // already gone
        }
      }
    }
  };
  try {
    ip(['link', 'add', bridge, 'type', 'bridge']);
    undo.push(() => ip(['link', 'del', bridge]));
    ip(['addr', 'add', bridgeIp + '/24', 'dev', bridge]);
    ip(['link', 'set', bridge, 'up']);
    for (let i = 0; i < hostCount; i++) {
      const ns = 'kw' + id + String.fromCharCode(97 + i);
      const outer = 'kv' + id + String.fromCharCode(97 + i);
      const inner = 'kp' + id + String.fromCharCode(97 + i);
      const hostIp = subnet + '.' + (FIRST_HOST + i);
      ip(['netns', 'add', ns]);
      undo.push(() => ip(['netns', 'del', ns]));
      ip(['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner]);
      undo.push(() => ip(['link', 'del', outer]));
      ip(['link', 'set', inner, 'netns', ns]);
      ip(['link', 'set', outer, 'master', bridge]);
      ip(['link', 'set', outer, 'up']);
      ip(['-n', ns, 'addr', 'add', hostIp + '/24', 'dev', inner]);
      ip(['-n', ns, 'link', 'set', inner, 'up']);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      ip(['-n', ns, 'route', 'add', 'default', 'via', bridgeIp]);
      hosts.push({ ns, ip: hostIp });
    }
  } catch (e) {
    await lab.close();
    throw e;
  }
  return lab;
}

export interface NetnsRelayOptions {
  relayId: string;
  redis: string;
  /** The relay's store: its PostgreSQL URL (reachable from the host) or, when absent, SQLite in the data directory. */
  databaseUrl?: string;
  /** The sealing key every relay of a set shares: base64 of 32 bytes (KEYWAY_DATA_KEY) or a file holding it (KEYWAY_DATA_KEY_FILE). */
  dataKey: { value: string } | { file: string };
  http: number;
  mqtt: number;
  allowPrivateWebhooks?: boolean;
}

/** Starts relay/src/main.ts inside the host's namespace (`ip netns exec` execs it: the pid is the relay's). */
export async function startRelayInNetns(host: NetnsHost, dataDir: string, o: NetnsRelayOptions): Promise<RelayProcess> {
  const args = ['netns', 'exec', host.ns, TS_NODE[0], ...TS_NODE.slice(1), path.join(ROOT, 'relay/src/main.ts'), '--data', dataDir,
    '--host', host.ip, '--http', String(o.http), '--mqtt', String(o.mqtt), '--mqtts', '0', '--log-level', 'warn',
    '--redis', o.redis, '--relay-id', o.relayId];
  if (o.allowPrivateWebhooks) args.push('--allow-private-webhooks');
  const env: Record<string, string> = 'file' in o.dataKey ? { KEYWAY_DATA_KEY_FILE: o.dataKey.file, KEYWAY_DATA_KEY: '' } : { KEYWAY_DATA_KEY: o.dataKey.value };
  if (o.databaseUrl) env.KEYWAY_DATABASE_URL = o.databaseUrl;
  const child: Child = start(IP, args, env);
  const end = Date.now() + scaled(RELAY_READY_MS);
  for (;;) {
    const line = child.stdout().split('\n').find((l) => l.startsWith('{"ready"'));
    if (line) {
      const r = JSON.parse(line) as { ports: RelayProcess['ports']; adminToken: string | null };
      return { child, ports: r.ports, base: 'http://' + host.ip + ':' + r.ports.http, adminToken: r.adminToken };
    }
    if (Date.now() > end || child.proc.exitCode !== null) throw new Error(o.relayId + ' did not start: ' + child.stderr().slice(-2000));
    await new Promise((res) => setTimeout(res, POLL_MS));
  }
}
