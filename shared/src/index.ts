/**
 * @keyway/shared: the protocol both the lock and the relay speak. Portable ES5 code
 * only; Node-only helpers (signing with node:crypto, key files) are in @keyway/shared/node.
 */
export * from './bytes';
export * from './codec';
export * from './codes';
export * from './code-registry';
export * from './schema';
export * from './sha512';
export * from './crc32';
export * from './base64';
export * from './replay-window';
export * from './validity';
export * from './schedule';
export * from './ed25519/index';
export * from './protocol/constants';
export * from './protocol/command';
export * from './protocol/payloads';
export * from './protocol/settings';
export * from './protocol/grant';
export * from './protocol/event';
export * from './protocol/status';
export * from './protocol/reveal';
export * from './protocol/receipt';
export * from './protocol/owner';
export * from './consent';
export * from './receipt-check';
export * from './protocol/hashes';
export * from './protocol/clip-manifest';
export * from './protocol/camera-link';
export * from './protocol/topics';
export * from './protocol/kind';
export * from './policy';
export * from './authenticate';
export * from './protocol/provisioning';
