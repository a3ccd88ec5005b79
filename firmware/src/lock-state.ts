/**
 * The lock's runtime state and tunables, shared by the lock's modules. Defaults are the
 * shipped behaviour; tests and boards may override them.
 */
import type { ReplayState, SettingsPayload, SigningKey } from '@keyway/shared';
import type { BoardProfile } from './board';
import type { BoltState, MotorTiming } from './bolt-machine';
import type { LockConfig } from './config';
import type { EventLog } from './event-log';
import type { GrantStore } from './grant-store';
import type { LockoutState } from './lockout';
import type { MqttClient } from './mqtt/mqtt-client';
import type { OwnerState } from './owner-store';
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
  /** The grant the entry uses (0: a direct owner or backend request); named in the signed receipt. */
  grantId: number;
}

/**
 * An event of the log named by a receipt: its sequence number and stored bytes. Its hash is
 * computed only when a receipt is signed (receipts.ts, pointHash): the log links its newest
 * event into the chain lazily (logHead), so at the door no hash is known yet, and the at-door
 * slice keeps its single SHA-512.
 */
export interface LogPoint {
  seq: number;
  bytes: Uint8Array;
}

/** An entry waiting for the door to be closed and the bolt thrown, to be signed as a receipt. */
export interface PendingEntry {
  grantId: number;
  entry: LogPoint;
  camera: LogPoint | null;
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
  /** The owner's settings (auto-lock, relock on close, door-left-open threshold) and their record. */
  settings: SettingsPayload;
  settingsRec: RecordSlot;
  /** Owner keys, standing consents and the owner-consent mode (docs/protocol.md §11). */
  owner: OwnerState;
  log: EventLog | null;
  bolt: BoltState;
  doorOpen: boolean;
  timeTrusted: boolean;
  /**
   * The clock value and monotonic ms when the relay last set the clock freely (-1: not in this
   * boot). In owner-consent mode relay-only corrections are judged against it (clock-guard.ts).
   */
  anchorRtc: number;
  anchorMs: number;
  /**
   * The lock booted in owner-consent mode and no owner device has confirmed its clock since
   * (docs/protocol.md §11.8): staged grants wait, whatever the relay set the clock to.
   */
  ownerTimePending: boolean;
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
  /** A change during a bolt action: one status goes out when the action ends (reporting.ts). */
  statusDue: boolean;
  /** A QUEUE_OVERFLOW alarm waiting for the current slice to end (reporting.ts), 0 for none. */
  alarmTimer: number;
  relockTimer: number;
  ajarTimer: number;
  relockOnClose: boolean;
  /** Called with the clip hash from the camera link, or null for a bare acknowledge edge. */
  cameraWaiter: ((clip: Uint8Array | null) => void) | null;
  /** The capture number of the trigger in flight (docs/protocol.md §6.1), 0 when none. */
  cameraCapture: number;
  mqtt: MqttClient | null;
  sendingSeq: number;
  /** Observers for the simulator and tests; never required. */
  onEvent: ((bytes: Uint8Array) => void) | null;
  onStatus: ((bytes: Uint8Array) => void) | null;
  stats: { verifies: number; verifyMs: number; maxSliceMs: number; commands: number };
  /** Boot found a torn or corrupt record and used the intact copy. */
  recovered: boolean;
  /** The lock's own signing key (docs/firmware.md, "Receipts"); null until generated. */
  signer: SigningKey | null;
  signerRec: RecordSlot;
  /** The acknowledged CAMERA event of the entry in progress. */
  camera: LogPoint | null;
  /** The last entry, until the door is closed and the bolt thrown. */
  entry: PendingEntry | null;
  /** The newest signed receipt the relay has not acknowledged, and its record. */
  receipt: Uint8Array | null;
  receiptRec: RecordSlot;
  /** The receipt handed to the MQTT client and not yet acknowledged. */
  receiptQueued: Uint8Array | null;
  /** Observer for the simulator and tests. */
  onReceipt: ((bytes: Uint8Array) => void) | null;
  /** Signatures being computed. */
  signing: number;
}
