/**
 * The lock's hardware simulated inside Espruino itself, for hardware-in-the-loop runs on
 * Espruino's Linux build, which has no GPIO or ADC. Stored as `.boot0` next to the shipped
 * bundle (`.bootcde`), it runs first at every boot and replaces the pin functions the firmware
 * picks up (digitalWrite, digitalRead, analogRead, pinMode, setWatch, clearWatch) for the
 * board profile's pins with the simulator's physics (physics.ts): the bolt motor moving over
 * time, stalling at its end stops or an obstruction, the limit switches, the door reed, the
 * camera acknowledging its trigger, motor current and battery on the ADC. The bundle itself is
 * unmodified. When the board names a barcode UART that the build lacks, the simulator provides it
 * (a serial object by that name), so a scan arrives as on a board. `kwSim` on the console drives
 * the world: open and close the door, press the button, jam the bolt, break the camera, drain
 * the battery, scan a code, read the state as JSON.
 * Built by `buildPinSimulator` (tools) for the Linux test board only. Portable ES5.
 */
import type { BoardProfile } from '@keyway/firmware';
import { closeDoor, createPhysics, motorCurrentMa, openDoor, setMotor, switches } from './physics';

declare const KEYWAY_SIM_BOARD: BoardProfile;
declare const global: any;
declare function getTime(): number;
declare function setTimeout(fn: () => void, ms: number): any;
declare function print(text: string): void;
declare function require(name: string): any;

interface SimWatch {
  id: number;
  pin: string;
  fn: (e: { state: boolean; time: number; lastTime: number }) => void;
  edge: string;
  repeat: boolean;
}

/** Storage file holding the bolt's position and the door, so the world survives a reboot (load()). */
const WORLD_FILE = 'kwsim';
/** Watch ids handed out by the simulator start here, far above the interpreter's own. */
const SIM_WATCH_BASE = 1000;
const DEFAULT_PRESS_MS = 100;

const board = KEYWAY_SIM_BOARD;
const p = board.pins;
const active = board.inputsActiveLow ? 0 : 1;
const phys = createPhysics(null, 1, false);
const storage = require('Storage');
const saved = storage.readJSON(WORLD_FILE, true);
if (saved) {
  phys.bolt = saved.bolt;
  phys.door = saved.door;
}
const outputs: { [pin: string]: number } = {};
const watches: SimWatch[] = [];
const real = { setWatch: global.setWatch, clearWatch: global.clearWatch, pinMode: global.pinMode };
let nextWatch = SIM_WATCH_BASE;
let buttonDown = false;
let lastEdge = 0;

function now(): number {
  return getTime() * 1000;
}

function name(pin: any): string {
  return String(pin);
}

function isInput(pin: string): boolean {
  return pin === p.boltLocked || pin === p.boltUnlocked || pin === p.door || pin === p.button || pin === p.cameraAck;
}

/** Keeps the world across a reboot: written when the motor stops and when the door moves. */
function save(): void {
  storage.writeJSON(WORLD_FILE, { bolt: phys.bolt, door: phys.door });
}

function motorDir(): number {
  if (!outputs[p.motorPwm]) return 0;
  if (outputs[p.motorA] && !outputs[p.motorB]) return 1;
  if (outputs[p.motorB] && !outputs[p.motorA]) return -1;
  return 0;
}

/** Delivers an edge on a watched pin one loop turn later, as Espruino's event queue does. */
function edge(pin: string, state: boolean): void {
  const t = getTime();
  const last = lastEdge;
  lastEdge = t;
  for (let i = 0; i < watches.length; i++) {
    const w = watches[i];
    if (w.pin !== pin) continue;
    if ((w.edge === 'rising' && !state) || (w.edge === 'falling' && state)) continue;
    if (!w.repeat) watches.splice(i--, 1);
    deliver(w, state, t, last);
  }
}

function deliver(w: SimWatch, state: boolean, t: number, last: number): void {
  setTimeout(function () {
    w.fn({ state: state, time: t, lastTime: last });
  }, 0);
}

