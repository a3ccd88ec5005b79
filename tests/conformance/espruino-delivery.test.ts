/**
 * Install day and a courier delivery on a real Espruino (runs when ESPRUINO points at a Linux
 * build): `keyway flash` over its `--telnet` console (tcp://), `keyway provision` over the same
 * console, the lock online at a real relay with trusted time, a courier grant staged (verified
 * in the background on the lock), the courier's entry (camera, bolt), the door opened and closed
 * on the Espruino-side pin simulator, the relock and the secured receipt; then an owner unlock and
 * lock by signed command; last a guest's grant revoked while the lock is off, confirmed by the lock
 * after its restart, and the guest's scanned code refused. The shipped bundle runs unmodified;
 * only the pins (and the barcode reader's UART) are simulated (docs/firmware.md, "Hardware in the
 * loop on Espruino"). Prints the wall time of each stage.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PIN_SIMULATOR_FILE, buildPinSimulator } from '../../tools/src/firmware/pin-simulator';
import { espruinoPath } from '../support/engines';
import { storeFile } from '../support/espruino-storage';
import { ROOT, keyway } from '../support/processes';
import { processCpuMs, waitWithinCpu } from '../support/process-cpu';
import { expectOk, seedWorld, startRelay, waitUntil, type Harness } from '../support/relay-harness';
import { ESPRUINO_TELNET_PORT as TELNET_PORT, withTelnetPort } from '../support/telnet-port';
import { scaled } from '../support/time-scale';

const BOARD_FILE = path.join(ROOT, 'tests/fixtures/espruino-linux-board.json');
/**
 * A stage waits for the lock, and the lock's work is interpreter time: seconds of CPU for one
 * signature. The waits are budgets of the Espruino process's CPU time, so they mean the same on a
 * quiet host and on one that gives the interpreter a tenth of a core; see docs/firmware.md
 * ("How the Espruino tests judge time") for the CPU each stage used. A stage that spends this
 * much CPU without its result is stuck.
 */
const STAGE_CPU_MS = 60_000;
/** Wall-clock ceiling of one stage, for a lock that does nothing at all (hung, or idle when it should work). */
const STAGE_WALL_CEILING_MS = scaled(900_000);
/** Relay-side waits (the relay noticing a dropped connection) stay on the wall clock; waitUntil stretches it. */
const RELAY_MS = 120_000;

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listening(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), res(true)));
      s.on('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error('espruino --telnet did not listen');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Types one line on the Espruino console (the world's handle, `kwSim`), as a person at the REPL. */
async function typeLine(line: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = net.connect(TELNET_PORT, '127.0.0.1', () => {
      s.write(line + '\n');
      setTimeout(() => (s.end(), resolve()), 300);
    });
    s.on('error', reject);
  });
}

/** Cuts the power: the process is killed, what is in its Storage file stays. */
async function stop(p: ChildProcess): Promise<void> {
  await new Promise<void>((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    p.once('exit', () => r());
    p.kill('SIGKILL');
  });
}

