/**
 * `npx tsx hardware/src/node/sim-board.ts --port <serial path> --board <id> --flash <file>`:
 * a simulated Espruino board on a serial line (a pty from socat in tests), for flashing and
 * provisioning against real serial I/O. Its flash lives in <file>, so killing the process is
 * a power cut. Lines on stdin act on the physical board: `button <ms>`, `door open|close`,
 * `camera ok|broken`, `scan <text>`.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { SerialPort } from 'serialport';
import { board as boardProfile } from '../boards';
import { openFlashFile } from './flash-file';
import { SimRepl } from './sim-repl';

export interface SimBoardOptions {
  port: string;
  board: string;
  flash: string;
  insecureTls?: boolean;
}

export async function startSimBoard(o: SimBoardOptions): Promise<{ repl: SimRepl; close(): Promise<void> }> {
  const serial = new SerialPort({ path: o.port, baudRate: 115200, lock: false, autoOpen: false });
  await new Promise<void>((resolve, reject) => serial.open((e) => (e ? reject(e) : resolve())));
  const faults = { garble: 0, dieAfter: 0, mute: false, dead: false };
  const repl = new SimRepl({
    board: boardProfile(o.board),
    storage: openFlashFile(o.flash),
    write: (d) => {
      if (faults.mute || faults.dead) return;
      const reply = d.includes('KWP:');
      if (reply && faults.garble > 0) {
        // Line noise: one character of the reply's base64 flipped.
        faults.garble--;
        const i = d.indexOf('KWP:') + 10;
        d = d.slice(0, i) + (d[i] === 'A' ? 'B' : 'A') + d.slice(i + 1);
      }
      serial.write(Buffer.from(d, 'latin1'));
      if (reply && faults.dieAfter > 0 && --faults.dieAfter === 0) {
        // Power cut: from now on nothing is processed or written; the process dies as soon as
        // the last reply is on the wire, with whatever the flash file holds.
        faults.dead = true;
        serial.drain(() => process.kill(process.pid, 'SIGKILL'));
      }
    },
    net: { insecure: o.insecureTls }
  });
  (repl as SimRepl & { faults?: typeof faults }).faults = faults;
  serial.on('data', (b: Buffer) => {
    if (!faults.dead) repl.input(b.toString('latin1'));
  });
  repl.start();
  return {
    repl,
    close: () => new Promise<void>((resolve) => {
      repl.stop();
      serial.close(() => resolve());
    })
  };
}

/**
 * Acts on the simulated board: `button <ms>`, `door open [force]|close`, `camera ok|broken`,
 * `scan <text>`, and test faults on the serial line: `garble <n>` (corrupt the next n
 * provisioning replies), `die-after <n>` (power cut after n more replies), `mute on|off`.
 */
export function control(repl: SimRepl, line: string): void {
  const [cmd, arg, ...rest] = line.trim().split(/\s+/);
  const dev = repl.device;
  const faults = (repl as SimRepl & { faults?: { garble: number; dieAfter: number; mute: boolean } }).faults;
  if (faults && cmd === 'garble') faults.garble = Number(arg);
  if (faults && cmd === 'die-after') faults.dieAfter = Number(arg);
  if (faults && cmd === 'mute') faults.mute = arg === 'on';
  if (cmd === 'button') dev.pressButton(Number(arg ?? 100));
  else if (cmd === 'door' && arg === 'open') dev.openDoor(rest[0] === 'force');
  else if (cmd === 'door') dev.closeDoor();
  else if (cmd === 'camera') dev.physics.cameraHealthy = arg === 'ok';
  else if (cmd === 'scan') dev.scan([arg, ...rest].join(' '));
}

if (process.argv[1] && process.argv[1].endsWith('sim-board.ts')) {
  const { values } = parseArgs({ options: { port: { type: 'string' }, board: { type: 'string', default: 'espruino-wifi' }, flash: { type: 'string' }, 'insecure-tls': { type: 'boolean', default: false } } });
  if (!values.port || !values.flash) {
    console.error('usage: sim-board --port <serial path> --flash <file> [--board <id>]');
    process.exit(2);
  }
  const b = await startSimBoard({ port: values.port, board: values.board!, flash: values.flash, insecureTls: values['insecure-tls'] });
  createInterface({ input: process.stdin }).on('line', (line) => {
    control(b.repl, line);
    console.error('control-ok ' + line.trim());
  });
  const stop = () => void b.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.error('sim-board ready on ' + values.port);
}
