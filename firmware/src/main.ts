/**
 * The Espruino entry point (bundled by `keyway firmware build`, stored in Storage and run
 * at boot). Builds the EspruinoEnv from the interpreter's globals and starts the lock.
 * KEYWAY_BOARD and KEYWAY_OPTIONS are injected by the build.
 */
import type { BoardProfile } from './board';
import { createLock, startLock } from './boot';
import type { LockOptions } from './lock-state';
import type { EspruinoEnv } from './platform/espruino-env';
import { createEspruinoPorts } from './platform/espruino-ports';
import { createProvisioningSession, provisionFrame } from './provisioning';

declare const KEYWAY_BOARD: BoardProfile;
declare const KEYWAY_OPTIONS: Partial<LockOptions>;
declare const E: any;
declare const process: any;
declare function require(name: string): any;
declare function digitalWrite(pin: any, v: number): void;
declare function digitalRead(pin: any): number;
declare function analogRead(pin: any): number;
declare function analogWrite(pin: any, v: number, o?: any): void;
declare function pinMode(pin: any, mode: string): void;
declare function setWatch(fn: (e: any) => void, pin: any, o: any): any;
declare function setTimeout(fn: () => void, ms: number): any;
declare function clearTimeout(id: any): void;
declare function getTime(): number;
declare function print(text: string): void;
declare function load(): void;

/** `process.env.BOARD` of Espruino's Linux build. */
const LINUX_BUILD = 'LINUX';
declare const global: any;

function serialNamed(name: string): any {
  return global[name];
}

function espruinoEnv(board: BoardProfile): EspruinoEnv {
  let crypto: any = null;
  try {
    crypto = require('crypto');
  } catch (_e) {
    crypto = null;
  }
  const serial: any = {};
  if (board.barcodeSerial) serial[board.barcodeSerial] = serialNamed(board.barcodeSerial);
  let wifiConnect: any = null;
  if (board.wifi === 'esp32') {
    wifiConnect = function (ssid: string, o: any, cb: (e: any) => void) {
      require('Wifi').connect(ssid, o, cb);
    };
  } else if (board.wifi === 'espruino-wifi') {
    wifiConnect = function (ssid: string, o: any, cb: (e: any) => void) {
      require('EspruinoWiFi').connect(ssid, o, cb);
    };
  }
  return {
    digitalWrite: digitalWrite, digitalRead: digitalRead, analogRead: analogRead, analogWrite: analogWrite, pinMode: pinMode,
    setWatch: setWatch, setTimeout: setTimeout, clearTimeout: clearTimeout, getTime: getTime,
    storage: require('Storage'),
    connect: function (o: { host: string; port: number }, tls: boolean, cb: () => void) {
      return tls ? require('tls').connect(o, cb) : require('net').connect(o, cb);
    },
    wifiConnect: wifiConnect,
    serial: serial,
    hwRand: function () {
      return E.hwRand();
    },
    enableWatchdog: function (s: number) {
      // Automatic: Espruino kicks it whenever it is back in its idle loop (and wakes from sleep in
      // time to do so), so only a callback that never returns lets it reset the board.
      E.enableWatchdog(s, true);
    },
    reboot: function () {
      // Espruino's Linux build answers E.reboot() with "Not implemented" and exits. load() resets
      // the interpreter and runs the boot files from Storage again, as a reset does on a board.
      if (board.espruinoBoard === LINUX_BUILD) load();
      else E.reboot();
    },
    print: print,
    convolve: E.convolve ? function (a: any, b: any, o: number) {
      return E.convolve(a, b, o);
    } : null,
    sha512: crypto && crypto.SHA512 ? function (m: Uint8Array) {
      return crypto.SHA512(m);
    } : null,
    crc32: E.CRC32 ? function (m: Uint8Array) {
      return E.CRC32(m);
    } : null,
    memory: function () {
      return process.memory();
    }
  };
}

/**
 * Board hygiene before anything else: the console goes where the profile says (never the
 * barcode UART, or a scanned code would be run as JavaScript), and remote consoles that an
 * Espruino build opens by default (Telnet on ESP32, the BLE UART on nRF52) are closed:
 * anyone in range could otherwise type into the lock.
 */
function secureConsole(board: BoardProfile): BoardProfile {
  const held = digitalRead(board.pins.button) === (board.inputsActiveLow ? 0 : 1);
  let out = board;
  if (board.serviceConsoleOnButton && held) {
    // Service boot: the console stays on the shared UART, the barcode reader stays off.
    out = JSON.parse(JSON.stringify(board));
    out.barcodeSerial = undefined;
  } else if (board.console && global[board.console] && global[board.console].setConsole) {
    global[board.console].setConsole(true);
  }
  if (board.remoteConsole === 'telnet') {
    try {
      require('TelnetServer').setOptions({ mode: 'off' });
    } catch (_e) {
      // Build without TelnetServer: nothing to close.
    }
  } else if (board.remoteConsole === 'ble-uart') {
    global.NRF.setServices(undefined, { uart: false });
  }
  return out;
}

/**
 * Boot runs from a timer callback, never from the bundle's top level: Espruino builds an
 * exception's stack trace by copying each frame's source text into RAM, and the top-level frame
 * is the whole 70 KB bundle. Any exception during boot (a refused socket, a torn record being
 * decoded) would otherwise exhaust memory; from a callback the outermost frame is a few lines.
 */
setTimeout(function () {
  const board = secureConsole(KEYWAY_BOARD);
  const lock = createLock(createEspruinoPorts(espruinoEnv(board), board), board, KEYWAY_OPTIONS);
  const provisioning = createProvisioningSession();
  global.keyway = lock;
  /** The provisioning console: `kwProv("<base64 frame>")` typed into the REPL prints `KWP:<reply>`. */
  global.kwProv = function (line: string) {
    print(provisionFrame(lock, provisioning, line));
  };
  startLock(lock, 0);
}, 0);