describe.runIf(espruinoPath() !== null)('a delivery on a real Espruino', () => {
  it('flash, provision, online, staged grant, courier entry, relock, secured receipt, owner unlock, revocation across a restart', () => withTelnetPort(async () => {
    const t0 = Date.now();
    const stages: Array<[string, number, number]> = [];
    let cpuBefore = 0; // CPU of the lock processes already stopped
    const lockCpuMs = () => cpuBefore + (esp?.pid === undefined ? 0 : processCpuMs(esp.pid) ?? 0);
    const stage = (name: string) => stages.push([name, Date.now() - t0, lockCpuMs()]);
    // The owner's commands and the courier's entry wait for the lock's verification, seconds of
    // interpreter time each, so the relay waits as long as a stage may take.
    const h: Harness = await startRelay({ entryTimeoutMs: STAGE_WALL_CEILING_MS });
    cleanups.push(() => h.close());
    const w = await seedWorld(h, { connect: false });

    const dir = mkdtempSync(path.join(tmpdir(), 'kw-espdelivery-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const board = JSON.parse(readFileSync(BOARD_FILE, 'utf8'));
    storeFile(espruinoPath()!, dir, PIN_SIMULATOR_FILE, Buffer.from(await buildPinSimulator(board), 'latin1'));
    let out = '';
    const power = async () => {
      const p = spawn(espruinoPath()!, ['--telnet'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
      p.stdout!.on('data', (d) => (out += d));
      await listening(TELNET_PORT, scaled(10_000));
      return p;
    };
    let esp: ChildProcess | null = null;
    /** Waits for the lock to do something, within the stage's CPU budget of the running Espruino. */
    const lockDoes = async <T>(what: string, fn: () => T | Promise<T>): Promise<NonNullable<T>> =>
      (await waitWithinCpu(what, fn, { pid: () => esp?.pid, cpuMs: STAGE_CPU_MS, wallCeilingMs: STAGE_WALL_CEILING_MS })).value;
    try {
      esp = await power();

      const port = 'tcp://127.0.0.1:' + TELNET_PORT;
      const flashed = await keyway(['flash', '--port', port, '--board-file', BOARD_FILE, '--no-throttle', '--no-progress'], {}, scaled(300_000));
      expect(flashed.stderr).not.toContain('keyway:');
      expect(flashed.code).toBe(0);
      stage('flashed');

      const prov = await keyway(['provision', '--port', port, '--relay', h.base, '--site', String(w.site.id), '--token', w.installer, '--timeout', '5000'], {}, scaled(300_000));
      expect(prov.stderr, prov.stdout + '\n--- espruino:\n' + out.slice(-3000)).toBe('');
      expect(prov.code).toBe(0);
      const id = /provisioned lock ([0-9a-f]{16})/.exec(prov.stdout)![1];
      stage('provisioned');

      const view = async () => (await h.api('GET', '/v1/devices/' + id, { token: w.owner.token })).body;
      await lockDoes('the lock online, locked, with trusted time', async () => {
        const v = await view();
        return v.online && v.status?.flags?.trustedTime && v.status.bolt === 'locked';
      });
      stage('online with trusted time');

      const now = Date.now();
      const d = await expectOk(h.api('POST', '/v1/deliveries', {
        token: w.backend.token,
        body: {
          siteId: w.site.id, deviceId: id, trackingNumber: 'TRK' + randomUUID().slice(0, 8), courierId: w.courier.id, inHome: true,
          window: { start: new Date(now - 60_000).toISOString(), end: new Date(now + 3600_000).toISOString() }
        }
      }), 201);
      await lockDoes('the courier grant staged', async () => (await h.api('GET', '/v1/deliveries/' + d.id, { token: w.backend.token })).body.staged);
      stage('courier grant staged');

      const entry = await h.api('POST', '/v1/deliveries/' + d.id + '/entry', { token: w.courier.token, headers: { 'idempotency-key': randomUUID() } });
      expect(entry.status, JSON.stringify(entry.body)).toBe(200);
      expect(entry.body.outcome).toBe('opened');
      stage('courier entered');

      await typeLine('kwSim.openDoor()');
      await lockDoes('the door reported open', async () => (await view()).status?.door === 'open');
      await typeLine('kwSim.closeDoor()');
      const receipt = await lockDoes('the secured receipt', async () => (await h.api('GET', '/v1/deliveries/' + d.id, { token: w.courier.token })).body.receipt);
      expect(receipt.eventSeq).toBeGreaterThan(0);
      expect((await view()).status.bolt).toBe('locked');
      stage('relocked, secured receipt');

      const unlock = await h.api('POST', '/v1/devices/' + id + '/unlock', { token: w.owner.token, body: { relockAfter: 3600 } });
      expect(unlock.status, JSON.stringify(unlock.body) + '\n--- espruino:\n' + out.slice(-3000)).toBe(200);
      await lockDoes('unlocked by the owner', async () => (await view()).status?.bolt === 'unlocked');
      const lock = await h.api('POST', '/v1/devices/' + id + '/lock', { token: w.owner.token, body: {} });
      expect(lock.status, JSON.stringify(lock.body) + '\n--- espruino:\n' + out.slice(-3000)).toBe(200);
      await lockDoes('locked by the owner', async () => (await view()).status?.bolt === 'locked');
      stage('owner unlock and lock');

      // A guest's grant, revoked while the lock is off: after its restart the lock confirms it and refuses the code.
      const g = await expectOk(h.api('POST', '/v1/sites/' + w.site.id + '/grants', {
        token: w.owner.token, body: { kind: 'guest', type: 'temporary', label: 'Sam', deviceId: id, window: { start: new Date(Date.now() - 60_000).toISOString(), end: new Date(Date.now() + 3600_000).toISOString() } }
      }), 201);
      const grantStatus = async () => (await h.api('GET', '/v1/grants/' + g.grant.id, { token: w.owner.token })).body.status;
      await lockDoes('the guest grant staged', async () => (await grantStatus()) === 'active');
      const codes = (await expectOk(h.api('GET', '/v1/grant-access/credentials?count=1', { token: g.accessToken }), 200)).credentials as string[];
      cpuBefore = lockCpuMs();
      await stop(esp);
      await waitUntil(async () => !(await view()).online, RELAY_MS, 'the relay sees the lock offline');
      await expectOk(h.api('DELETE', '/v1/grants/' + g.grant.id, { token: w.owner.token }), 200);
      expect(await grantStatus()).toBe('revoking');
      esp = await power();
      await lockDoes('the revocation confirmed by the restarted lock', async () => (await grantStatus()) === 'revoked');
      const events = async () => (await h.api('GET', '/v1/devices/' + id + '/events?limit=20', { token: w.owner.token })).body.items as Array<{ seq: number; type: string; reason: string }>;
      const before = Math.max(...(await events()).map((e) => e.seq));
      await typeLine('kwSim.scan(' + JSON.stringify(codes[0]) + ')');
      const denial = await lockDoes("the revoked guest's code refused", async () => (await events()).find((e) => e.seq > before && e.type === 'DENIAL'));
      expect((await events()).filter((e) => e.seq > before && e.type === 'OPERATION')).toEqual([]);
      expect((await view()).status.bolt).toBe('locked');
      stage('revoked across a restart, code refused (' + denial!.reason + ')');

      expect(out).not.toContain('Uncaught');
      console.log('Espruino delivery, from start (s): wall, the lock\'s CPU\n' + stages.map(([n, ms, cpu]) => '  ' + n + ': ' + (ms / 1000).toFixed(1) + ', ' + (cpu / 1000).toFixed(1)).join('\n'));
    } finally {
      // Stopped before the telnet port is released, so no other test reaches this Espruino.
      if (esp) await stop(esp);
    }
  }), scaled(1_800_000));
});
