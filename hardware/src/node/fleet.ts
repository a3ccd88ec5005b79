/**
 * Simulated locks for `keyway up`, the demo and end-to-end tests (docs/product.md#real-parts-not-mocks): the real firmware
 * on the simulator, on real time, connected to a real broker over TCP, with flash persisted
 * to a file per lock. The handles act on the physical world and the network, and inject the
 * faults a soak needs (power cut inside a flash write, clock reset, delayed and duplicated
 * deliveries; see fleet-faults.ts).
 */
import { randomBytes } from 'node:crypto';
import { strictNodeVerifier } from '@keyway/shared/node';
import {
  onCommandTopic, publishStatus, stopLock, type BoardProfile, type EspruinoEnv, type LockOptions
} from '@keyway/firmware';
import { createSimulatedLock, type SimulatedLock } from '../sim/simulated-lock';
import { createPhysics } from '../sim/physics';
import type { SimStorage, TearMode } from '../sim/storage';
import { openFlashFile } from './flash-file';
import { createLinkTap, journalObserver, noteSync, overwriteObserver, tapSocket, type JournalEntry, type LinkTap, type SyncHistory } from './fleet-faults';
import { nodeEd25519Signer } from './native-signer';
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
  powered(): boolean;
  /** Cuts the power during the n-th next flash write (1 = the next), leaving it torn. */
  cutInWrite(n: number, tear: TearMode, fraction: number): void;
  /** Ends every fault: no armed cut (fired or not), no delay, network and power on. */
  heal(): void;
  /** The RTC falls back to 0 and the lock no longer trusts its time. */
  resetClock(): void;
  /** Re-delivers the k-th (modulo) remembered command payload; false when none yet. */
  dup(k: number): boolean;
  /**
   * The camera link's wire (docs/protocol.md §6.1), for a camera module wired to the lock:
   * `toLock` writes camera→lock bytes, `fromLock` receives lock→camera bytes. Null when the
   * board has no camera serial.
   */
  camera: CameraWire | null;
  tap: LinkTap;
  journal: JournalEntry[];
  /**
   * Sequences of events the lock overwrote in its ring before the relay acknowledged them (its
   * offline queue overflowed), across boots: the only events allowed not to reach the relay.
   */
  overwritten: number[];
  history: SyncHistory;
  /** Exceptions the firmware threw from timers, across boots (a healthy lock has none). */
  errors(): string[];
  /** Stops the online-with-trusted-time sampler (process exit). */
  dispose(): void;
}

/** How often the fleet samples whether a lock is online with trusted time. */
export const SYNC_SAMPLE_MS = 100;

export interface CameraWire {
  toLock(text: string): void;
  fromLock: ((text: string) => void) | null;
}

export interface FleetOptions {
  net?: NodeNetOptions;
  options?: Partial<LockOptions>;
  /** A camera module answers on the camera link (camera-port.ts) instead of the simulated acknowledge. */
  cameraWired?: boolean;
  /**
   * Verify commands with node:crypto (strictNodeVerifier: OpenSSL behind the same strictness
   * checks, one contract suite with the firmware's verifier) instead of the firmware's pure-JS
   * one: for benches that need many locks to cost little CPU. Everything else is the same firmware.
   */
  nativeVerify?: boolean;
  /**
   * Sign the lock's receipts with node:crypto (nodeEd25519Signer: the same bytes as the
   * firmware's sliced pure-JS signer) instead of in pure JS: for the same benches.
   */
  nativeSign?: boolean;
}

