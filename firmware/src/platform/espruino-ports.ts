/**
 * The lock's ports over Espruino's API and a board profile (docs/firmware.md). Strings from Storage,
 * sockets and serial are Espruino binary strings (one char per byte).
 */
import type { BoardProfile } from '../board';
import type { HardwarePort, LinePort, NetPort, Ports, SocketHandlers, StoragePort } from '../ports';
import type { EspruinoEnv, EspruinoSerial, EspruinoStorage } from './espruino-env';

/** The camera link's default speed (docs/protocol.md §6.1). */
export const CAMERA_BAUD = 115200;

/** Bytes per String.fromCharCode call: far below any engine's argument limit. */
const BINARY_CHUNK = 256;

/**
 * One native call per chunk instead of one interpreted step per byte (records are written at the
 * door). The chunk's end is clamped by hand: Espruino's `subarray` does not clamp an end past the
 * array (it returns a view reaching beyond it).
 */
export function bytesToBinary(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += BINARY_CHUNK) {
    s += String.fromCharCode.apply(null, b.subarray(i, Math.min(i + BINARY_CHUNK, b.length)) as unknown as number[]);
  }
  return s;
}

export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** A StoragePort over Espruino's Storage module (binary strings in, bytes out). */
export function storagePort(storage: EspruinoStorage): StoragePort {
  return {
    read: function (name) {
      const s = storage.read(name);
      return s === undefined || s === null ? null : binaryToBytes(s);
    },
    write: function (name, data) {
      try {
        return storage.write(name, bytesToBinary(data)) !== false;
      } catch (_e) {
        return false;
      }
    },
    erase: function (name) {
      storage.erase(name);
    },
    list: function (prefix) {
      const all = storage.list();
      const out: string[] = [];
      for (let i = 0; i < all.length; i++) if (all[i].indexOf(prefix) === 0) out.push(all[i]);
      return out;
    }
  };
}

function hardwarePort(env: EspruinoEnv, board: BoardProfile): HardwarePort {
  const p = board.pins;
  const active = board.inputsActiveLow ? 0 : 1;
  // Inputs idle at their inactive level even if an external resistor is missing.
  const pull = board.inputsActiveLow ? 'input_pullup' : 'input_pulldown';
  const inputs = [p.boltLocked, p.boltUnlocked, p.door, p.button];
  for (let i = 0; i < inputs.length; i++) env.pinMode(inputs[i], pull);
  env.pinMode(p.cameraAck, 'input_pulldown');
  const closed = function (pin: string) {
    return env.digitalRead(pin) === active;
  };
  return {
    motor: function (dir) {
      // H-bridge: both low = coast-free brake first, then the direction pair, then enable.
      env.digitalWrite(p.motorPwm, 0);
      env.digitalWrite(p.motorA, dir > 0 ? 1 : 0);
      env.digitalWrite(p.motorB, dir < 0 ? 1 : 0);
      if (dir !== 0) env.digitalWrite(p.motorPwm, 1);
    },
    motorCurrent: function () {
      return env.analogRead(p.motorCurrent) * board.currentScale;
    },
    boltSwitches: function () {
      return (closed(p.boltLocked) ? 1 : 0) | (closed(p.boltUnlocked) ? 2 : 0);
    },
    doorOpen: function () {
      return !closed(p.door);
    },
    onDoor: function (fn) {
      env.setWatch(function (e) {
        fn(e.state === (active === 0));
      }, p.door, { repeat: true, edge: 'both', debounce: 50 });
    },
    onButton: function (fn) {
      env.setWatch(function (e) {
        fn(e.state === (active === 1), e.time * 1000);
      }, p.button, { repeat: true, edge: 'both', debounce: 50 });
    },
    cameraTrigger: function (on) {
      env.digitalWrite(p.cameraTrigger, on ? 1 : 0);
    },
    onCameraAck: function (fn) {
      env.setWatch(function () {
        fn();
      }, p.cameraAck, { repeat: true, edge: 'rising', debounce: 0 });
    },
    buzzer: function (on) {
      env.digitalWrite(p.buzzer, on ? 1 : 0);
    },
    led: function (on) {
      env.digitalWrite(p.led, on ? 1 : 0);
    },
    batteryMv: function () {
      return env.analogRead(p.battery) * board.batteryScale;
    }
  };
}

