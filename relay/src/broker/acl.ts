/**
 * MQTT access rules for locks (docs/protocol.md §9). Pure functions over the device id
 * the connection authenticated as; each returns null when allowed or a short reason.
 * A lock publishes only kw/<own id>/evt and kw/<own id>/state, subscribes only to
 * kw/<own id>/cmd, may retain only its status, and may leave a will only on its own
 * state topic. Everything else (other locks, wildcards, $SYS, retained commands) is denied.
 */
import { commandTopic, eventTopic, isDeviceIdHex, stateTopic } from '@keyway/shared';

export type Denial = string | null;

export interface ConnectRequest {
  clientId: string;
  username: string | undefined;
  will: { topic: string; retain?: boolean } | null | undefined;
}

/** Identity rules checked after the password: client id must equal the username. */
export function checkIdentity(req: ConnectRequest): Denial {
  if (!req.username || !isDeviceIdHex(req.username)) return 'username is not a device id';
  if (req.clientId !== req.username) return 'client id must equal the device id';
  return null;
}

export function checkWill(deviceId: string, will: ConnectRequest['will']): Denial {
  if (!will) return null;
  if (will.topic !== stateTopic(deviceId)) return 'will allowed only on the own state topic';
  return null;
}

export function checkPublish(deviceId: string, topic: string, retain: boolean): Denial {
  if (topic === eventTopic(deviceId)) return retain ? 'events may not be retained' : null;
  if (topic === stateTopic(deviceId)) return null;
  if (topic.startsWith('$')) return 'system topics are reserved';
  if (topic === commandTopic(deviceId) || topic.endsWith('/cmd')) return 'only the relay publishes commands';
  return 'a lock publishes only its own evt and state topics';
}

export function checkSubscribe(deviceId: string, topic: string): Denial {
  if (topic === commandTopic(deviceId)) return null;
  if (topic.startsWith('$')) return 'system topics are reserved';
  if (topic.includes('#') || topic.includes('+')) return 'wildcards are not allowed';
  return 'a lock subscribes only to its own cmd topic';
}

/** Defence in depth: the broker forwards a lock nothing but its own commands. */
export function mayForward(deviceId: string, topic: string): boolean {
  return topic === commandTopic(deviceId);
}
