/**
 * A provisioned simulated lock on a virtual clock, plus the relay side needed to talk to
 * it: the published test signer, auto-incrementing counters, TIME_SET bound to the lock's
 * published challenge, grant building. Used by firmware, power-cut and conformance tests.
 */
import {
  ACTOR_OWNER, ACT_GRANT_PUT, ACT_TIME_SET, ACT_UNLOCK, CRED_HASH_CHAIN, CRED_NONE, GRANT_GUEST, decodeStatus, encodeReveal, fromHex,
  buildHashChain, type Grant, type LockEvent, type LockStatus
} from '@keyway/shared';
import { signCommand, signerFromSeed, type CommandRequest, type Signer } from '@keyway/shared/node';
import { CONFIG_VERSION, onCommandTopic, storagePort, writeInitialConfig, type BoardProfile, type LockConfig, type LockOptions } from '@keyway/firmware';
import { board, createSimStorage, createSimulatedLock, snapshotFiles, type SimulatedLock, type SimLoop } from '@keyway/hardware';
import { TEST_RELAY_SEED, T0 } from '../../scripts/protocol-vectors';
import { seededRandom } from './engine-env';

export { T0 };
export const DEVICE_ID = fromHex('0123456789abcdef');
export const BOARD = board('espruino-wifi');
export const BOX_BOARD = board('espruino-wifi-parcelbox');

export function lockConfig(signers: Signer[], deviceId = DEVICE_ID): LockConfig {
  const ascii = (s: string) => new TextEncoder().encode(s);
  return {
    version: CONFIG_VERSION, deviceId, keys: signers.map((s) => ({ id: s.keyId, key: s.publicKey })),
    brokers: [{ host: ascii('127.0.0.1'), port: 1883 }], mqttTls: 0, mqttUser: ascii('0123456789abcdef'), mqttPass: ascii('secret'),
    wifiSsid: new Uint8Array(0), wifiPass: new Uint8Array(0), site: ascii('test-site')
  };
}

export function provisionedFiles(config: LockConfig): { [name: string]: string } {
  const s = createSimStorage();
  if (!writeInitialConfig(storagePort(s), config)) throw new Error('could not write config');
  return snapshotFiles(s);
}

export interface Harness {
  sim: SimulatedLock;
  /** The flash image the lock first booted from. */
  initialFiles: { [name: string]: string };
  signer: Signer;
  counter: number;
  loop: SimLoop;
  /** Signs a command for this lock with the next counter (overridable). */
  command(action: number, payload: unknown, over?: Partial<CommandRequest>): Uint8Array;
  deliver(bytes: Uint8Array): void;
  run(ms: number): void;
  status(): LockStatus;
  /** Sends TIME_SET bound to the current challenge so the lock trusts `now`. */
  trustTime(now?: number): void;
  /** Lock time: Unix seconds the lock believes (after trustTime). */
  now(): number;
  events(type?: number): LockEvent[];
  lastAck(): LockEvent | undefined;
  reboot(): void;
}

export interface HarnessOptions {
  board?: BoardProfile;
  options?: Partial<LockOptions>;
  boltAt?: number;
  doorOpen?: boolean;
  files?: { [name: string]: string };
  signer?: Signer;
  loop?: SimLoop;
  /** A native verifier in place of the firmware's pure-JS one (the benches' node:crypto locks). */
  ed25519Verify?: (msg: Uint8Array, sig: Uint8Array, pub: Uint8Array) => boolean;
  /** A native signer for the lock's receipts in place of the firmware's pure-JS one (the same benches). */
  ed25519Sign?: (msg: Uint8Array, seed: Uint8Array, pub: Uint8Array) => Uint8Array;
}

export function harness(o: HarnessOptions = {}): Harness {
  const signer = o.signer ?? signerFromSeed(TEST_RELAY_SEED);
  const files = o.files ?? provisionedFiles(lockConfig([signer]));
  const random = seededRandom();
  const mk = (f: { [name: string]: string }) =>
    createSimulatedLock({ board: o.board ?? BOARD, files: f, options: o.options, boltAt: o.boltAt, doorOpen: o.doorOpen, random, loop: o.loop, ed25519Verify: o.ed25519Verify, ed25519Sign: o.ed25519Sign });
  const h: Harness = {
    sim: mk(files),
    initialFiles: files,
    signer,
    counter: 0,
    get loop() {
      return h.sim.loop;
    },
    command(action, payload, over = {}) {
      const t = h.now();
      return signCommand(signer, {
        deviceId: DEVICE_ID, action, payload, notBefore: t, notAfter: t + 60, counter: ++h.counter, ...over
      });
    },
    deliver(bytes) {
      onCommandTopic(h.sim.lock, bytes);
    },
    run(ms) {
      h.sim.loop.advance(ms);
    },
    status() {
      const all = h.sim.statuses;
      return decodeStatus(all[all.length - 1]);
    },
    trustTime(now = T0) {
      const nonce = h.status().nonce;
      h.deliver(signCommand(signer, { deviceId: DEVICE_ID, action: ACT_TIME_SET, payload: { time: now }, notBefore: now, notAfter: now + 60, counter: ++h.counter, nonce }));
      h.run(2000);
    },
    now() {
      return h.sim.lock.timeTrusted ? Math.floor(h.sim.lock.ports.clock.rtc()) : T0;
    },
    events(type) {
      return type === undefined ? h.sim.events : h.sim.events.filter((e) => e.type === type);
    },
    lastAck() {
      const acks = h.sim.events.filter((e) => e.type === 6);
      return acks[acks.length - 1];
    },
    reboot() {
      h.sim = h.sim.reboot();
    }
  };
  h.run(3000); // boot: relock, settle
  return h;
}

/** A guest grant with a hash chain, plus the chain values (index n = tip). */
export function chainGrant(over: Partial<Grant> = {}, links = 3, seedByte = 7): { grant: Grant; chain: Uint8Array[] } {
  const grantId = over.grantId ?? 11;
  const chain = buildHashChain(new Uint8Array(32).fill(seedByte), DEVICE_ID, grantId, links);
  const grant: Grant = {
    grantId, kind: GRANT_GUEST, flags: 0, notBefore: T0 - 3600, notAfter: T0 + 7 * 86400, maxUses: links, relockAfter: 0,
    tzOffset: 0, schedule: [], credential: { type: CRED_HASH_CHAIN, commitment: chain[links], length: links }, actorRef: 77, ...over
  };
  return { grant, chain };
}

export function plainGrant(over: Partial<Grant> = {}): Grant {
  return {
    grantId: 21, kind: GRANT_GUEST, flags: 0, notBefore: T0 - 3600, notAfter: T0 + 86400, maxUses: 0, relockAfter: 0, tzOffset: 0,
    schedule: [], credential: { type: CRED_NONE, commitment: new Uint8Array(0), length: 0 }, actorRef: 5, ...over
  };
}

export function putGrant(h: Harness, grant: Grant): LockEvent | undefined {
  h.deliver(h.command(ACT_GRANT_PUT, grant));
  h.run(2000);
  return h.lastAck();
}

export function reveal(grantId: number, value: Uint8Array): Uint8Array {
  return encodeReveal({ deviceId: DEVICE_ID, grantId, value });
}

export function unlockPayload(over: Record<string, number> = {}) {
  return { grantId: 0, actorKind: ACTOR_OWNER, actorRef: 1, flags: 0, relockAfter: 0, ...over };
}

export { ACT_UNLOCK };
