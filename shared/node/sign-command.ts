/** Builds and signs a command (docs/protocol.md §3) with a relay signer. */
import { attachSignature, encodeCommandBody, type CommandFields } from '../src/protocol/command';
import { encodePayload } from '../src/protocol/payloads';
import type { Signer } from './signer';

export interface CommandRequest {
  deviceId: Uint8Array;
  action: number;
  /** The action's payload as an object (encoded with the action's codec). */
  payload: unknown;
  notBefore: number;
  notAfter: number;
  counter: number;
  /** The lock's current challenge, or omitted/zero for counter-only freshness. */
  nonce?: Uint8Array;
}

export function signCommand(signer: Signer, req: CommandRequest): Uint8Array {
  const fields: CommandFields = {
    deviceId: req.deviceId,
    keyId: signer.keyId,
    action: req.action,
    notBefore: req.notBefore,
    notAfter: req.notAfter,
    counter: req.counter,
    nonce: req.nonce ?? new Uint8Array(8),
    payload: encodePayload(req.action, req.payload)
  };
  const body = encodeCommandBody(fields);
  return attachSignature(body, signer.sign(body));
}
