/**
 * A simulated lock board: Espruino's API (the EspruinoEnv the firmware's platform layer
 * expects) backed by the physics model, simulated flash and a loop. Tests and the demo
 * drive the world through the same handles: open the door, press the button, break the
 * camera, jam the bolt, scan a barcode, cut the power. Portable ES5 (also runs in duk).
 */
import type { BoardProfile, EspruinoEnv, EspruinoSerial, EspruinoSocket, WatchEvent } from '@keyway/firmware';

import type { SimLoop } from './loop';
import { closeDoor, motorCurrentMa, openDoor, setMotor, switches, type Physics } from './physics';
import type { SimStorage } from './storage';

export interface SimSerial extends EspruinoSerial {
  output: string;
  inject(text: string): void;
  /** Where the lock's writes go instead of `output` (the camera link's wire). */
  onWrite: ((data: string) => void) | null;
}

export interface SimDevice {
  env: EspruinoEnv;
  board: BoardProfile;
  loop: SimLoop;
  physics: Physics;
  storage: SimStorage;
  pins: { [pin: string]: number };
  printed: string[];
  /**
   * The hardware watchdog as Espruino runs it when kicked from the idle loop: it resets the
   * board (`fired`) only when one callback keeps the interpreter busy longer than `seconds`.
   */
  watchdog: { seconds: number; fired: number };
  /** Timer callbacks of the lock's own that have run (`setTimeout`), the measure of idle wake-ups. */
  timersFired: number;
  serials: { [name: string]: SimSerial };
  rebootRequested: boolean;
  openDoor(force?: boolean): boolean;
  closeDoor(): boolean;
  /** Presses the inside button and releases it after `holdMs` (default 100). */
  pressButton(holdMs?: number): void;
  scan(line: string): void;
}

export interface SimDeviceOptions {
  board: BoardProfile;
  loop: SimLoop;
  physics: Physics;
  storage: SimStorage;
  random?: () => number;
  connect?: EspruinoEnv['connect'];
  wifiConnect?: EspruinoEnv['wifiConnect'];
  sha512?: EspruinoEnv['sha512'];
  convolve?: EspruinoEnv['convolve'];
  /** Espruino's E.CRC32, which every build has (the firmware's main.ts installs it). */
  crc32?: EspruinoEnv['crc32'];
  ed25519Verify?: EspruinoEnv['ed25519Verify'];
  ed25519Sign?: EspruinoEnv['ed25519Sign'];
}

function simSerial(): SimSerial {
  const handlers: Array<(d: string) => void> = [];
  const s: SimSerial = {
    output: '',
    onWrite: null,
    setup: function () {
      // Baud rate and pins do not matter in simulation.
    },
    on: function (event, fn) {
      if (event === 'data') handlers.push(fn);
    },
    write: function (data) {
      if (s.onWrite) s.onWrite(data);
      else s.output += data;
    },
    inject: function (text) {
      for (let i = 0; i < handlers.length; i++) handlers[i](text);
    }
  };
  return s;
}

