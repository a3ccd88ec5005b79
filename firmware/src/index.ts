/**
 * @keyway/firmware: the lock. Portable ES5 TypeScript; `main.ts` is the Espruino entry the
 * build bundles, everything here is also importable from Node (simulator, tests, fleet).
 */
export { type BoardPins, type BoardProfile } from './board';
export { type Ports, type HardwarePort, type StoragePort, type NetPort, type SocketHandlers, type SocketPort, type LinePort, type TimerPort, type ClockPort, type Natives } from './ports';
export { type EspruinoEnv, type EspruinoSerial, type EspruinoSocket, type EspruinoStorage, type WatchEvent } from './platform/espruino-env';
export { createEspruinoPorts, binaryToBytes, bytesToBinary, netPort, storagePort } from './platform/espruino-ports';
export { type Lock, type LockOptions, type MoveRequest, DEFAULT_OPTIONS } from './lock-state';
export { createLock, startLock, stopLock, mergeOptions } from './boot';
export { MQTT_BACKOFF_MAX_MS, MQTT_CONNECT_TIMEOUT_MS, brokersOf, mqttSettings, onCommandTopic, connect, disconnect } from './connectivity';
export { onScan, onReveal } from './door-entry';
export { buildStatus, publishStatus } from './reporting';
export {
  type BrokerAddress, type LockConfig, type SingleHostConfig, type TrustedKey, brokerAddress, configCodec, encodeConfig, encodeSingleHostConfig, decodeConfig,
  CONFIG_VERSION, CONFIG_VERSION_SINGLE_HOST, MAX_BROKERS, MAX_BROKER_HOST, MAX_TRUSTED_KEYS
} from './config';
export { CONFIG_RECORD, REPLAY_RECORD, loadConfig } from './persistence';
export { loadRecord, saveRecord, frame, unframe, type RecordSlot } from './record-store';
export { ACK_FILE, EVENT_FILE, ackEvent, openEventLog, readEvent, loadEvent, logHead, type EventLog } from './event-log';
export { MAX_GRANTS, openGrantStore, type GrantStore, type StagedGrant } from './grant-store';

export * from './bolt-machine';
export * from './lockout';
export * from './mqtt/mqtt-codec';
export { createMqttClient, mqttPublish, mqttPublishNow, mqttStart, mqttStop, type MqttBroker, type MqttClient, type MqttSettings } from './mqtt/mqtt-client';
export { writeInitialConfig } from './provision-store';
export { createProvisioningSession, provisionFrame, validateConfig, inInstallMode, type ProvisioningSession } from './provisioning';
export { INSTALL_HOLD_MS, OWNER_RESET_HOLD_MS, TOGGLE_MAX_MS, onButton } from './door-watch';
export { ensureStateOwner, OWNER_RECORD } from './persistence';
export { LOCK_KEY_RECORD, loadLockKey } from './lock-key';
export { RECEIPT_RECORD } from './receipts';
export { TIME_DRIFT_DIVISOR, TIME_STEP_BASE_S, relayTimeAllowed } from './clock-guard';
