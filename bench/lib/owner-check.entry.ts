/**
 * Bundled to ES5 for bench/owner-check.mts: what the lock runs to check a command, for a plain
 * relay-signed command and for an OWNER_SIGNED one (docs/protocol.md §11): decoding, then the
 * relay's signature and, for the owner-signed one, the owner's, with the lock's verifier.
 */
import { fromHex } from '../../shared/src/bytes';
import { decodeCommand } from '../../shared/src/protocol/command';
import { decodeOwnerStatement } from '../../shared/src/protocol/owner';
import { beginVerify, forgetBaseTable, forgetKeyTables, keepKeyTables, setFieldNatives, setVerifyStepProducts, verifyStrict } from '../../shared/src/ed25519/index';
import { setSha512Native } from '../../shared/src/sha512';

export { beginVerify, forgetBaseTable, forgetKeyTables, fromHex, keepKeyTables, setFieldNatives, setSha512Native, setVerifyStepProducts, verifyStrict };

/** A version-1 command: decode, then the relay's signature. */
export function checkPlain(bytes: Uint8Array, relayKey: Uint8Array): boolean {
  const c = decodeCommand(bytes);
  return verifyStrict(c.signed, c.signature, relayKey);
}

/** An OWNER_SIGNED command: decode both layers, then the relay's signature, then the owner's. */
export function checkOwnerSigned(bytes: Uint8Array, relayKey: Uint8Array, ownerKey: Uint8Array): boolean {
  const c = decodeCommand(bytes);
  const s = decodeOwnerStatement(c.payload);
  return verifyStrict(c.signed, c.signature, relayKey) && verifyStrict(s.signed, s.signature, ownerKey);
}

/** The owner's signature alone (the relay's was verified just before, so the key table is the relay's). */
export function checkOwnerOnly(bytes: Uint8Array, ownerKey: Uint8Array): boolean {
  const s = decodeOwnerStatement(decodeCommand(bytes).payload);
  return verifyStrict(s.signed, s.signature, ownerKey);
}

/** The two signatures of an OWNER_SIGNED command as the lock runs them: sliced tasks, one after the other. */
export function ownerSignedTasks(bytes: Uint8Array, relayKey: Uint8Array, ownerKey: Uint8Array): Array<{ step(): boolean; readonly result: boolean }> {
  const c = decodeCommand(bytes);
  const s = decodeOwnerStatement(c.payload);
  return [beginVerify(c.signed, c.signature, relayKey), beginVerify(s.signed, s.signature, ownerKey)];
}