export function startFleetLock(spec: FleetLockSpec, o: FleetOptions = {}): FleetLock {
  const storage = openFlashFile(spec.flashFile);
  const physics = createPhysics(null, 1, false);
  const cameraSerial = spec.board.cameraSerial;
  // Only a board with a camera link can have a camera module wired to it.
  physics.cameraWired = o.cameraWired === true && !!cameraSerial;
  const camera: CameraWire | null = cameraSerial ? {
    toLock(text) {
      if (powered) sim.device.serials[cameraSerial].inject(text);
    },
    fromLock: null
  } : null;
  let networkUp = true;
  const verifier = o.nativeVerify ? strictNodeVerifier() : null;
  const nativeVerify = verifier ? (msg: Uint8Array, sig: Uint8Array, pub: Uint8Array) => verifier.verify(msg, sig, pub) : undefined;
  const nativeSign = o.nativeSign ? nodeEd25519Signer() : undefined;
  const base = nodeConnect(o.net);
  const tap = createLinkTap();
  const journal: JournalEntry[] = [];
  const overwritten: number[] = [];
  const noteOverwrite = overwriteObserver(overwritten);
  const history: SyncHistory = { intervals: [] };
  const connect: NonNullable<EspruinoEnv['connect']> = (opts, tls, cb) => {
    const s = tapSocket(base(networkUp ? opts : { host: '127.0.0.1', port: 1 }, tls, cb), tap);
    sockets.push(s);
    return s;
  };
  let sockets: ReturnType<typeof base>[] = [];
  let loop = createRealLoop();
  const pastErrors: string[] = [];
  let powered = true;
  let generation = 0;
  const boot = () => {
    // Each boot sees flash through its own view, dead once the power goes: a late callback into
    // the firmware of an earlier boot (a socket closing, a sensor edge) can write nothing.
    const mine = ++generation;
    const alive = () => powered && generation === mine;
    const view: SimStorage = Object.create(storage) as SimStorage;
    view.write = (name, data) => (alive() ? storage.write(name, data) : false);
    view.erase = (name) => {
      if (alive()) storage.erase(name);
    };
    const journalize = journalObserver(journal);
    // The journal is attached before the lock starts, so it has the boot event too.
    const s = createSimulatedLock({
      board: spec.board, storage: view, loop, physics, options: o.options, connect,
      random: () => randomBytes(4).readUInt32BE() / 4294967296, sha512: nodeSha512,
      ed25519Verify: nativeVerify, ed25519Sign: nativeSign,
      onEvent: (bytes, l) => {
        if (!alive()) return;
        journalize(bytes);
        noteOverwrite(l);
      }
    });
    if (cameraSerial && camera) {
      s.device.serials[cameraSerial].onWrite = (data) => {
        if (alive() && camera.fromLock) camera.fromLock(data);
      };
    }
    return s;
  };
  let sim = boot();
  const write = storage.write;
  storage.write = (name, data) => {
    const ok = write(name, data);
    // A cut inside this write: nothing after it runs (no publish, no timer).
    if (!storage.powered && powered) lock.powerOff();
    return ok;
  };
  const sampler = setInterval(() => noteSync(history, lock.online() && sim.lock.timeTrusted, Date.now()), SYNC_SAMPLE_MS);
  sampler.unref();
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
      pastErrors.push(...loop.errors);
      disposeLoop(loop);
    },
    powerOn() {
      if (powered) return;
      powered = true;
      storage.powered = true;
      storage.cutAt = 0;
      loop = createRealLoop();
      // The new boot's loop counts from 0: physics kept at the old boot's time would not move the bolt
      // until the new clock caught up, and the first unlock after a power cut reported a jam.
      physics.t = 0;
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
    },
    powered: () => powered,
    cutInWrite(n, tear, fraction) {
      if (!powered) return;
      storage.cutAt = storage.writes + Math.max(1, n);
      storage.tear = tear;
      storage.tearFraction = fraction;
    },
    heal() {
      // The cut is armed on the flash itself, not on a boot's view of it: a cut that never fired
      // would otherwise go off later, after the faults stopped.
      storage.cutAt = 0;
      tap.delayMs = 0;
      lock.setNetwork(true);
      lock.powerOn();
    },
    resetClock() {
      if (!powered) return;
      sim.lock.ports.clock.setRtc(0);
      sim.lock.timeTrusted = false;
      if (lock.online()) publishStatus(sim.lock);
    },
    dup(k) {
      if (!powered || tap.received.length === 0) return false;
      onCommandTopic(sim.lock, tap.received[k % tap.received.length]);
      return true;
    },
    camera, tap, journal, overwritten, history,
    errors: () => [...pastErrors, ...loop.errors],
    dispose() {
      clearInterval(sampler);
    }
  };
  return lock;
}