/** A NetPort over Espruino-style `connect` (net/tls) and Wi-Fi join functions. */
export function netPort(connect: EspruinoEnv['connect'], wifiConnect: EspruinoEnv['wifiConnect']): NetPort | null {
  if (!connect) return null;
  return {
    connect: function (host: string, port: number, tls: boolean, h: SocketHandlers) {
      let closed = false;
      const close = function () {
        if (closed) return;
        closed = true;
        h.onClose();
      };
      const sock = connect({ host: host, port: port }, tls, function () {
        h.onConnect();
      });
      sock.on('data', function (d: string) {
        h.onData(binaryToBytes(d));
      });
      sock.on('close', close);
      sock.on('error', close);
      return {
        write: function (data: Uint8Array) {
          sock.write(bytesToBinary(data));
        },
        close: function () {
          sock.end();
          close();
        }
      };
    },
    join: function (ssid, password, cb) {
      if (!wifiConnect) {
        cb(null);
        return;
      }
      wifiConnect(ssid, { password: password }, function (err: any) {
        cb(err ? String(err) : null);
      });
    }
  };
}

/** Index of the first CR or LF, or -1 (Espruino has no String.prototype.search). */
function lineEnd(s: string): number {
  const r = s.indexOf('\r');
  const n = s.indexOf('\n');
  if (r < 0) return n;
  if (n < 0) return r;
  return r < n ? r : n;
}

/** Splits a serial stream into lines (CR, LF or CRLF); lines over 256 bytes are dropped. */
export function linePort(serial: EspruinoSerial): LinePort {
  let buf = '';
  let handler: ((line: string) => void) | null = null;
  serial.on('data', function (d: string) {
    buf += d;
    let i;
    while ((i = lineEnd(buf)) >= 0) {
      const line = buf.substring(0, i);
      buf = buf.substring(i + 1);
      if (line.length > 0 && handler) handler(line);
    }
    if (buf.length > 256) buf = '';
  });
  return {
    onLine: function (fn) {
      handler = fn;
    },
    write: function (text) {
      serial.write(text);
    }
  };
}

export function createEspruinoPorts(env: EspruinoEnv, board: BoardProfile): Ports {
  let offset = 0;
  let scanner: LinePort | null = null;
  if (board.barcodeSerial && env.serial[board.barcodeSerial]) {
    const s = env.serial[board.barcodeSerial];
    s.setup(board.barcodeBaud || 9600, { rx: board.pins.barcodeRx, tx: board.pins.barcodeTx });
    scanner = linePort(s);
  }
  let camera: LinePort | null = null;
  if (board.cameraSerial && env.serial[board.cameraSerial]) {
    const c = env.serial[board.cameraSerial];
    c.setup(board.cameraBaud || CAMERA_BAUD, { rx: board.pins.cameraRx, tx: board.pins.cameraTx });
    camera = linePort(c);
  }
  return {
    timers: {
      millis: function () {
        return env.getTime() * 1000;
      },
      setTimeout: function (fn, ms) {
        return env.setTimeout(fn, ms);
      },
      clearTimeout: function (id) {
        env.clearTimeout(id);
      }
    },
    clock: {
      rtc: function () {
        return env.getTime() + offset;
      },
      setRtc: function (seconds) {
        offset = seconds - env.getTime();
      }
    },
    storage: storagePort(env.storage),
    hw: hardwarePort(env, board),
    net: netPort(env.connect, env.wifiConnect),
    random: function (n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i += 4) {
        const r = env.hwRand();
        for (let k = 0; k < 4 && i + k < n; k++) out[i + k] = (r >>> (8 * k)) & 0xff;
      }
      return out;
    },
    watchdog: {
      enable: function (s) {
        env.enableWatchdog(s);
      }
    },
    scanner: scanner,
    camera: camera,
    console: env.serial.console ? linePort(env.serial.console) : null,
    log: function (m) {
      env.print('[keyway] ' + m);
    },
    reboot: function () {
      env.reboot();
    },
    natives: {
      convolve: env.convolve || undefined,
      sha512: env.sha512 ? function (m: Uint8Array) {
        return new Uint8Array(env.sha512!(m));
      } : undefined,
      crc32: env.crc32 || undefined,
      ed25519Verify: env.ed25519Verify || undefined,
      ed25519Sign: env.ed25519Sign || undefined
    },
    memory: function () {
      return env.memory ? { used: env.memory().usage, total: env.memory().total } : null;
    }
  };
}