export function createSimDevice(o: SimDeviceOptions): SimDevice {
  const b = o.board;
  const p = b.pins;
  const loop = o.loop;
  const phys = o.physics;
  const active = b.inputsActiveLow ? 0 : 1;
  const watchers: { [pin: string]: Array<{ id: number; fn: (e: WatchEvent) => void }> } = {};
  let watchId = 1;
  const pins: { [pin: string]: number } = {};
  let buttonDown = false;
  const rand = o.random || function () {
    return Math.random();
  };
  const serials: { [name: string]: SimSerial } = { console: simSerial() };
  if (b.barcodeSerial) serials[b.barcodeSerial] = simSerial();
  if (b.cameraSerial) serials[b.cameraSerial] = simSerial();

  /** Runs one callback the way the interpreter's loop does, with the watchdog watching it. */
  const callback = function (fn: () => void) {
    return function () {
      const start = loop.now();
      fn();
      if (dev.watchdog.seconds > 0 && loop.now() - start > dev.watchdog.seconds * 1000) dev.watchdog.fired++;
    };
  };
  const fire = function (pin: string, state: boolean) {
    const list = watchers[pin];
    if (!list) return;
    const ev = { state: state, time: loop.now() / 1000 };
    for (let i = 0; i < list.length; i++) {
      const w = list[i];
      loop.setTimeout(callback(function () {
        w.fn(ev);
      }), 0);
    }
  };
  /** When the simulated hardware is sampled (SimLoop.physicsNow): one instant per synchronous run on a real-time loop. */
  const physicsNow = function (): number {
    return loop.physicsNow ? loop.physicsNow() : loop.now();
  };
  const motorDir = function () {
    if (!pins[p.motorPwm]) return 0;
    if (pins[p.motorA] && !pins[p.motorB]) return 1;
    if (pins[p.motorB] && !pins[p.motorA]) return -1;
    return 0;
  };

  const dev: SimDevice = {
    board: b, loop: loop, physics: phys, storage: o.storage, pins: pins, printed: [], serials: serials,
    watchdog: { seconds: 0, fired: 0 }, timersFired: 0, rebootRequested: false,
    env: {
      digitalWrite: function (pin, value) {
        const was = pins[pin] || 0;
        pins[pin] = value ? 1 : 0;
        if (pin === p.motorA || pin === p.motorB || pin === p.motorPwm) setMotor(phys, physicsNow(), motorDir());
        if (pin === p.cameraTrigger && value && !was && phys.cameraHealthy && !phys.cameraWired) {
          loop.setTimeout(function () {
            fire(p.cameraAck, true);
          }, phys.opt.cameraAckDelayMs);
        }
      },
      digitalRead: function (pin) {
        if (pin === p.boltLocked) return (switches(phys, physicsNow()) & 1) ? active : 1 - active;
        if (pin === p.boltUnlocked) return (switches(phys, physicsNow()) & 2) ? active : 1 - active;
        if (pin === p.door) return phys.door ? 1 - active : active;
        if (pin === p.button) return buttonDown ? active : 1 - active;
        return pins[pin] || 0;
      },
      analogRead: function (pin) {
        if (pin === p.motorCurrent) return motorCurrentMa(phys, physicsNow()) / b.currentScale;
        if (pin === p.battery) return phys.batteryMv / b.batteryScale;
        return 0;
      },
      analogWrite: function (pin, value) {
        pins[pin] = value > 0 ? 1 : 0;
      },
      pinMode: function () {
        // Pull-ups are part of the board wiring in simulation.
      },
      setWatch: function (fn, pin) {
        if (!watchers[pin]) watchers[pin] = [];
        const id = watchId++;
        watchers[pin].push({ id: id, fn: fn });
        return id;
      },
      setTimeout: function (fn, ms) {
        return loop.setTimeout(callback(function () {
          dev.timersFired++;
          fn();
        }), ms);
      },
      clearTimeout: function (id) {
        loop.clearTimeout(id);
      },
      getTime: function () {
        return loop.now() / 1000;
      },
      storage: o.storage,
      connect: o.connect || null,
      wifiConnect: o.wifiConnect || null,
      serial: serials,
      hwRand: function () {
        return Math.floor(rand() * 4294967296) >>> 0;
      },
      enableWatchdog: function (seconds) {
        dev.watchdog.seconds = seconds;
      },
      reboot: function () {
        dev.rebootRequested = true;
      },
      print: function (text) {
        dev.printed.push(text);
      },
      convolve: o.convolve || null,
      sha512: o.sha512 || null,
      crc32: o.crc32 || null,
      ed25519Verify: o.ed25519Verify || null,
      ed25519Sign: o.ed25519Sign || null,
      memory: null
    },
    openDoor: function (force) {
      const moved = openDoor(phys, physicsNow(), force === true);
      if (moved) fire(p.door, active === 0);
      return moved;
    },
    closeDoor: function () {
      const moved = closeDoor(phys, physicsNow());
      if (moved) fire(p.door, active !== 0);
      return moved;
    },
    pressButton: function (holdMs) {
      buttonDown = true;
      fire(p.button, active !== 0);
      loop.setTimeout(function () {
        buttonDown = false;
        fire(p.button, active === 0);
      }, holdMs === undefined ? 100 : holdMs);
    },
    scan: function (line) {
      if (b.barcodeSerial) serials[b.barcodeSerial].inject(line + '\r\n');
    }
  };
  return dev;
}

export type { EspruinoSocket };
