/**
 * A simulated Espruino board behind a serial line (docs/provisioning.md): the REPL protocol EspruinoTools
 * and `keyway` speak (echo, `\x10` quiet lines, `>` prompts, `=result`, Ctrl-C, ESC [ 2 H to erase
 * the line), the Storage module (including chunked `write(name, data, offset, size)`), `load()`/`reset()`, and the
 * flashed program running in a vm context whose Espruino globals are backed by the hardware
 * simulator. Whatever `keyway flash` stores in `.bootcde` is exactly what runs.
 */
import { randomBytes } from 'node:crypto';
import vm from 'node:vm';
import { crc32 } from '@keyway/shared';
import type { BoardProfile } from '@keyway/firmware';
import { createSimDevice, type SimDevice } from '../sim/device';
import { createPhysics, type Physics } from '../sim/physics';
import type { SimStorage } from '../sim/storage';
import { createRealLoop, disposeLoop } from './real-loop';
import { nodeConnect, type NodeNetOptions } from './node-net';

export interface SimReplOptions {
  board: BoardProfile;
  storage: SimStorage;
  /** Writes bytes to the serial line. */
  write(data: string): void;
  net?: NodeNetOptions;
  /** Called when the program asks for a reboot that the REPL performs itself. */
  onReboot?: () => void;
}

const BANNER = '\r\n ____                 _ \r\n|  __|___ ___ ___ _ _|_|___ ___ \r\n|  __|_ -| . |  _| | | |   | . |\r\n' +
  '|____|___|  _|_| |___|_|_|_|___|\r\n         |_| espruino.com\r\n 2v29 (keyway simulator)\r\n\r\n>';

export class SimRepl {
  readonly board: BoardProfile;
  readonly storage: SimStorage;
  readonly physics: Physics;
  device!: SimDevice;
  private context!: vm.Context;
  private line = '';
  private quiet = false;
  /** The part of an escape sequence (ESC [ …) received so far, '' outside one. */
  private escape = '';
  private loop = createRealLoop();
  private out: (s: string) => void;
  private printed = false;

  constructor(private readonly opts: SimReplOptions) {
    this.board = opts.board;
    this.storage = opts.storage;
    this.out = opts.write;
    this.physics = createPhysics(null, 1, false);
  }

  /** Powers the board on: banner, then runs `.bootcde` if present. */
  start(): void {
    this.boot(true);
  }

  stop(): void {
    disposeLoop(this.loop);
  }

  /** Bytes arriving on the serial line. */
  input(data: string): void {
    for (const ch of data) {
      if (this.escape.length > 0 || ch === '\x1b') {
        this.escapeChar(ch);
      } else if (ch === '\x03') {
        this.line = '';
        this.quiet = false;
        this.out('\r\n>');
      } else if (ch === '\x10' && this.line.length === 0) {
        this.quiet = true;
      } else if (ch === '\n' || ch === '\r') {
        const line = this.line;
        const quiet = this.quiet;
        this.line = '';
        this.quiet = false;
        this.execute(line, quiet);
      } else if (ch === '\x04') {
        // Ctrl-D: ignored by a board (the Linux build would exit).
      } else {
        this.line += ch;
        if (!this.quiet) this.out(ch);
        if (this.line.length > 64 * 1024) this.line = '';
      }
    }
  }

  /** Cursor keys are ignored; ESC [ 2 H erases the line typed so far, as Espruino does. */
  private escapeChar(ch: string): void {
    this.escape += ch;
    if (this.escape === '\x1b' || this.escape === '\x1b[' || (this.escape.length > 2 && ch >= '0' && ch <= '9')) return;
    if (this.escape === '\x1b[2H') this.line = '';
    this.escape = '';
  }

  private execute(line: string, quiet: boolean): void {
    if (line.trim().length === 0) {
      this.out('\r\n>');
      return;
    }
    if (!quiet) this.out('\r\n');
    this.printed = false;
    try {
      const result = vm.runInContext(line, this.context, { timeout: 10_000 });
      if (!quiet) this.out('=' + show(result) + '\r\n>');
      else if (this.printed) this.out('>');
    } catch (e) {
      this.out('Uncaught ' + String((e as Error).message ?? e) + '\r\n>');
    }
  }

  private print(text: string): void {
    this.printed = true;
    this.out(text + '\r\n');
  }

