/**
 * The real firmware running on a simulated board (docs/firmware.md): the Espruino platform layer over
 * the simulated Espruino API, so tests, the demo fleet and the duk conformance run the
 * shipped code path. `reboot()` powers the board down and boots a new lock from whatever
 * the flash holds, which is how power cuts are tested.
 */
import {
  createEspruinoPorts, createLock, startLock, stopLock, type BoardProfile, type EspruinoEnv, type Lock, type LockOptions
} from '@keyway/firmware';
import { decodeEvent, type LockEvent } from '@keyway/shared';
import { createSimDevice, type SimDevice } from './device';
import { createVirtualLoop, type SimLoop } from './loop';
import { createPhysics, type Physics, type PhysicsOptions } from './physics';
import { createSimStorage, snapshotFiles, type SimStorage } from './storage';

export interface SimulatedLockOptions {
  board: BoardProfile;
  files?: { [name: string]: string };
  /** Flash to boot from and keep (a file-backed one survives the process); default: from `files`. */
  storage?: SimStorage;
  loop?: SimLoop;
  physics?: Physics;
  physicsOptions?: PhysicsOptions;
  options?: Partial<LockOptions>;
  random?: () => number;
  connect?: EspruinoEnv['connect'];
  wifiConnect?: EspruinoEnv['wifiConnect'];
  sha512?: EspruinoEnv['sha512'];
  convolve?: EspruinoEnv['convolve'];
  crc32?: EspruinoEnv['crc32'];
  /** A native verifier in place of the firmware's sliced pure-JS one (benches; see Natives.ed25519Verify). */
  ed25519Verify?: EspruinoEnv['ed25519Verify'];
  /** A native signer for the lock's receipts in place of the sliced pure-JS one (benches; see Natives.ed25519Sign). */
  ed25519Sign?: EspruinoEnv['ed25519Sign'];
  /** Sees every event the lock logs from its first (the boot event included), after `events`. */
  onEvent?: (bytes: Uint8Array, lock: Lock) => void;
  /** Start locked with the door closed (default) or as given. */
  boltAt?: number;
  doorOpen?: boolean;
}

export interface SimulatedLock {
  device: SimDevice;
  lock: Lock;
  loop: SimLoop;
  storage: SimStorage;
  /** Every event the lock logged, decoded, in order. */
  events: LockEvent[];
  statuses: Uint8Array[];
  stop(): void;
  /** Power-cycles: a new lock boots from this one's flash (after any cut). */
  reboot(): SimulatedLock;
}

export function createSimulatedLock(o: SimulatedLockOptions): SimulatedLock {
  const loop = o.loop || createVirtualLoop(null);
  const storage = o.storage || createSimStorage(o.files);
  const physics = o.physics || createPhysics(o.physicsOptions || null, o.boltAt === undefined ? 1 : o.boltAt, o.doorOpen === true);
  const device = createSimDevice({
    board: o.board, loop: loop, physics: physics, storage: storage, random: o.random, connect: o.connect,
    wifiConnect: o.wifiConnect, sha512: o.sha512, convolve: o.convolve, crc32: o.crc32, ed25519Verify: o.ed25519Verify, ed25519Sign: o.ed25519Sign
  });
  const ports = createEspruinoPorts(device.env, o.board);
  const lock = createLock(ports, o.board, o.options || null);
  const sim: SimulatedLock = {
    device: device, lock: lock, loop: loop, storage: storage, events: [], statuses: [],
    stop: function () {
      stopLock(lock);
    },
    reboot: function () {
      stopLock(lock);
      storage.powered = true;
      storage.cutAt = 0;
      const next = createSimulatedLock({
        board: o.board, files: o.storage ? undefined : snapshotFiles(storage), storage: o.storage, loop: loop, physics: physics, options: o.options, random: o.random,
        connect: o.connect, wifiConnect: o.wifiConnect, sha512: o.sha512, convolve: o.convolve, crc32: o.crc32, ed25519Verify: o.ed25519Verify, ed25519Sign: o.ed25519Sign, onEvent: o.onEvent
      });
      return next;
    }
  };
  lock.onEvent = function (bytes: Uint8Array) {
    sim.events.push(decodeEvent(bytes));
    if (o.onEvent) o.onEvent(bytes, lock);
  };
  lock.onStatus = function (bytes: Uint8Array) {
    sim.statuses.push(bytes);
  };
  startLock(lock, 0);
  return sim;
}
