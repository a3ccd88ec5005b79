/**
 * What an owner can choose to be told about away from the page (docs/relay.md
 * "Notifications"), and the words a notification is pushed with. Every owner notification
 * kind falls into one choice; the text names the lock, the site, the person and the parcel
 * instead of ids, so an e-mail or a phone banner reads on its own.
 */
import { deliveryPeople, deviceName, siteName } from '../data/names';
import type { Q } from '../data/store';
import { batteryPercent } from './battery';
import type { NotificationView } from './notifications';

export const NOTIFY_EVENTS = [
  'delivery.inside', 'delivery.secured', 'access.used', 'door.left_open', 'lock.offline', 'lock.low_battery', 'lock.waits_for_owner', 'revocation.unconfirmed', 'alarm'
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export const NOTIFY_EVENT_LABELS: Record<NotifyEvent, string> = {
  'delivery.inside': 'A courier is inside (the door opened)',
  'delivery.secured': 'A delivery is secured (or the lock relocked untouched)',
  'access.used': 'A guest or service provider used their access',
  'door.left_open': 'The door was left open',
  'lock.offline': 'A lock went offline',
  'lock.low_battery': 'A lock’s battery is low',
  'lock.waits_for_owner': 'A lock restarted and keeps staged access closed until you open the owner page',
  'revocation.unconfirmed': 'A lock has not confirmed a revocation',
  alarm: 'Other alarms: jam, forced door, lockout, faults, tampered log'
};

const AL_DOOR_AJAR_NAME = 'DOOR_AJAR';

/** The choice a notification kind belongs to; null for kinds that are never pushed. */
export function notifyEventOf(n: Pick<NotificationView, 'kind' | 'body'>): NotifyEvent | null {
  switch (n.kind) {
    case 'delivery.entered':
      return 'delivery.inside';
    case 'delivery.secured':
    case 'delivery.relocked':
      return 'delivery.secured';
    case 'access.used':
      return 'access.used';
    case 'lock.offline':
      return 'lock.offline';
    case 'lock.low_battery':
      return 'lock.low_battery';
    case 'lock.owner_time_needed':
      return 'lock.waits_for_owner';
    case 'grant.revocation_unconfirmed':
      return 'revocation.unconfirmed';
    case 'alarm':
      return n.body.alarm === AL_DOOR_AJAR_NAME ? 'door.left_open' : 'alarm';
    case 'push.test':
      return null;
    default:
      return n.kind.startsWith('security.') || n.kind.startsWith('log.') || n.kind.startsWith('evidence.') || n.kind === 'lock.fault' || n.kind === 'delivery.failed' || n.kind === 'clock.skew'
        ? 'alarm' : null;
  }
}

export interface PushText {
  title: string;
  body: string;
  /** ntfy priority 1..5: 4 for things to look at now. */
  priority: number;
}

interface Names {
  lock: string;
  site: string;
}

async function namesFor(q: Q, siteId: number | null, deviceId: unknown): Promise<Names> {
  const site = siteId ? await siteName(q, siteId) : undefined;
  const dev = typeof deviceId === 'string' ? await deviceName(q, deviceId) : undefined;
  return { site: site ?? 'your home', lock: dev?.name ?? 'the lock' };
}

function courierLine(people: { courier: string; company: string } | undefined): string {
  return people ? people.courier + ' (' + people.company + ')' : 'The courier';
}

const str = (v: unknown, fallback: string): string => (typeof v === 'string' && v.length > 0 ? v : fallback);

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Human words for one owner notification. */
export async function pushText(q: Q, n: NotificationView): Promise<PushText> {
  const people = n.deliveryId ? await deliveryPeople(q, n.deliveryId) : undefined;
  const b = n.body;
  const receipt = (b.receipt ?? {}) as { deviceId?: string };
  const names = await namesFor(q, n.siteId, b.deviceId ?? receipt.deviceId ?? people?.deviceId);
  const t = words(n, names, people);
  return { ...t, title: capital(t.title), body: capital(t.body) };
}

function words(n: NotificationView, names: Names, people: { courier: string; company: string } | undefined): PushText {
  const b = n.body;
  const parcel = str(b.trackingNumber, 'a parcel');
  switch (n.kind) {
    case 'delivery.entered':
      return { title: 'Delivery inside · ' + names.site, body: courierLine(people) + ' opened ' + names.lock + ' to deliver ' + parcel + '.', priority: 4 };
    case 'delivery.secured':
      return { title: 'Delivery secured · ' + names.site, body: parcel + ' is inside: the door is closed and ' + names.lock + ' is locked.', priority: 3 };
    case 'delivery.relocked':
      return { title: 'Delivery not made · ' + names.site, body: names.lock + ' unlocked for ' + parcel + ' and locked again: the door was never opened.', priority: 3 };
    case 'access.used':
      return { title: str(b.label, 'A guest') + ' came in · ' + names.site, body: str(b.label, 'A guest') + (b.grantKind === 'service' ? ' (service provider)' : ' (guest)') + ' opened ' + names.lock + '.', priority: 3 };
    case 'lock.offline':
      return { title: names.lock + ' is offline · ' + names.site, body: names.lock + ' lost its connection (' + str(b.reason, 'no reason given') + '). Staged access keeps working on the lock.', priority: 4 };
    case 'lock.low_battery':
      return { title: 'Low battery · ' + names.lock, body: names.lock + ' at ' + names.site + ' reports a low battery' + (typeof b.batteryMv === 'number' ? ' (about ' + batteryPercent(b.batteryMv) + ' %)' : '') + '. Replace the batteries soon.', priority: 4 };
    case 'lock.owner_time_needed':
      return {
        title: names.lock + ' waits for you · ' + names.site,
        body: names.lock + ' restarted. Guests, couriers and parcels stay outside until you open the owner page on one of your enrolled devices: it confirms the lock’s clock by itself.',
        priority: 4
      };
    case 'grant.revocation_unconfirmed':
      return { title: 'Revocation not confirmed · ' + names.site, body: names.lock + ' has not yet confirmed that access "' + str(b.label, 'access') + '" is revoked. It stays pending until the lock confirms.', priority: 4 };
    case 'alarm':
      return b.alarm === AL_DOOR_AJAR_NAME
        ? { title: 'Door left open · ' + names.site, body: 'The door at ' + names.lock + ' stayed open past the allowed time.', priority: 5 }
        : { title: 'Alarm ' + str(b.alarm, '') + ' · ' + names.site, body: names.lock + ' raised ' + str(b.alarm, 'an alarm') + '.', priority: 5 };
    case 'push.test':
      return { title: 'Test notification from keyway', body: 'Notifications from keyway reach you here.', priority: 3 };
    default:
      return { title: n.kind + ' · ' + names.site, body: names.lock + ': ' + n.kind + (b.reason ? ' (' + String(b.reason) + ')' : '') + '.', priority: 4 };
  }
}
