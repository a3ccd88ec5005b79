/**
 * MQTT topic names (docs/protocol.md §9). Device ids appear as 16 lowercase hex
 * characters. A lock subscribes to its command topic only and publishes its
 * events and status only; the relay enforces that with per-device ACLs.
 */
export const TOPIC_ROOT = 'kw';

export const TOPIC_COMMAND = 'cmd';
export const TOPIC_EVENT = 'evt';
export const TOPIC_STATE = 'state';

export function commandTopic(deviceIdHex: string): string {
  return TOPIC_ROOT + '/' + deviceIdHex + '/' + TOPIC_COMMAND;
}

export function eventTopic(deviceIdHex: string): string {
  return TOPIC_ROOT + '/' + deviceIdHex + '/' + TOPIC_EVENT;
}

export function stateTopic(deviceIdHex: string): string {
  return TOPIC_ROOT + '/' + deviceIdHex + '/' + TOPIC_STATE;
}

/** 16 lowercase hex characters (checked by hand: Espruino's RegExp has no quantifiers). */
export function isDeviceIdHex(s: string): boolean {
  if (typeof s !== 'string' || s.length !== 16) return false;
  for (let i = 0; i < 16; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

export interface DeviceTopic {
  deviceId: string;
  kind: string;
}

/** Parses kw/<deviceId>/<cmd|evt|state>; null for anything else (wildcards included). */
export function parseDeviceTopic(topic: string): DeviceTopic | null {
  if (typeof topic !== 'string') return null;
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== TOPIC_ROOT || !isDeviceIdHex(parts[1])) return null;
  const kind = parts[2];
  if (kind !== TOPIC_COMMAND && kind !== TOPIC_EVENT && kind !== TOPIC_STATE) return null;
  return { deviceId: parts[1], kind: kind };
}
