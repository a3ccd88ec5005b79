/**
 * `keyway flash` (docs/provisioning.md): writes a firmware build into the board's Storage as `.bootcde`
 * (what Espruino runs at boot) through EspruinoTools, with a progress bar, then restarts the
 * board and reads back both what is stored (CRC-32 of `.bootcde`) and what is running
 * (`KEYWAY_BUILD`, the build's SHA-256 stamp). Any difference is an error.
 */
import { existsSync } from 'node:fs';
import net from 'node:net';
import { crc32 } from '@keyway/shared';
import { CliError } from '../cli-error';
import type { FirmwareBuild } from '../firmware/build';
import { progressBar, type Progress } from '../progress';
import { evaluate, getPrompt, run, type LineIO } from '../serial/repl';
import { openLink } from '../serial/serial-link';
import { connectWithEspruinoTools } from './espruino-tools';

export interface FlashOptions {
  port: string;
  baudRate?: number;
  /** Bytes of firmware per Storage.write line. */
  chunk?: number;
  progress?: boolean;
  /** How long the board may take to start the new firmware. */
  bootTimeoutMs?: number;
  /** EspruinoTools' send throttling (default on): off for USB boards and fast links. */
  throttle?: boolean;
}

export interface FlashResult {
  bytes: number;
  crc32: number;
  running: { version: string; board: string; sha256: string };
  seconds: number;
}

/**
 * Opens and closes the port ourselves first: EspruinoTools reports every failure the same way.
 * `keyway flash` also calls it before the (slow) build, so a wrong or busy port fails at once.
 */
export async function probePort(port: string): Promise<void> {
  if (port.startsWith('tcp://')) {
    const u = new URL(port);
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: u.hostname, port: Number(u.port) }, () => {
        s.destroy();
        resolve();
      });
      s.once('error', (e) => reject(new CliError('KW_PORT_NOT_FOUND', port + ': ' + e.message)));
    });
    return;
  }
  if (!existsSync(port)) throw new CliError('KW_PORT_NOT_FOUND', port);
  const link = await openLink(port);
  await link.close();
}

export async function flashFirmware(build: FirmwareBuild, o: FlashOptions): Promise<FlashResult> {
  const t0 = Date.now();
  await probePort(o.port);
  const io = await connectWithEspruinoTools(o.port, o.baudRate ?? 115200, o.throttle !== false);
  let touched = false;
  try {
    await getPrompt(io);
    const code = Buffer.from(build.code, 'latin1');
    const chunk = o.chunk ?? (o.throttle === false ? 2048 : 768);
    const bar: Progress | null = o.progress === false ? null : progressBar('flash ' + build.board, code.length);
    touched = true;
    await run(io, 'require("Storage").erase(".bootcde")');
    for (let off = 0; off < code.length; off += chunk) {
      const part = code.subarray(off, Math.min(code.length, off + chunk)).toString('base64');
      await run(io, 'require("Storage").write(".bootcde",atob("' + part + '"),' + off + ',' + code.length + ')', 10_000);
      bar?.update(Math.min(code.length, off + chunk));
    }
    bar?.finish(code.length + ' bytes');
    const stored = await evaluate<number>(io, 'E.CRC32(require("Storage").read(".bootcde"))');
    const want = crc32(code);
    if (stored !== want) throw new CliError('KW_FLASH_FAILED', 'stored CRC-32 ' + stored + ' but sent ' + want, true);
    await io.write('\x10load()\n');
    const running = await waitForBuild(io, o.bootTimeoutMs ?? 15_000);
    if (!running || running.sha256 !== build.sha256) {
      throw new CliError('KW_FLASH_MISMATCH', 'running ' + JSON.stringify(running) + ', flashed sha256 ' + build.sha256, true);
    }
    return { bytes: code.length, crc32: want, running, seconds: (Date.now() - t0) / 1000 };
  } catch (e) {
    if (e instanceof CliError) throw touched && !e.deviceTouched ? new CliError(e.code, e.message, true) : e;
    throw new CliError('KW_FLASH_FAILED', String((e as Error).message ?? e), touched);
  } finally {
    await io.close();
  }
}

async function waitForBuild(io: LineIO, timeoutMs: number): Promise<{ version: string; board: string; sha256: string } | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      await new Promise((r) => setTimeout(r, 300));
      // No Ctrl-C while the new firmware boots: it would break into the boot.
      await getPrompt(io, 1500, { interrupt: false });
      const b = await evaluate<{ version: string; board: string; sha256: string } | undefined>(io, 'typeof KEYWAY_BUILD==="undefined"?undefined:KEYWAY_BUILD', 2000);
      if (b) return b;
    } catch (e) {
      if (Date.now() > end) throw e;
    }
    if (Date.now() > end) return undefined;
  }
}
