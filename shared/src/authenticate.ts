/**
 * The lock's admission of a signed command, before any action (docs/product.md#security-properties; docs/protocol.md
 * §3.3). Cheap checks run first so junk never costs a signature verification; the replay
 * state is only returned, never committed here: the caller persists it after the
 * signature verifies and before acting. Pure: clock, keys and state are parameters.
 */
import { bytesEqual, isAllZero } from './bytes';
import {
  RC_BAD_FORMAT, RC_BAD_LENGTH, RC_BAD_SIGNATURE, RC_BAD_VERSION, RC_NO_TRUSTED_TIME, RC_NOT_PERMITTED, RC_OK,
  RC_STALE_NONCE, RC_UNKNOWN_ACTION, RC_UNKNOWN_KEY, RC_WINDOW_TOO_LONG, RC_WRONG_DEVICE
} from './codes';
import { type CodedError } from './bytes';
import { actionPolicy } from './policy';
import { decodeCommand, type SignedCommand } from './protocol/command';
import { checkReplay, type ReplayState } from './replay-window';
import { checkValidity } from './validity';

export interface AdmissionContext {
  deviceId: Uint8Array;
  /** Trusted public key for a key id, or null. */
  keyFor(keyId: number): Uint8Array | null;
  /** Lock time in Unix seconds (meaningful only when timeTrusted). */
  now: number;
  timeTrusted: boolean;
  /** The challenge nonce the lock currently publishes. */
  nonce: Uint8Array;
  replay: ReplayState;
}

export interface Admission {
  code: number;
  command: SignedCommand | null;
  /** The trusted key the signature must verify under. */
  publicKey: Uint8Array | null;
  /** Replay state to persist once the signature verifies. */
  replayNext: ReplayState | null;
  /** The command consumed the current challenge nonce. */
  usedNonce: boolean;
}

/** Maps a decoder error code to the wire reason code. */
export function reasonForDecodeError(e: unknown): number {
  const code = e && (e as CodedError).code;
  if (code === 'BAD_VERSION') return RC_BAD_VERSION;
  if (code === 'BAD_LENGTH') return RC_BAD_LENGTH;
  if (code === 'UNKNOWN_ACTION') return RC_UNKNOWN_ACTION;
  return RC_BAD_FORMAT;
}

function denied(code: number, command: SignedCommand | null): Admission {
  return { code: code, command: command, publicKey: null, replayNext: null, usedNonce: false };
}

/** Every check except the signature. On RC_OK, verify `command.signed` against `publicKey`. */
export function precheckCommand(bytes: Uint8Array, ctx: AdmissionContext): Admission {
  let cmd: SignedCommand;
  try {
    cmd = decodeCommand(bytes);
  } catch (e) {
    return denied(reasonForDecodeError(e), null);
  }
  if (!bytesEqual(cmd.deviceId, ctx.deviceId)) return denied(RC_WRONG_DEVICE, cmd);
  const policy = actionPolicy(cmd.action);
  if (!policy) return denied(RC_UNKNOWN_ACTION, cmd);
  const key = ctx.keyFor(cmd.keyId);
  if (!key) return denied(RC_UNKNOWN_KEY, cmd);
  const bound = !isAllZero(cmd.nonce);
  if (bound && !bytesEqual(cmd.nonce, ctx.nonce)) return denied(RC_STALE_NONCE, cmd);
  if (!bound && policy.nonceRequired) return denied(RC_NOT_PERMITTED, cmd);
  if (ctx.timeTrusted) {
    const v = checkValidity(ctx.now, cmd.notBefore, cmd.notAfter, policy);
    if (v !== RC_OK) return denied(v, cmd);
  } else if (!bound && !policy.admitWithoutTime) {
    // No trusted time and no challenge: nothing proves this command is fresh (fail secure).
    // A revocation is the exception: replaying one can only take access away.
    return denied(RC_NO_TRUSTED_TIME, cmd);
  } else if (cmd.notAfter - cmd.notBefore > policy.maxSpan) {
    return denied(RC_WINDOW_TOO_LONG, cmd);
  }
  const replay = checkReplay(ctx.replay, cmd.counter);
  if (replay.code !== RC_OK) return denied(replay.code, cmd);
  return { code: RC_OK, command: cmd, publicKey: key, replayNext: replay.next, usedNonce: bound };
}

/** Synchronous admission: prechecks, then the signature with the given verifier. */
export function admitCommand(
  bytes: Uint8Array,
  ctx: AdmissionContext,
  verify: (msg: Uint8Array, sig: Uint8Array, pub: Uint8Array) => boolean
): Admission {
  const a = precheckCommand(bytes, ctx);
  if (a.code !== RC_OK) return a;
  let ok = false;
  try {
    ok = verify(a.command!.signed, a.command!.signature, a.publicKey!);
  } catch {
    ok = false;
  }
  return ok ? a : denied(RC_BAD_SIGNATURE, a.command);
}


