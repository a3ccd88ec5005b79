/**
 * The relay's system calls per owner authorization, and what its socket writes carry. Runs
 * `bench/relay.mts --crowd 0 --samples 10 --duration 6 --rounds 1 --lock-verify native`, attaches
 * `strace -f` to the relay process for `--seconds` of section c's relay round (after its 1.5 s
 * warm-up), and counts from what strace saw:
 *
 *   - every system call per authorization (authorizations = the HTTP answers the relay wrote:
 *     one `writev` each, the only HTTP traffic during the round);
 *   - the MQTT writes: how many PUBACKs and QoS 1 PUBLISHes (the commands) each one carries, and
 *     how often two writes to one socket came less than `--gap-ms` apart (what corking a
 *     connection's writes for the rest of the event-loop turn could merge).
 *
 * strace slows every system call of the relay, so the rate is lower than without it; the
 * counts per authorization are what this measures, not time. Needs strace and ptrace rights.
 *
 * Run: npx tsx bench/relay-syscalls.mts [--seconds 4] [--gap-ms 0.5]. A benchmark, never a timed test.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fmt, machineLine, numberFlag, parseFlags, sleep, table } from './lib/report.mjs';
import { ROOT } from './lib/proc.mjs';

const flags = parseFlags(process.argv.slice(2));
const SECONDS = numberFlag(flags, 'seconds', 4);
const GAP_MS = numberFlag(flags, 'gap-ms', 0.5);
/** Section c's warm-up before its counted seconds (bench/relay.mts). */
const WARM_UP_MS = 2000;
const MQTT_PUBACK = '"@"';
const MQTT_PUBLISH_QOS1 = '"2"';

if (spawnSync('strace', ['-V']).status !== 0) throw new Error('strace is needed');

const dir = mkdtempSync(path.join(os.tmpdir(), 'keyway-relay-syscalls-'));
const traceFile = path.join(dir, 'relay.strace');
const bench = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/relay.mts'), '--crowd', '0', '--samples', '10', '--duration', '6', '--rounds', '1', '--lock-verify', 'native'], {
  cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe']
});
// Its progress lines ('· c. round …') go to stderr; its tables are not needed here.
let progress = '';
bench.stderr.setEncoding('utf8');
bench.stderr.on('data', (d: string) => (progress += d));
const exited = new Promise<void>((resolve) => bench.on('exit', () => resolve()));

/** The relay: the descendant of the bench running relay/src/main.ts. */
function relayPid(): number | null {
  const parentOf = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync('/proc/' + e + '/stat', 'utf8');
      parentOf.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  for (const pid of parentOf.keys()) {
    let p: number | undefined = pid;
    while (p !== undefined && p > 1 && p !== bench.pid) p = parentOf.get(p);
    if (p !== bench.pid) continue;
    try {
      if (readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes('relay/src/main.ts')) return pid;
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

while (!progress.includes('c. round 1/1: owner unlock/lock')) {
  if (bench.exitCode !== null) throw new Error('bench/relay.mts ended before section c');
  await sleep(100);
}
const pid = relayPid();
if (!pid) throw new Error('relay process not found');
await sleep(WARM_UP_MS);
const strace = spawn('strace', ['-f', '-qq', '-ttt', '-s', '12', '-o', traceFile, '-p', String(pid)], { stdio: 'ignore' });
await sleep(SECONDS * 1000);
strace.kill('SIGINT');
await new Promise((resolve) => strace.on('exit', resolve));
await exited;

const calls = new Map<string, number>();
let answers = 0;
let mqttWrites = 0;
let pubacks = 0;
let publishes = 0;
let closePairs = 0;
let pairs = 0;
const carrying = new Map<number, number>();
const lastWrite = new Map<string, number>();
for (const line of readFileSync(traceFile, 'utf8').split('\n')) {
  const m = /^\d+\s+([\d.]+) (\w+)\((\d+)?/.exec(line);
  if (!m) continue;
  calls.set(m[2], (calls.get(m[2]) ?? 0) + 1);
  if (m[2] !== 'writev') continue;
  if (line.includes('"HTTP/1.1')) {
    answers++;
    continue;
  }
  const acks = line.split(MQTT_PUBACK).length - 1;
  const pubs = line.split(MQTT_PUBLISH_QOS1).length - 1;
  if (acks + pubs === 0) continue;
  mqttWrites++;
  pubacks += acks;
  publishes += pubs;
  carrying.set(acks + pubs, (carrying.get(acks + pubs) ?? 0) + 1);
  const at = Number(m[1]) * 1000;
  const before = lastWrite.get(m[3]);
  if (before !== undefined) {
    pairs++;
    if (at - before < GAP_MS) closePairs++;
  }
  lastWrite.set(m[3], at);
}
rmSync(dir, { recursive: true, force: true });
if (answers === 0) throw new Error('no HTTP answers traced');

console.log('# Relay system calls per owner authorization (strace, section c)');
console.log(machineLine());
console.log(`${SECONDS} s traced, ${answers} authorizations answered, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
table('System calls per authorization (all threads of the relay)', ['system call', 'count', 'per authorization'],
  [...calls.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([name, n]) => [name, String(n), fmt(n / answers, 2)]));
table('Socket writes per authorization', ['what', 'per authorization'], [
  ['HTTP answers (one writev each)', fmt(1, 2)],
  ['MQTT writes', fmt(mqttWrites / answers, 2)],
  ['PUBACKs they carry', fmt(pubacks / answers, 2)],
  ['QoS 1 PUBLISHes they carry (commands)', fmt(publishes / answers, 2)]
]);
table('MQTT writes by packets carried', ['packets in one write', 'writes', 'share'],
  [...carrying.entries()].sort((a, b) => a[0] - b[0]).map(([k, n]) => [String(k), String(n), fmt((100 * n) / mqttWrites, 1) + '%']));
console.log(`Two writes to one socket less than ${GAP_MS} ms apart: ${closePairs} of ${pairs} consecutive pairs.`);
