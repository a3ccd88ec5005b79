/** @keyway/shared/node: Node-only helpers around the portable protocol. */
export { type Signer, newSeed, nodeVerifyEd25519, privateKeyFromSeed, publicKeyFromSeed, publicKeyObject, signerFromSeed } from './signer';
export { type CommandRequest, signCommand } from './sign-command';
export { type Keyring, type StoredKey, addKey, keyringExists, loadKeyring, openKeyring, rotateKeyring, setCurrentKey } from './keyring';
export { clipHash, clipManifest, frameHash } from './clip-hash';
export { type OwnerStatementRequest, signOwnerStatement } from './sign-owner-statement';
export { DEFAULT_KEY_CACHE_SIZE, type StrictNodeVerifier, strictNodeVerifier } from './strict-verifier';
