/**
 * The lock at rest (docs/product.md: under 1% of a core connected and idle). Boots the shipped bundle
 * from Storage in an Espruino Linux build and reads the process's CPU time (utime + stime from
 * /proc/<pid>/stat) over idle windows: connected to an MQTT broker on loopback, after the broker
 * went away (reconnecting), and booted offline with events queued in flash. Two controls with no
 * firmware, alive for the whole run, give the interpreter's own floor: an idle Espruino (against
 * the reconnecting and the offline lock), and an idle Espruino holding one open TCP socket to a
 * silent peer (against the connected lock). Each state runs `--rounds` rounds of a control window
 * then a lock window, back to back, and prints CPU ms per idle minute for each, and the lock's own
 * part (lock − control, per round) with its spread: median (min…max). Also the timers the
 * interpreter has pending when each state's first lock window opens (what can wake it). Lock
 * windows open only after the lock has made its receipt key (seconds of CPU at first boot,
 * sliced) and settled.
 * Run: ESPRUINO=/path/to/espruino nice npx tsx bench/idle.mts [--seconds 60] [--rounds 3]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Aedes } from 'aedes';
import { CONFIG_VERSION, encodeConfig, frame } from '@keyway/firmware';
import { signerFromSeed } from '@keyway/shared/node';
import { buildFirmware } from '../tools/src/firmware/build';
import { storeFile } from '../tests/support/espruino-storage';
import { machineLine, numberFlag, parseFlags, percentile, sleep, table } from './lib/report.mjs';

const flags = parseFlags(process.argv.slice(2));
const seconds = numberFlag(flags, 'seconds', 60);
/** Pairs of windows per state: the spread across rounds is what a shared host does to the figure. */
const rounds = Math.max(1, numberFlag(flags, 'rounds', 3));
/** Time for boot, the first connection and the boot relock to finish before a window opens. */
const SETTLE_MS = 8000;
const TICKS_PER_S = 100; // USER_HZ on Linux
const bin = process.env.ESPRUINO;
if (!bin) {
  console.log('Set ESPRUINO=/path/to/espruino (an Espruino Linux build) to measure the lock at rest.');
  process.exit(0);
}

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const board = JSON.parse(readFileSync(path.join(root, 'tests/fixtures/espruino-linux-board.json'), 'utf8'));
const fw = await buildFirmware(board);
const deviceHex = '0102030405060708';

function cpuTicks(pid: number): number {
  const f = readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
}

/** CPU ms the process spent per minute over `s` seconds of wall time. */
async function window(pid: number, s: number): Promise<number> {
  const a = cpuTicks(pid);
  await sleep(s * 1000);
  return ((cpuTicks(pid) - a) * 1000 / TICKS_PER_S) * (60 / s);
}

interface Broker {
  port: number;
  subscribed: Promise<void>;
  close(): Promise<void>;
}

async function startBroker(port = 0): Promise<Broker> {
  const aedes = await Aedes.createBroker({});
  let onSub: () => void = () => undefined;
  const subscribed = new Promise<void>((r) => (onSub = r));
  aedes.on('subscribe', (_s, client) => {
    if (client && client.id === deviceHex) onSub();
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    aedes.handle(s);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port, subscribed,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => aedes.close(() => r()));
    })
  };
}

function flashLock(mqttPort: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-idle-'));
  const enc = (s: string) => new TextEncoder().encode(s);
  const signer = signerFromSeed(new Uint8Array(32).fill(1));
  const config = encodeConfig({
    version: CONFIG_VERSION, deviceId: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), keys: [{ id: signer.keyId, key: signer.publicKey }],
    brokers: [{ host: enc('127.0.0.1'), port: mqttPort }], mqttTls: 0, mqttUser: enc(deviceHex), mqttPass: enc('x'.repeat(43)),
    wifiSsid: new Uint8Array(0), wifiPass: new Uint8Array(0), site: enc('1')
  });
  storeFile(bin!, dir, '.bootcde', Buffer.from(fw.code, 'latin1'));
  storeFile(bin!, dir, 'kwcfg0', Buffer.from(frame(1, config)));
  return dir;
}

/**
 * Starts Espruino as a board starts: in its REPL, which first runs `.bootcde` from Storage if
 * there is one; `typed` is then entered on the console, which stays open.
 */
