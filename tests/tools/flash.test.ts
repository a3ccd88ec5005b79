/**
 * `keyway flash` through EspruinoTools: onto the simulated Espruino REPL over a real socat
 * pseudo-terminal (always) and onto a real Espruino over tcp:// (its --telnet console, when
 * ESPRUINO points at a Linux build). The read-back must prove the board stores and runs the
 * build; wrong and busy ports fail with clear codes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { SerialPort } from 'serialport';
import { espruinoPath } from '../support/engines';
import { ptyPair } from '../support/pty';
import { ESPRUINO_TELNET_PORT, withTelnetPort } from '../support/telnet-port';
import { ROOT, keyway, simBoard } from '../support/processes';
import { scaled } from '../support/time-scale';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'kw-flash-'));
  dirs.push(d);
  return d;
}

describe('keyway flash', () => {
  it('writes, restarts and verifies the build on the simulated board (serial pty)', async () => {
    const pty = await ptyPair();
    const board = await simBoard(pty.a, path.join(tmp(), 'flash.json'));
    try {
      const r = await keyway(['flash', '--port', pty.b, '--no-throttle']);
      expect(r.stderr).not.toContain('keyway:');
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/flash espruino-wifi 100%/); // the progress bar
      const sha = /sha256 ([0-9a-f]{64})/.exec(r.stdout.split('\n').pop() || r.stdout)![1];
      expect(r.stdout).toContain('runs espruino-wifi 0.1.0 sha256 ' + sha);
      // A second flash over the same firmware works too (idempotent).
      const again = await keyway(['flash', '--port', pty.b, '--no-throttle', '--no-progress']);
      expect(again.code).toBe(0);
    } finally {
      await board.kill();
      await pty.close();
    }
  }, scaled(120_000));

  it('reports a missing port and a busy port with their codes, touching nothing', async () => {
    const missing = await keyway(['flash', '--port', '/dev/no-such-tty', '--no-progress']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('KW_PORT_NOT_FOUND');
    const pty = await ptyPair();
    try {
      const holder = new SerialPort({ path: pty.b, baudRate: 115200, lock: true, autoOpen: false });
      await new Promise<void>((res, rej) => holder.open((e) => (e ? rej(e) : res())));
      const busy = await keyway(['flash', '--port', pty.b, '--no-progress']);
      await new Promise<void>((res) => holder.close(() => res()));
      expect(busy.code).toBe(3);
      expect(busy.stderr).toContain('KW_PORT_BUSY');
      expect(busy.stderr).not.toContain('may have been changed');
      const tcp = await keyway(['flash', '--port', 'tcp://127.0.0.1:1', '--no-progress']);
      expect(tcp.code).toBe(3);
      expect(tcp.stderr).toContain('KW_PORT_NOT_FOUND');
    } finally {
      await pty.close();
    }
  }, scaled(60_000));

  it.runIf(espruinoPath() !== null)('flashes a real Espruino over tcp:// (its --telnet console) and reads the build back', () => withTelnetPort(async () => {
    const dir = tmp();
    const esp = spawn(espruinoPath()!, ['--telnet'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      // --telnet listens on port 2323.
      const end = Date.now() + 10_000;
      for (;;) {
        const ok = await new Promise<boolean>((res) => {
          const s = net.connect(ESPRUINO_TELNET_PORT, '127.0.0.1', () => (s.destroy(), res(true)));
          s.on('error', () => res(false));
        });
        if (ok) break;
        if (Date.now() > end) throw new Error('espruino --telnet did not listen');
        await new Promise((r) => setTimeout(r, 100));
      }
      const r = await keyway(['flash', '--port', 'tcp://127.0.0.1:' + ESPRUINO_TELNET_PORT, '--board-file', path.join(ROOT, 'tests/fixtures/espruino-linux-board.json'), '--no-throttle', '--no-progress']);
      expect(r.stderr).not.toContain('keyway:');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/runs espruino-linux 0\.1\.0 sha256 [0-9a-f]{64}/);
    } finally {
      esp.kill('SIGKILL');
    }
  }), scaled(900_000));
});
