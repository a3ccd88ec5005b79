/**
 * Simulated locks for `keyway up`, the demo and end-to-end tests (docs/product.md#real-parts-not-mocks): the real firmware
 * on the simulator, on real time, connected to a real broker over TCP, with flash persisted
 * to a file per lock. The handles act on the physical world and the network.
 */
import { randomBytes } from 'node:crypto';
import { onCommandTopic, stopLock, type BoardProfile, type EspruinoEnv, type LockOptions } from '@keyway/firmware';
import { createSimulatedLock, type SimulatedLock } from '../sim/simulated-lock';
import { createPhysics } from '../sim/physics';
import { openFlashFile } from './flash-file';
import { nodeConnect, nodeSha512, type NodeNetOptions } from './node-net';
import { createRealLoop, disposeLoop } from './real-loop';

export interface FleetLockSpec {
  deviceId: string;
  board: BoardProfile;
  flashFile: string;
  label?: string;
}

export interface FleetLock {
  spec: FleetLockSpec;
  sim: SimulatedLock;
  /** Power: off cuts everything at once (no MQTT DISCONNECT, so the broker publishes the will). */
  powerOff(): void;
  powerOn(): void;
  /** Network: off drops the link and refuses reconnects until on. */
  setNetwork(up: boolean): void;
  /** Delivers raw bytes as if the broker had published them on the lock's command topic. */
  inject(bytes: Uint8Array): void;
  online(): boolean;
}

export interface FleetOptions {
  net?: NodeNetOptions;
  options?: Partial<LockOptions>;
}

export function startFleetLock(spec: FleetLockSpec, o: FleetOptions = {}): FleetLock {
  const storage = openFlashFile(spec.flashFile);
  const physics = createPhysics(null, 1, false);
  let networkUp = true;
  const base = nodeConnect(o.net);
  const connect: NonNullable<EspruinoEnv['connect']> = (opts, tls, cb) => {
    const s = base(networkUp ? opts : { host: '127.0.0.1', port: 1 }, tls, cb);
    sockets.push(s);
    return s;
  };
  let sockets: ReturnType<typeof base>[] = [];
  let loop = createRealLoop();
  const boot = () =>
    createSimulatedLock({
      board: spec.board, storage, loop, physics, options: o.options, connect,
      random: () => randomBytes(4).readUInt32BE() / 4294967296, sha512: nodeSha512
    });
  let sim = boot();
  let powered = true;
  const lock: FleetLock = {
    spec,
    get sim() {
      return sim;
    },
    powerOff() {
      if (!powered) return;
      powered = false;
      stopLock(sim.lock, false);
      for (const s of sockets) s.end();
      sockets = [];
      disposeLoop(loop);
    },
    powerOn() {
      if (powered) return;
      powered = true;
      loop = createRealLoop();
      sim = boot();
    },
    setNetwork(up) {
      networkUp = up;
      if (!up) {
        for (const s of sockets) s.end();
        sockets = [];
      }
    },
    inject(bytes) {
      if (powered) onCommandTopic(sim.lock, bytes);
    },
    online() {
      return powered && !!sim.lock.mqtt && sim.lock.mqtt.online;
    }
  };
  return lock;
}
