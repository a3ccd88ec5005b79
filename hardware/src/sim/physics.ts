/**
 * The physical lock in the simulator (hardware/README.md): a DC motor moving the bolt over time through an
 * H-bridge, end stops and an optional obstruction that stall it (current spikes), limit
 * switches, the door and its reed switch, the camera acknowledging its trigger, and the
 * battery. State is integrated lazily from the loop's clock, so no ticking is needed.
 */
export interface PhysicsOptions {
  /** Full bolt travel time in ms. */
  travelMs: number;
  runMa: number;
  stallMa: number;
  cameraAckDelayMs: number;
}

export const DEFAULT_PHYSICS: PhysicsOptions = { travelMs: 700, runMa: 350, stallMa: 1400, cameraAckDelayMs: 150 };

export interface Physics {
  opt: PhysicsOptions;
  t: number;
  /** 0 = fully retracted (unlocked) … 1 = fully thrown (locked). */
  bolt: number;
  motor: number;
  stalled: boolean;
  /** Bolt position the mechanism cannot pass (a jam), or -1. */
  obstruction: number;
  door: boolean;
  cameraHealthy: boolean;
  /**
   * A camera module is wired to the camera link (hardware/src/node/camera-port.ts) and answers
   * the trigger itself; the simulated acknowledge edge stays silent.
   */
  cameraWired: boolean;
  batteryMv: number;
  /** Milliseconds the motor has been driven in total, and the longest single run. */
  motorMs: number;
  longestRunMs: number;
  runStart: number;
  /** Each time the motor was switched on, for tests. */
  starts: number;
}

export function createPhysics(opt: PhysicsOptions | null, boltAt: number, doorOpen: boolean): Physics {
  return {
    opt: opt || DEFAULT_PHYSICS, t: 0, bolt: boltAt, motor: 0, stalled: false, obstruction: -1, door: doorOpen,
    cameraHealthy: true, cameraWired: false, batteryMv: 5900, motorMs: 0, longestRunMs: 0, runStart: 0, starts: 0
  };
}

export function sync(p: Physics, now: number): void {
  const dt = now - p.t;
  if (dt <= 0) return;
  p.t = now;
  if (p.motor === 0) return;
  p.motorMs += dt;
  const from = p.bolt;
  let to = from + (p.motor * dt) / p.opt.travelMs;
  let stalled = false;
  if (p.obstruction >= 0) {
    if (p.motor > 0 && from <= p.obstruction && to > p.obstruction) {
      to = p.obstruction;
      stalled = true;
    }
    if (p.motor < 0 && from >= p.obstruction && to < p.obstruction) {
      to = p.obstruction;
      stalled = true;
    }
  }
  // A thrown bolt cannot pass into an open door frame's strike plate: only retracting is free.
  if (to >= 1) {
    to = 1;
    stalled = true;
  }
  if (to <= 0) {
    to = 0;
    stalled = true;
  }
  p.bolt = to;
  p.stalled = stalled;
}

export function setMotor(p: Physics, now: number, dir: number): void {
  sync(p, now);
  if (dir !== 0 && p.motor === 0) {
    p.runStart = now;
    p.starts++;
  }
  if (dir === 0 && p.motor !== 0) {
    const run = now - p.runStart;
    if (run > p.longestRunMs) p.longestRunMs = run;
  }
  if (dir !== p.motor) p.stalled = false;
  p.motor = dir;
}

export function motorCurrentMa(p: Physics, now: number): number {
  sync(p, now);
  if (p.motor === 0) return 0;
  return p.stalled ? p.opt.stallMa : p.opt.runMa;
}

/** Limit switches: bit 0 thrown (locked), bit 1 retracted (unlocked). */
export function switches(p: Physics, now: number): number {
  sync(p, now);
  return (p.bolt >= 0.97 ? 1 : 0) | (p.bolt <= 0.03 ? 2 : 0);
}

/** The door opens only with the bolt retracted, unless forced. Returns whether it moved. */
export function openDoor(p: Physics, now: number, force: boolean): boolean {
  sync(p, now);
  if (p.door) return false;
  if (p.bolt > 0.2 && !force) return false;
  p.door = true;
  return true;
}

export function closeDoor(p: Physics, now: number): boolean {
  sync(p, now);
  if (!p.door) return false;
  p.door = false;
  return true;
}
