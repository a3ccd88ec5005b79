/**
 * Composition root of the lock (docs/firmware.md): loads persistent state (config, replay window,
 * grants, log), re-reads the bolt from its switches, wires the hardware, starts the
 * watchdog and the relay link. `createLock` builds without side effects on hardware;
 * `startLock` switches it on.
 */
import { EV_BOOT, NONCE_LENGTH, asciiBytes, initialReplayState, toHex } from '@keyway/shared';
import { setFieldNatives, setSha512Native, setVerifyStepProducts } from '@keyway/shared';
import type { BoardProfile } from './board';
import { initialBolt, phaseFromSwitches } from './bolt-machine';
import { connect, disconnect } from './connectivity';
import { setCrc32Native } from '@keyway/shared';
import { onButton, onDoorChange } from './door-watch';
import { onScan } from './door-entry';
import { openEventLog } from './event-log';
import { openGrantStore } from './grant-store';
import { DEFAULT_OPTIONS, type Lock, type LockOptions } from './lock-state';
import { initialLockout } from './lockout';
import { ensureLockKey, loadLockKey } from './lock-key';
import { countBoot, ensureStateOwner, loadConfig, loadReplay, newNonce } from './persistence';
import { loadPendingReceipt } from './receipts';
import { loadSettings } from './settings-store';
import { loadOwnerState } from './owner-store';
import type { Ports } from './ports';
import { emergencyStop, autoLock, cancelRelock, onCameraLine } from './actuation';
import { emit, publishStatus, raiseOverflowAlarm, reportStorageRecovery, stateEvent } from './reporting';

export function mergeOptions(over: Partial<LockOptions> | null): LockOptions {
  const o: any = {};
  const d: any = DEFAULT_OPTIONS;
  const keys = ['firmwareVersion', 'eventCapacity', 'tickMs', 'motor', 'cameraAckTimeoutMs', 'cameraPulseMs', 'prerollMs',
    'relockDefaultS', 'relockAfterCloseMs', 'doorAjarS', 'verifyBudgetMs', 'verifyStepProducts', 'keepAliveS', 'maxQueuedCommands', 'watchdogS',
    'timeJumpMaxS', 'lowBatteryMv', 'installModeS'];
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    o[k] = over && (over as any)[k] !== undefined ? (over as any)[k] : d[k];
  }
  return o as LockOptions;
}

export function createLock(ports: Ports, board: BoardProfile, over: Partial<LockOptions> | null): Lock {
  if (ports.natives.sha512) setSha512Native(ports.natives.sha512);
  if (ports.natives.crc32) setCrc32Native(ports.natives.crc32);
  if (ports.natives.convolve) setFieldNatives({ convolve: ports.natives.convolve });
  const opt = mergeOptions(over);
  // Finer than the verifier's default: ~22 ms per step on Espruino's Linux build from Storage, so a
  // board ~30-100x slower still services the motor tick and door within a fraction of a second.
  setVerifyStepProducts(opt.verifyStepProducts, 32);
  const cfg = loadConfig(ports.storage);
  if (cfg.config) ensureStateOwner(ports.storage, cfg.config.deviceId);
  const rp = loadReplay(ports.storage);
  const grants = openGrantStore(ports.storage);
  const st = loadSettings(ports.storage, opt);
  const ow = loadOwnerState(ports.storage);
  const config = cfg.config;
  const lk = loadLockKey(ports.storage);
  const rc = loadPendingReceipt(ports.storage);
  const lock: Lock = {
    ports: ports, board: board, opt: opt, config: config, configRec: cfg.rec,
    deviceHex: config ? toHex(config.deviceId) : '',
    replay: config ? rp.state : initialReplayState(), replayRec: rp.rec, grants: grants, settings: st.settings, settingsRec: st.rec,
    owner: ow.state,
    log: config ? openEventLog(ports.storage, config.deviceId, opt.eventCapacity) : null,
    bolt: initialBolt(ports.hw.boltSwitches()), doorOpen: ports.hw.doorOpen(), timeTrusted: false, anchorRtc: -1, anchorMs: 0,
    ownerTimePending: ow.state.mode === 1, nonce: new Uint8Array(NONCE_LENGTH),
    bootCount: countBoot(ports.storage), nonceCount: 0,
    lockout: initialLockout(), cameraOk: true, jammed: false, installUntil: 0, buttonAt: -1, verifying: false, commandQueue: [],
    acting: false, moveDone: null, move: null, tickTimer: 0, statusTimer: 0, statusDue: false, alarmTimer: 0, relockTimer: 0, ajarTimer: 0, relockOnClose: false,
    cameraWaiter: null, cameraCapture: 0, mqtt: null, sendingSeq: 0, onEvent: null, onStatus: null,
    stats: { verifies: 0, verifyMs: 0, maxSliceMs: 0, commands: 0 },
    recovered: cfg.recovered || rp.recovered || grants.recovered || st.recovered || ow.recovered,
    signer: lk.key, signerRec: lk.rec, camera: null, entry: null, receipt: config ? rc.receipt : null, receiptRec: rc.rec,
    receiptQueued: null, onReceipt: null, signing: 0
  };
  newNonce(lock);
  return lock;
}

