/** Builds and signs an owner statement (docs/protocol.md §11.1) with an owner key, as the owner page does with WebCrypto. */
import { attachOwnerSignature, decodeOwnerStatement, encodeOwnerStatementBody, type SignedOwnerStatement } from '../src/protocol/owner';
import { encodePayload } from '../src/protocol/payloads';
import type { Signer } from './signer';

export interface OwnerStatementRequest {
  deviceId: Uint8Array;
  seq: number;
  notAfter: number;
  action: number;
  /** The action's payload as an object (encoded with the action's codec). */
  payload: unknown;
}

/** The signed statement, ready to be the payload of an OWNER_SIGNED command. */
export function signOwnerStatement(owner: Signer, req: OwnerStatementRequest): SignedOwnerStatement {
  const body = encodeOwnerStatementBody({
    deviceId: req.deviceId, ownerKeyId: owner.keyId, seq: req.seq, notAfter: req.notAfter, action: req.action,
    payload: encodePayload(req.action, req.payload)
  });
  return decodeOwnerStatement(attachOwnerSignature(body, owner.sign(body)));
}