  /** Restarts the interpreter; with `runBootCode` the stored program runs (like `load()`). */
  private boot(runBootCode: boolean, banner = true): void {
    disposeLoop(this.loop);
    this.loop = createRealLoop();
    this.device = createSimDevice({
      board: this.board, loop: this.loop, physics: this.physics, storage: this.storage,
      random: () => randomBytes(4).readUInt32BE() / 4294967296,
      connect: nodeConnect(this.opts.net)
    });
    this.context = vm.createContext(this.globals());
    if (banner) this.out(BANNER);
    const code = runBootCode ? this.storage.read('.bootcde') : undefined;
    if (code !== undefined) {
      try {
        vm.runInContext(code, this.context, { filename: '.bootcde' });
      } catch (e) {
        this.out('Uncaught ' + String((e as Error).stack ?? e) + '\r\n>');
      }
    }
  }

  private globals(): Record<string, unknown> {
    const env = this.device.env;
    // The Espruino globals below call back into this REPL (print, load, reboot).
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const repl = this;
    const storage = this.storage;
    const storageModule = {
      read(name: string, offset?: number, length?: number) {
        const s = storage.read(name);
        if (s === undefined) return undefined;
        return offset === undefined ? s : s.substr(offset, length ?? s.length - offset);
      },
      write(name: string, data: string, offset?: number, size?: number) {
        const d = typeof data === 'string' ? data : String(data);
        if (offset === undefined) return storage.write(name, d);
        if (offset === 0 && size !== undefined) return storage.write(name, d + '\xff'.repeat(Math.max(0, size - d.length)));
        const cur = storage.read(name);
        if (cur === undefined || offset + d.length > cur.length) throw new Error('Storage: chunk outside the file created with size');
        return storage.write(name, cur.slice(0, offset) + d + cur.slice(offset + d.length));
      },
      erase: (name: string) => storage.erase(name),
      list: (pattern?: RegExp) => storage.list(pattern),
      readJSON: (name: string) => {
        const s = storage.read(name);
        return s === undefined ? undefined : JSON.parse(s);
      },
      writeJSON: (name: string, v: unknown) => storage.write(name, JSON.stringify(v)),
      getFree: () => 262144 - Object.values(storage.files).reduce((n, f) => n + f.length, 0)
    };
    const net = (tls: boolean) => ({
      connect: (o: { host: string; port: number }, cb: () => void) => env.connect!(o, tls, cb)
    });
    const ctx: Record<string, unknown> = {
      digitalWrite: env.digitalWrite, digitalRead: env.digitalRead, analogRead: env.analogRead, analogWrite: env.analogWrite,
      pinMode: env.pinMode, setWatch: env.setWatch, clearWatch: () => undefined,
      setTimeout: env.setTimeout, clearTimeout: env.clearTimeout,
      setInterval: (fn: () => void, ms: number) => {
        const tick = () => {
          fn();
          id = env.setTimeout(tick, ms);
        };
        let id = env.setTimeout(tick, ms);
        return () => env.clearTimeout(id);
      },
      getTime: env.getTime,
      print: (...a: unknown[]) => repl.print(a.map(String).join(' ')),
      console: { log: (...a: unknown[]) => repl.print(a.map(String).join(' ')) },
      atob: (s: string) => Buffer.from(s, 'base64').toString('latin1'),
      btoa: (s: string) => Buffer.from(s, 'latin1').toString('base64'),
      require: (name: string) => {
        if (name === 'Storage') return storageModule;
        if (name === 'net') return net(false);
        if (name === 'tls') return net(true);
        throw new Error('Module ' + name + ' not found');
      },
      E: {
        hwRand: env.hwRand,
        enableWatchdog: (s: number) => env.enableWatchdog(s),
        reboot: () => setImmediate(() => {
          repl.boot(true);
          repl.opts.onReboot?.();
        }),
        CRC32: (d: string | Uint8Array) => crc32(typeof d === 'string' ? Buffer.from(d, 'latin1') : d),
        getSizeOf: () => 0
      },
      process: {
        env: { VERSION: '2v29-sim', BOARD: this.board.espruinoBoard, MODULES: 'Storage,net,tls' },
        memory: () => ({ free: this.board.variables, usage: 0, total: this.board.variables })
      },
      load: () => setImmediate(() => repl.boot(true, false)),
      reset: () => setImmediate(() => repl.boot(false, false))
    };
    for (const [name, serial] of Object.entries(this.device.serials)) if (name !== 'console') ctx[name] = serial;
    ctx.global = ctx;
    return ctx;
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return 'function () { [native code] }';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
