/**
 * `keyway provision` end to end over real serial I/O: socat pseudo-terminals, the real
 * `serialport` library in the CLI, the real firmware bundle running on the simulated board,
 * and a real relay. The lock must come online under its site; re-provisioning needs install
 * mode; garbled lines are retried; wrong and busy ports, a board without firmware, a silent
 * board and a power cut mid-provisioning all fail clearly and leave no half-written state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { board } from '@keyway/hardware';
import { buildFirmware } from '../../tools/src/firmware/build';
import { expectOk, startRelay, waitUntil, type Harness } from '../support/relay-harness';
import { ptyPair, type PtyPair } from '../support/pty';
import { keyway, simBoard, type Child } from '../support/processes';
import { scaled } from '../support/time-scale';

let relay: Harness;
let ownerToken = '';
let installer = '';
let siteId = 0;
let firmwareCode = '';
const dirs: string[] = [];

function flashWithFirmware(code: string | null): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-flash-'));
  dirs.push(dir);
  const file = path.join(dir, 'flash.json');
  writeFileSync(file, JSON.stringify(code === null ? {} : { '.bootcde': Buffer.from(code, 'latin1').toString('base64') }));
  return file;
}

async function rig(code: string | null = firmwareCode): Promise<{ pty: PtyPair; board: Child; flash: string; close(): Promise<void> }> {
  const pty = await ptyPair();
  const flash = flashWithFirmware(code);
  const b = await simBoard(pty.a, flash);
  return {
    pty, board: b, flash,
    close: async () => {
      await b.kill();
      await pty.close();
    }
  };
}

function provisionArgs(port: string): string[] {
  return ['provision', '--port', port, '--relay', relay.base, '--site', String(siteId), '--token', installer, '--timeout', '1500'];
}

async function deviceView(id: string) {
  return (await relay.api('GET', '/v1/devices/' + id, { token: ownerToken })).body;
}

beforeAll(async () => {
  relay = await startRelay();
  const email = 'installer-test@example.test';
  await expectOk(relay.api('POST', '/v1/owners', { token: relay.admin, body: { email, name: 'Owner', password: 'correct horse battery staple' } }), 201);
  ownerToken = (await expectOk(relay.api('POST', '/v1/auth/login', { body: { email, password: 'correct horse battery staple' } }))).token;
  siteId = (await expectOk(relay.api('POST', '/v1/sites', { token: ownerToken, body: { name: 'Home', timezone: 'Europe/Berlin', allowInHomeDelivery: true } }), 201)).id;
  installer = (await expectOk(relay.api('POST', '/v1/installers', { token: relay.admin, body: { label: 'van 1' } }), 201)).token;
  firmwareCode = (await buildFirmware(board('espruino-wifi'))).code;
}, scaled(120_000));

afterAll(async () => {
  await relay?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('keyway provision over a serial line', () => {
  it('provisions a fresh lock, which comes online at the relay with trusted time; re-runs need install mode', async () => {
    const r = await rig();
    try {
      const first = await keyway(provisionArgs(r.pty.b));
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      const id = /provisioned lock ([0-9a-f]{16})/.exec(first.stdout)![1];
      const online = await waitUntil(async () => {
        const v = await deviceView(id);
        return v.online && v.status?.flags?.trustedTime ? v : null;
      }, 30_000, 'lock online with trusted time');
      expect(online.siteId).toBe(siteId);
      expect(online.board).toBe('espruino-wifi');
      // The lock reported its own receipt key on the console; the installer's run pinned it at the relay.
      const lockKey = /lock key ([0-9a-f]{64})/.exec(first.stdout)![1];
      expect(online.lockKey).toBe(lockKey);

      // Not in install mode: refused before the relay is contacted, the lock stays online.
      const again = await keyway(provisionArgs(r.pty.b));
      expect(again.code).toBe(6);
      expect(again.stderr).toContain('KW_PROV_NOT_INSTALL_MODE');
      await new Promise((res) => setTimeout(res, 500));
      expect((await deviceView(id)).online).toBe(true);

      // Holding the inside button 6 s enters install mode; the re-run keeps the identity.
      await r.board.control('button 6000');
      await new Promise((res) => setTimeout(res, 6500));
      const third = await keyway(provisionArgs(r.pty.b));
      expect(third.code).toBe(0);
      expect(third.stdout).toContain('provisioned lock ' + id);
      expect(third.stdout).toContain('re-provisioning');
      expect(third.stdout).toContain('lock key ' + lockKey); // the key belongs to the board: re-provisioning keeps it
      await waitUntil(async () => (await deviceView(id)).online, 30_000, 'online after re-provisioning');
    } finally {
      await r.close();
    }
  }, scaled(180_000));

  it('retries garbled replies and still verifies the result', async () => {
    const r = await rig();
    try {
      await r.board.control('garble 3');
      const res = await keyway(provisionArgs(r.pty.b));
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/3 garbled repl/);
    } finally {
      await r.close();
    }
  }, scaled(120_000));

  it('a power cut in the middle leaves the previous state, and provisioning then succeeds', async () => {
    const r = await rig();
    try {
      await r.board.control('die-after 3'); // HELLO, BEGIN, first CHUNK: then the board loses power
      const cut = await keyway(provisionArgs(r.pty.b));
      expect(cut.code).not.toBe(0);
      expect(cut.stderr).toMatch(/KW_TIMEOUT|KW_PORT_CLOSED/);
      const flash = JSON.parse(readFileSync(r.flash, 'utf8')) as Record<string, string>;
      expect(Object.keys(flash).filter((n) => n.startsWith('kwcfg'))).toEqual([]); // nothing half-written
      // Power back on, same flash: still unprovisioned, and a new run works.
      const b2 = await simBoard(r.pty.a, r.flash);
      try {
        const ok = await keyway(provisionArgs(r.pty.b));
        expect(ok.code).toBe(0);
      } finally {
        await b2.kill();
      }
    } finally {
      await r.close();
    }
  }, scaled(120_000));

  it('checks the relay URL and the installer token before it opens the port', async () => {
    const pty = await ptyPair();
    // Another program holds the port: a run that opened it would fail with KW_PORT_BUSY.
    const holder = new SerialPort({ path: pty.b, baudRate: 115200, lock: true, autoOpen: false });
    await new Promise<void>((res, rej) => holder.open((e) => (e ? rej(e) : res())));
    try {
      const args = (relayUrl: string, token: string) => ['provision', '--port', pty.b, '--relay', relayUrl, '--site', String(siteId), '--token', token];
      const wrongToken = await keyway(args(relay.base, 'kw_installer_' + 'x'.repeat(43)));
      expect(wrongToken.stderr).toContain('KW_RELAY:');
      expect(wrongToken.code).toBe(7);
      const ownerInstead = await keyway(args(relay.base, ownerToken));
      expect(ownerInstead.stderr).toContain('not an installer token');
      expect(ownerInstead.code).toBe(7);
      const nowhere = await keyway(args('http://127.0.0.1:9', installer));
      expect(nowhere.stderr).toContain('KW_RELAY_UNREACHABLE');
      expect(nowhere.code).toBe(7);
      const viaEnv = await keyway(['provision', '--port', pty.b, '--relay', 'http://127.0.0.1:9', '--site', String(siteId)], { KEYWAY_INSTALLER_TOKEN: installer });
      expect(viaEnv.stderr).toContain('KW_RELAY_UNREACHABLE');
    } finally {
      await new Promise<void>((res) => holder.close(() => res()));
      await pty.close();
    }
  }, scaled(120_000));

  it('fails clearly on a wrong port, a busy port, a board without firmware and a silent board', async () => {
    const missing = await keyway(provisionArgs('/dev/does-not-exist'));
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('KW_PORT_NOT_FOUND');

    const r = await rig();
    try {
      const holder = new SerialPort({ path: r.pty.b, baudRate: 115200, lock: true, autoOpen: false });
      await new Promise<void>((res, rej) => holder.open((e) => (e ? rej(e) : res())));
      const busy = await keyway(provisionArgs(r.pty.b));
      await new Promise<void>((res) => holder.close(() => res()));
      expect(busy.code).toBe(3);
      expect(busy.stderr).toContain('KW_PORT_BUSY');

      await r.board.control('mute on');
      const silent = await keyway(provisionArgs(r.pty.b));
      expect(silent.code).toBe(4);
      expect(silent.stderr).toContain('KW_NO_PROMPT');
    } finally {
      await r.close();
    }

    const blank = await rig(null);
    try {
      const none = await keyway(provisionArgs(blank.pty.b));
      expect(none.code).toBe(6);
      expect(none.stderr).toContain('KW_PROV_NO_FIRMWARE');
    } finally {
      await blank.close();
    }
  }, scaled(120_000));
});
