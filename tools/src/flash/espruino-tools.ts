/**
 * EspruinoTools (npm `espruino`) as the transport for flashing: it opens serial ports and
 * `tcp://host:port` consoles the way the Espruino Web IDE does. It lives in globals
 * (`Espruino`), so it is loaded once per process, lazily.
 */
import { createRequire } from 'node:module';
import { SerialPort } from 'serialport';
import { CliError } from '../cli-error';

const require = createRequire(import.meta.url);

interface ToolsDevice {
  name: string;
  getPorts(cb: (ports: Array<{ path: string; description?: string }> | undefined, instant: boolean) => void): void;
  open(path: string, opened: (info?: string) => void, received: (data: ArrayBuffer) => void, disconnected: () => void): void;
  write(data: string, cb: () => void): void;
  close(cb?: () => void): void;
}

interface EspruinoGlobal {
  Config: Record<string, unknown>;
  Core: {
    Utils: Record<string, unknown>;
    Serial: {
      devices: ToolsDevice[];
      open(port: string, connected: (status: unknown) => void, disconnected: () => void): void;
      close(): void;
      write(data: string, showStatus: boolean, cb: () => void): void;
      startListening(fn: (data: ArrayBuffer) => void): unknown;
      isConnected(): boolean;
    };
  };
}

let ready: Promise<EspruinoGlobal> | null = null;

function tools(): Promise<EspruinoGlobal> {
  ready ??= new Promise((resolve) => {
    const esp = require('espruino') as { init(cb: () => void): void };
    // EspruinoTools logs chattily to the console; keep the CLI's output readable.
    const log = console.log;
    console.log = () => undefined;
    esp.init(() => {
      // Its chatter (every serial write, board JSON lookups) stays hidden unless KEYWAY_DEBUG is set;
      // the CLI writes its own output to stdout directly.
      console.log = process.env.KEYWAY_DEBUG ? log : () => undefined;
      if (!process.env.KEYWAY_DEBUG) console.warn = () => undefined;
      const E = (globalThis as unknown as { Espruino: EspruinoGlobal }).Espruino;
      // Flashing works offline: do not fetch board descriptions or modules from espruino.com
      // (keyway bundles everything the lock needs).
      E.Core.Utils.getURL = (_url: string, cb: (d?: string) => void) => cb(undefined);
      E.Core.Utils.getJSONURL = (_url: string, cb: (d?: unknown) => void) => cb(undefined);
      resolve(E);
    });
  });
  return ready;
}

export interface ToolsConnection {
  readonly name: string;
  write(data: string): Promise<void>;
  /** Resolves with the first received line that satisfies `match`. */
  readLine(match: (l: string) => boolean, timeoutMs: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * EspruinoTools opens only ports its transports list, and `serialport`'s listing skips
 * pseudo-terminals and adapters without USB ids. This transport lists exactly the port asked
 * for and opens it with an exclusive lock (a port held by another program fails to open).
 */
function explicitSerial(port: string, baudRate: number): ToolsDevice {
  let sp: SerialPort | null = null;
  return {
    name: 'keyway explicit serial',
    getPorts: (cb) => cb([{ path: port, description: 'keyway --port' }], true),
    open(path, opened, received, disconnected) {
      sp = new SerialPort({ path, baudRate, lock: true, autoOpen: false });
      sp.on('data', (b: Buffer) => received(b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer));
      sp.on('close', () => disconnected());
      sp.open((e) => opened(e ? undefined : 'Ok'));
    },
    write(data, cb) {
      sp?.write(Buffer.from(data, 'latin1'), () => sp?.drain(() => cb()));
    },
    close(cb) {
      if (sp?.isOpen) sp.close(() => cb?.());
      else cb?.();
    }
  };
}

export async function connectWithEspruinoTools(port: string, baudRate: number, throttle = true): Promise<ToolsConnection> {
  const E = await tools();
  E.Config.BAUD_RATE = baudRate;
  // 0 = throttle when unsure of the board (EspruinoTools' default), 2 = never.
  E.Config.SERIAL_THROTTLE_SEND = throttle ? 0 : 2;
  // It also pauses 250 ms after every Storage.write line unless told the upload method is safe;
  // `keyway flash` waits for the board's acknowledgement of each chunk instead.
  E.Config.STORAGE_UPLOAD_METHOD = throttle ? 0 : 1;
  E.Config.SERIAL_AUDIO = 0;
  // No Bluetooth scanning: it needs D-Bus and radios, and this tool flashes over a wire.
  E.Config.BLUETOOTH_LOW_ENERGY = false;
  E.Config.BLUETOOTH_LOW_ENERGY_DBUS = false;
  E.Config.WEB_BLUETOOTH = false;
  if (port.startsWith('tcp://')) E.Config.SERIAL_TCPIP = [port];
  else {
    E.Core.Serial.devices = E.Core.Serial.devices.filter((d) => d.name !== 'keyway explicit serial');
    E.Core.Serial.devices.unshift(explicitSerial(port, baudRate));
  }
  let buf = '';
  const waiters: Array<{ match: (l: string) => boolean; resolve: (l: string) => void }> = [];
  const lines: string[] = [];
  let closed = false;
  E.Core.Serial.startListening((data) => {
    buf += Buffer.from(data).toString('latin1');
    let i;
    while ((i = buf.search(/[\r\n]/)) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line) continue;
      const w = waiters.findIndex((x) => x.match(line));
      if (w >= 0) waiters.splice(w, 1)[0].resolve(line);
      else lines.push(line);
    }
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new CliError('KW_PORT_CLOSED', 'EspruinoTools could not open ' + port)), 10_000);
    E.Core.Serial.open(port, (status) => {
      clearTimeout(t);
      if (status === undefined) reject(new CliError('KW_PORT_CLOSED', 'EspruinoTools could not open ' + port));
      else resolve();
    }, () => {
      closed = true;
    });
  });
  return {
    name: port,
    // EspruinoTools queues writes in order but calls back only for long, status-showing ones;
    // every step here waits for the board's own answer line, so queueing is enough.
    write: (data) => {
      if (closed) return Promise.reject(new CliError('KW_PORT_CLOSED', port));
      E.Core.Serial.write(data, false, () => undefined);
      return Promise.resolve();
    },
    readLine: (match, timeoutMs) => {
      const idx = lines.findIndex(match);
      if (idx >= 0) return Promise.resolve(lines.splice(idx, 1)[0]);
      return new Promise((resolve, reject) => {
        const w = { match, resolve: (l: string) => (clearTimeout(t), resolve(l)) };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new CliError(closed ? 'KW_PORT_CLOSED' : 'KW_TIMEOUT', port));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    close: () => new Promise((resolve) => {
      if (!E.Core.Serial.isConnected()) return resolve();
      E.Core.Serial.close();
      setTimeout(resolve, 300);
    })
  };
}
