/**
 * The lock's runtime state and tunables, shared by the lock's modules. Defaults are the
 * shipped behaviour; tests and boards may override them.
 */
import type { ReplayState } from '@keyway/shared';
import type { BoardProfile } from './board';
import type { BoltState, MotorTiming } from './bolt-machine';
import type { LockConfig } from './config';
import type { EventLog } from './event-log';
import type { GrantStore } from './grant-store';
import type { LockoutState } from './lockout';
import type { MqttClient } from './mqtt/mqtt-client';
import type { Ports } from './ports';
import type { RecordSlot } from './record-store';

export interface LockOptions {
  firmwareVersion: string;
  eventCapacity: number;
  tickMs: number;
  motor: MotorTiming;
  cameraAckTimeoutMs: number;
  cameraPulseMs: number;
  prerollMs: number;
  relockDefaultS: number;
  relockAfterCloseMs: number;
  doorAjarS: number;
  verifyBudgetMs: number;
  /** Work per verification step (product chains, natives on); smaller keeps slow boards responsive. */
  verifyStepProducts: number;
  keepAliveS: number;
  maxQueuedCommands: number;
  watchdogS: number;
  timeJumpMaxS: number;
  lowBatteryMv: number;
  installModeS: number;
}

export const DEFAULT_OPTIONS: LockOptions = {
  firmwareVersion: '0.1.0',
  eventCapacity: 32,
  tickMs: 20,
  motor: { maxRunMs: 3000, stallMa: 900, stallMs: 80, reverseMs: 150, pauseMs: 400 },
  cameraAckTimeoutMs: 1500,
  cameraPulseMs: 100,
  prerollMs: 500,
  relockDefaultS: 30,
  relockAfterCloseMs: 3000,
  doorAjarS: 120,
  verifyBudgetMs: 15,
  verifyStepProducts: 48,
  keepAliveS: 30,
  maxQueuedCommands: 4,
  watchdogS: 10,
  timeJumpMaxS: 3600,
  lowBatteryMv: 4600,
  installModeS: 300
};

/** What a physical movement is for and who asked (protocol §6 OPERATION events). */
export interface MoveRequest {
  target: number;
  camera: boolean;
  actorKind: number;
  actorRef: number;
  ref: number;
  source: number;
  action: number;
  relockAfter: number;
  relockOnClose: boolean;
  /** Runs after the camera acknowledged and before the motor starts; non-zero aborts. */
  commit: (() => number) | null;
}

export interface Lock {
  ports: Ports;
  board: BoardProfile;
  opt: LockOptions;
  config: LockConfig | null;
  configRec: RecordSlot;
  deviceHex: string;
  replay: ReplayState;
  replayRec: RecordSlot;
  grants: GrantStore;
  log: EventLog | null;
  bolt: BoltState;
  doorOpen: boolean;
  timeTrusted: boolean;
  nonce: Uint8Array;
  /** Boots counted in Storage, and nonces made in this boot: both go into every nonce. */
  bootCount: number;
  nonceCount: number;
  lockout: LockoutState;
  cameraOk: boolean;
  jammed: boolean;
  installUntil: number;
  /** When the inside button went down (ms), -1 when up. */
  buttonAt: number;
  verifying: boolean;
  commandQueue: Uint8Array[];
  acting: boolean;
  moveDone: ((result: number) => void) | null;
  move: MoveRequest | null;
  tickTimer: number;
  /** A status publish waiting for the current slice to end (publishStatusSoon), 0 for none. */
  statusTimer: number;
  relockTimer: number;
  ajarTimer: number;
  relockOnClose: boolean;
  cameraWaiter: (() => void) | null;
  mqtt: MqttClient | null;
  sendingSeq: number;
  /** Observers for the simulator and tests; never required. */
  onEvent: ((bytes: Uint8Array) => void) | null;
  onStatus: ((bytes: Uint8Array) => void) | null;
  stats: { verifies: number; verifyMs: number; maxSliceMs: number; commands: number };
  /** Boot found a torn or corrupt record and used the intact copy. */
  recovered: boolean;
}
