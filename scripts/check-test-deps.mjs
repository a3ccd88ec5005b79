#!/usr/bin/env node
// Makes sure the Debian programs the tests drive are present (docs/product.md#real-parts-not-mocks).
// As root (or with password-less sudo) it installs what is missing; otherwise it says how.
import { execFileSync, spawnSync } from 'node:child_process';

const NEEDED = [
  { bin: 'duk', pkg: 'duktape' },
  { bin: 'mosquitto_pub', pkg: 'mosquitto-clients' },
  { bin: 'mosquitto_sub', pkg: 'mosquitto-clients' },
  { bin: 'redis-server', pkg: 'redis-server' },
  { bin: 'socat', pkg: 'socat' },
  { bin: 'chromium', pkg: 'chromium' },
  // The relay suite also runs on a throwaway PostgreSQL cluster (tests/support/postgres.ts).
  { probe: 'ls /usr/lib/postgresql/*/bin/initdb', pkg: 'postgresql' },
  // The failover test makes network namespaces (tests/support/netns.ts).
  { bin: 'ip', pkg: 'iproute2' }
];

const has = (n) => spawnSync('sh', ['-c', n.probe ?? 'command -v ' + n.bin], { stdio: 'ignore' }).status === 0;
const missing = [...new Set(NEEDED.filter((n) => !has(n)).map((n) => n.pkg))];
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const sudo = isRoot ? [] : spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0 ? ['sudo', '-n'] : null;
if (!sudo) {
  console.error('keyway tests need these Debian packages: ' + missing.join(' '));
  console.error('install them with: sudo apt-get update && sudo apt-get install -y ' + missing.join(' '));
  process.exit(1);
}
console.log('installing Debian packages for the tests: ' + missing.join(' '));
const run = (args) => execFileSync(sudo.length ? sudo[0] : args[0], sudo.length ? [...sudo.slice(1), ...args] : args.slice(1), {
  stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
});
run(['apt-get', 'update']);
run(['apt-get', 'install', '-y', '--no-install-recommends', ...missing]);