function run(dir: string, typed: string): { proc: ChildProcess; out: () => string } {
  const proc = spawn(bin!, [], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  if (typed) proc.stdin!.write(typed + '\n');
  return { proc, out: () => out };
}

/**
 * At first boot the lock makes its receipt key in slices (Ed25519 key generation, seconds of CPU
 * on a loaded host). A window opens only after that work is done, so it measures rest, not the
 * tail of boot: a REPL line polls for the key every 500 ms and stops polling once it exists.
 */
const KEY_READY = 'var kwIv = setInterval(function () { if (keyway.signer && !keyway.signing) { clearInterval(kwIv); print("KEY READY"); } }, 500);';
const KEY_TIMEOUT_MS = 300_000;

async function keyReady(lock: { out: () => string }): Promise<void> {
  const t0 = Date.now();
  while (!lock.out().includes('KEY READY')) {
    if (Date.now() - t0 > KEY_TIMEOUT_MS) throw new Error('the lock never made its key: ' + lock.out().slice(-600));
    await sleep(250);
  }
}

/**
 * What the interpreter has pending when a window opens: each timer as [ms until due, repeat
 * interval in ms or 0], read from Espruino's hidden root (its timer list, times in µs).
 */
const TIMER_DUMP = 'print("TIMERS " + JSON.stringify(global["\\xFF"].timers.filter(function (t) { return t; }).map(function (t) { return [Math.round(t.time / 1000), t.intr ? Math.round(t.intr / 1000) : 0]; })));';
const pending: string[] = [];

async function dumpTimers(what: string, lock: { proc: ChildProcess; out: () => string }): Promise<void> {
  const before = lock.out().length;
  lock.proc.stdin!.write(TIMER_DUMP + '\n');
  // A loaded host can take seconds to run the typed line: wait for the answer, up to 10 s.
  let m: RegExpExecArray | null = null;
  for (let i = 0; i < 40 && !m; i++) {
    await sleep(250);
    m = /TIMERS (\[.*\])/.exec(lock.out().slice(before));
  }
  pending.push('  ' + what + ': ' + (m ? m[1] : '(no answer)'));
}

/** One state: `rounds` pairs of windows, the control's then the lock's, back to back. */
interface Pairs { control: number[]; lock: number[] }
async function alternate(control: number, lock: number): Promise<Pairs> {
  const out: Pairs = { control: [], lock: [] };
  for (let r = 0; r < rounds; r++) {
    out.control.push(await window(control, seconds));
    out.lock.push(await window(lock, seconds));
  }
  return out;
}

const median = (v: number[]) => percentile(v, 50);
const pct = (ms: number) => (ms / 600).toFixed(2) + '%';
const spread = (v: number[]) => median(v).toFixed(0) + ' (' + Math.min(...v).toFixed(0) + '…' + Math.max(...v).toFixed(0) + ')';
const rows: string[][] = [];
function row(what: string, control: string, p: Pairs): void {
  const ours = p.lock.map((ms, i) => ms - p.control[i]);
  rows.push([what, control, spread(p.control), spread(p.lock), spread(ours), pct(median(ours)), median(ours) / 600 < 1 ? 'met' : 'MISSED']);
}

/**
 * A TCP peer that accepts and holds connections and never speaks: the control's socket stays
 * open for the whole run (an MQTT broker would close a connection that sends no CONNECT).
 */
async function startHolder(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    })
  };
}

const scratch = mkdtempSync(path.join(tmpdir(), 'kw-idle-'));
const holder = await startHolder();
const bare = run(scratch, '');
const sock = run(scratch, 'var s = require("net").connect({ host: "127.0.0.1", port: ' + holder.port + ' }, function () { print("open"); });');
try {
  // Connected: the lock against the interpreter holding one idle socket; then the broker goes
  // away: the reconnecting lock against the idle interpreter.
  const broker = await startBroker();
  const dir = flashLock(broker.port);
  const lock = run(dir, KEY_READY);
  try {
    await Promise.race([broker.subscribed, sleep(60_000).then(() => {
      throw new Error('the lock never subscribed: ' + lock.out().slice(-600));
    })]);
    await keyReady(lock);
    await sleep(SETTLE_MS);
    if (!sock.out().includes('open')) throw new Error('the control socket did not open: ' + sock.out().slice(-300));
    await dumpTimers('connected, idle', lock);
    row('connected, idle', 'one idle TCP socket', await alternate(sock.proc.pid!, lock.proc.pid!));
    await broker.close();
    await sleep(SETTLE_MS);
    await dumpTimers('broker gone, reconnecting', lock);
    row('broker gone, reconnecting', 'no program', await alternate(bare.proc.pid!, lock.proc.pid!));
  } finally {
    lock.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }

  // Booted with no broker: its boot events wait in flash.
  const offDir = flashLock(1);
  const off = run(offDir, KEY_READY);
  try {
    await keyReady(off);
    off.proc.stdin!.write('print("QUEUED " + (keyway.log.seq - keyway.log.acked));\n');
    await sleep(SETTLE_MS);
    await dumpTimers('offline, events queued', off);
    const queued = /QUEUED (\d+)/.exec(off.out());
    row('offline, ' + (queued ? queued[1] : '?') + ' events queued', 'no program', await alternate(bare.proc.pid!, off.proc.pid!));
  } finally {
    off.proc.kill('SIGKILL');
    rmSync(offDir, { recursive: true, force: true });
  }
} finally {
  bare.proc.kill('SIGKILL');
  sock.proc.kill('SIGKILL');
  await holder.close();
  rmSync(scratch, { recursive: true, force: true });
}

table('The lock at rest on ' + bin + ': CPU ms per idle minute, median (min…max) of ' + rounds + ' rounds of ' + seconds + ' s windows, control then lock in each round',
  ['lock state', 'control (interpreter only)', 'control', 'lock', 'lock − control (ours)', 'ours, share of one core', 'target < 1%'], rows);
console.log('Pending timers when each state\'s first window opened, [ms until due, repeat interval ms]:\n' + pending.join('\n'));
console.log(machineLine());
