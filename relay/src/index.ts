/**
 * @keyway/relay: the Aedes broker and Fastify API that decide who may enter where and when,
 * sign the commands, track every lock and tell the owner what happened (docs/relay.md).
 */
export { buildRelay, type Relay, type RelayPorts } from './relay';
export { resolveOptions, type RelayOptions, type ResolvedOptions, type SmtpOptions } from './options';
export { ERRORS, RelayError, errorBody, relayError, type ErrorBody, type ErrorCode, type ErrorInfo } from './errors';
export type { RelayContext } from './context';
export { REDACT_PATHS } from './logger';
export { signWebhook } from './domain/webhook-worker';
export { WEBHOOK_EVENTS, type WebhookEvent } from './domain/webhooks';
export { NOTIFY_EVENTS, type NotifyEvent } from './domain/notification-events';
export { REVOCATION_CONFIRM_WAIT_MS } from './options';
export { smtpFromEnv } from './notification-env';
export { storeFromEnv } from './store-env';
export { BACKEND_SCOPES, type PrincipalKind, type Scope } from './domain/principals';
export type { MqttUrls, DeviceView } from './domain/devices';
export type { DeliveryView, Receipt } from './domain/deliveries';
export type { GrantView } from './domain/grants';
export { chainStepNode, chainValue, nextChainValues } from './locks/chain';
export { verifyLink, classifyOld, ZERO_HASH, type ChainHead, type LinkVerdict } from './locks/log-chain';
export { checkIdentity, checkPublish, checkSubscribe, checkWill } from './broker/acl';
export { guardConnection, MqttFrameScanner } from './broker/packet-size-guard';
export { MIGRATIONS } from './db/migrations';
export { openDatabase, migrate, schemaVersion } from './db/database';
export { CHECKPOINT_INTERVAL_MS, FALLBACK_AUTOCHECKPOINT_PAGES, startCheckpointer, type Checkpointer, type CheckpointStats } from './db/checkpointer';
export { tzOffsetMinutes, isValidTimeZone } from './domain/timezones';
export { scanString } from './domain/access-grants';
export { openStore, sqliteStore, postgresStore, migratePostgres, postgresSchemaVersion, type Store, type StoreConfig, type StoreDialect, type Q } from './data/store';
export type { Schema } from './data/schema';
export { prepared, firstRow } from './data/prepared';