global.digitalWrite = function (pin: any, value: any) {
  const n = name(pin);
  const was = outputs[n] || 0;
  outputs[n] = value ? 1 : 0;
  if (n === p.motorA || n === p.motorB || n === p.motorPwm) {
    const dir = motorDir();
    setMotor(phys, now(), dir);
    if (dir === 0) save();
  }
  if (n === p.cameraTrigger && value && !was && phys.cameraHealthy) {
    setTimeout(function () {
      edge(p.cameraAck, true);
    }, phys.opt.cameraAckDelayMs);
  }
};

global.digitalRead = function (pin: any) {
  const n = name(pin);
  if (n === p.boltLocked) return (switches(phys, now()) & 1) ? active : 1 - active;
  if (n === p.boltUnlocked) return (switches(phys, now()) & 2) ? active : 1 - active;
  if (n === p.door) return phys.door ? 1 - active : active;
  if (n === p.button) return buttonDown ? active : 1 - active;
  return outputs[n] || 0;
};

global.analogRead = function (pin: any) {
  const n = name(pin);
  if (n === p.motorCurrent) return motorCurrentMa(phys, now()) / board.currentScale;
  if (n === p.battery) return phys.batteryMv / board.batteryScale;
  return 0;
};

global.pinMode = function (pin: any, mode: string) {
  // Pulls on simulated inputs are part of the simulated wiring.
  if (!isInput(name(pin))) real.pinMode(pin, mode);
};

global.setWatch = function (fn: SimWatch['fn'], pin: any, o: any) {
  const n = name(pin);
  if (!isInput(n)) return real.setWatch(fn, pin, o);
  const w: SimWatch = { id: nextWatch++, pin: n, fn: fn, edge: (o && o.edge) || 'both', repeat: !!(o && o.repeat) };
  watches.push(w);
  return w.id;
};

global.clearWatch = function (id: any) {
  if (id === undefined) {
    watches.length = 0;
    real.clearWatch();
    return;
  }
  for (let i = 0; i < watches.length; i++) {
    if (watches[i].id === id) {
      watches.splice(i, 1);
      return;
    }
  }
  real.clearWatch(id);
};

/** The barcode reader's UART, for a board that names one the build lacks: what a scan sends. */
let scannerData: ((d: string) => void) | null = null;
if (board.barcodeSerial && !global[board.barcodeSerial]) {
  global[board.barcodeSerial] = {
    setup: function () {
      // Baud rate and pins are part of the simulated wiring.
    },
    on: function (event: string, fn: (d: string) => void) {
      if (event === 'data') scannerData = fn;
    },
    write: function () {
      // The reader takes no commands.
    }
  };
}

/** The world, driven from the console; `state()` prints one `KWSIM {json}` line. */
global.kwSim = {
  openDoor: function (force: boolean) {
    const moved = openDoor(phys, now(), force === true);
    if (moved) {
      save();
      edge(p.door, active === 0);
    }
    return moved;
  },
  closeDoor: function () {
    const moved = closeDoor(phys, now());
    if (moved) {
      save();
      edge(p.door, active !== 0);
    }
    return moved;
  },
  pressButton: function (holdMs: number) {
    buttonDown = true;
    edge(p.button, active !== 0);
    setTimeout(function () {
      buttonDown = false;
      edge(p.button, active === 0);
    }, holdMs === undefined ? DEFAULT_PRESS_MS : holdMs);
  },
  /** Blocks the bolt at `at` (0 retracted … 1 thrown); -1 clears it. */
  jam: function (at: number) {
    phys.obstruction = at;
  },
  camera: function (healthy: boolean) {
    phys.cameraHealthy = healthy;
  },
  battery: function (mv: number) {
    phys.batteryMv = mv;
  },
  /** The reader scans `code`: its line arrives on the barcode UART one loop turn later. */
  scan: function (code: string) {
    setTimeout(function () {
      if (scannerData) scannerData(code + '\r\n');
    }, 0);
  },
  state: function () {
    switches(phys, now());
    print('KWSIM ' + JSON.stringify({
      bolt: phys.bolt, motor: phys.motor, door: phys.door, starts: phys.starts, motorMs: phys.motorMs, cameraHealthy: phys.cameraHealthy
    }));
  }
};