/** Switches the lock on: motor off, watchers, watchdog, boot events, relay link. */
export function startLock(lock: Lock, resetCause: number): void {
  const hw = lock.ports.hw;
  hw.motor(0);
  lock.ports.watchdog.enable(lock.opt.watchdogS);
  hw.onDoor(function (open: boolean) {
    onDoorChange(lock, open);
  });
  hw.onButton(function (pressed: boolean, atMs: number) {
    onButton(lock, pressed, atMs);
  });
  hw.onCameraAck(function () {
    if (lock.cameraWaiter) lock.cameraWaiter(null);
  });
  if (lock.ports.camera) {
    lock.ports.camera.onLine(function (line: string) {
      onCameraLine(lock, line);
    });
  }
  if (lock.ports.scanner) {
    lock.ports.scanner.onLine(function (line: string) {
      onScan(lock, line);
    });
  }
  const keyReady = function () {
    // ready for receipts (and for the provisioning console to report); a failure was logged and is retried at the next boot
  };
  if (!lock.config) {
    lock.ports.log('not provisioned: waiting on the provisioning console');
    ensureLockKey(lock, keyReady);
    return;
  }
  emit(lock, EV_BOOT, resetCause, 0, 0, 0, asciiBytes(lock.opt.firmwareVersion));
  // A loss the boot scan found (a torn overwrite) is reported at once, before anything else.
  raiseOverflowAlarm(lock);
  reportStorageRecovery(lock, lock.recovered);
  lock.bolt.phase = phaseFromSwitches(hw.boltSwitches());
  stateEvent(lock);
  // A bolt found retracted with the door closed after a reboot is relocked (fail secure).
  if (!lock.doorOpen) autoLock(lock);
  publishStatus(lock);
  connect(lock);
  ensureLockKey(lock, keyReady);
}

/**
 * Switches the lock off: motor stopped, no timer of its own left (a pending relock or door-ajar
 * alarm would otherwise fire later on a lock that is off, and keep all of it in memory);
 * `graceful` false drops the link like a power cut.
 */
export function stopLock(lock: Lock, graceful?: boolean): void {
  emergencyStop(lock);
  cancelRelock(lock);
  const t = lock.ports.timers;
  if (lock.statusTimer) t.clearTimeout(lock.statusTimer);
  lock.statusTimer = 0;
  lock.statusDue = false;
  if (lock.alarmTimer) t.clearTimeout(lock.alarmTimer);
  lock.alarmTimer = 0;
  if (lock.ajarTimer) t.clearTimeout(lock.ajarTimer);
  lock.ajarTimer = 0;
  disconnect(lock, graceful);
}
