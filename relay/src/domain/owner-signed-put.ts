/**
 * The command that stages an owner-signed grant (docs/relay.md "Owner-signed grants"): the owner
 * statement the owner's device signed over the grant's exact bytes, carried as the payload of an
 * OWNER_SIGNED command byte for byte. The relay never re-encodes it, so every put of such a grant,
 * first or re-issued, is the very statement the owner signed.
 */
import { ACT_OWNER_SIGNED, decodeOwnerStatement, fromHex } from '@keyway/shared';

export interface StagingBytes {
  /** The command's action and payload. */
  action: number;
  payload: Uint8Array;
  /** The grant bytes the lock stages, which its inventory fingerprints. */
  grantBytes: Uint8Array;
}

/** The OWNER_SIGNED put of a grant whose owner statement (hex) the relay keeps. */
export function ownerSignedPut(statementHex: string): StagingBytes {
  const statement = fromHex(statementHex);
  return { action: ACT_OWNER_SIGNED, payload: statement, grantBytes: decodeOwnerStatement(statement).payload };
}
