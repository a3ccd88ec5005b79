/**
 * `keyway sign`: signs one command by hand (tests, emergencies), with the current relay key.
 * Prints the command as hex; `--publish mqtt://…` also publishes it to the lock's topic.
 */
import {
  ACT_ALARM_CLEAR, ACT_GRANT_REVOKE, ACT_LOCK, ACT_TIME_SET, ACT_UNLATCH, ACT_UNLOCK, ACTOR_OWNER, FLAG_CAMERA_REQUIRED, commandTopic, fromHex,
  isDeviceIdHex, toHex
} from '@keyway/shared';
import { keyringExists, loadKeyring, signCommand, type Signer } from '@keyway/shared/node';
import { CliError } from '../cli-error';

const ACTIONS: Record<string, number> = {
  unlock: ACT_UNLOCK, lock: ACT_LOCK, unlatch: ACT_UNLATCH, revoke: ACT_GRANT_REVOKE, 'time-set': ACT_TIME_SET, 'alarm-clear': ACT_ALARM_CLEAR
};

export interface SignOptions {
  keysDir: string;
  device: string;
  action: string;
  counter: number;
  validFor: number;
  nonce?: string;
  grant?: number;
  camera?: boolean;
  time?: number;
  now?: number;
}

function currentSigner(dir: string): Signer {
  if (!keyringExists(dir)) throw new CliError('KW_NO_KEYS', dir);
  try {
    return loadKeyring(dir).current;
  } catch (e) {
    throw new CliError('KW_KEYS', dir + ': ' + String((e as Error).message));
  }
}

export function signByHand(o: SignOptions): { hex: string; topic: string } {
  if (!isDeviceIdHex(o.device)) throw new CliError('KW_USAGE', '--device must be 16 lowercase hex characters');
  const action = ACTIONS[o.action];
  if (action === undefined) throw new CliError('KW_USAGE', '--action must be one of ' + Object.keys(ACTIONS).join(', '));
  if (!(o.counter >= 1 && o.counter <= 0xffffffff)) throw new CliError('KW_USAGE', '--counter must be 1..4294967295 (higher than any the lock has seen)');
  const now = o.now ?? Math.floor(Date.now() / 1000);
  let payload: unknown;
  if (action === ACT_UNLOCK || action === ACT_UNLATCH) payload = { grantId: o.grant ?? 0, actorKind: ACTOR_OWNER, actorRef: 0, flags: o.camera ? FLAG_CAMERA_REQUIRED : 0, relockAfter: 0 };
  else if (action === ACT_LOCK) payload = { actorKind: ACTOR_OWNER, actorRef: 0 };
  else if (action === ACT_GRANT_REVOKE) payload = { grantId: o.grant ?? 0 };
  else if (action === ACT_TIME_SET) payload = { time: o.time ?? now };
  else payload = { alarm: 0 };
  const signer = currentSigner(o.keysDir);
  const bytes = signCommand(signer, {
    deviceId: fromHex(o.device), action, payload, notBefore: now, notAfter: now + o.validFor, counter: o.counter,
    nonce: o.nonce ? fromHex(o.nonce) : undefined
  });
  return { hex: toHex(bytes), topic: commandTopic(o.device) };
}
