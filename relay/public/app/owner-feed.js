// The site's activity feed: who, when, which grant or delivery, camera clip references,
// denials with their reason names. The first page comes from GET /v1/sites/:id/activity,
// older pages with "Load more" (?before=nextBefore), new entries live from the stream.
import { api, codeText, el, formatTime, say, showError } from './common.js';

const PAGE = 20;

const TITLES = {
  unlock: 'Unlocked', lock: 'Locked', 'operation.failed': 'Lock fault', denial: 'Denied by the lock', 'entry.refused': 'Entry refused by the relay',
  'entry.requested': 'Entry requested', camera: 'Camera clip', state: 'Door and bolt', alarm: 'Alarm', 'alarm.cleared': 'Alarm cleared',
  boot: 'Lock restarted', 'lock.online': 'Lock online', 'lock.offline': 'Lock offline', 'clock.skew': 'Lock clock is off',
  'grant.created': 'Access created', 'grant.staged': 'Access stored on the lock', 'grant.failed': 'Access could not be stored', 'grant.revoked': 'Access revoked',
  'delivery.booked': 'Delivery booked', 'delivery.blocked': 'Delivery blocked', 'delivery.unblocked': 'Delivery unblocked',
  'delivery.cancelled': 'Delivery cancelled', 'delivery.secured': 'Delivery secured', 'command.refused': 'Command refused by the lock',
  'log.gap': 'Lock log: entries missing', 'log.break': 'Lock log: chain broken', 'log.rewind': 'Lock log: entry rewritten', 'parcel.registered': 'Parcel registered'
};

const ACTORS = { button: 'Inside button', auto: 'Automatic relock', backend: 'Delivery service', parcel: 'Parcel scan', installer: 'Installer' };

const BAD = new Set(['denial', 'entry.refused', 'operation.failed', 'alarm', 'command.refused', 'log.gap', 'log.break', 'log.rewind', 'clock.skew', 'grant.failed']);

export function createFeed(view, list, more, status) {
  const items = new Map();
  let nextBefore = null;

  function grantName(id) {
    const g = view.grants.get(id);
    return 'access #' + id + (g && g.label ? ' “' + g.label + '”' : '');
  }

  function deliveryName(id) {
    const d = view.deliveries.get(id);
    return 'delivery ' + (d ? d.trackingNumber : '#' + id);
  }

  function who(a) {
    const actor = a.actor;
    if (!actor) return null;
    if (actor.kind === 'owner') return actor.id === view.me.id ? 'You' : 'Owner';
    if (actor.kind === 'guest' || actor.kind === 'service') {
      const g = a.grantId ? view.grants.get(a.grantId) : null;
      return (actor.kind === 'guest' ? 'Guest' : 'Service provider') + (g && g.label ? ' “' + g.label + '”' : '');
    }
    if (actor.kind === 'courier') return 'Courier' + (actor.id ? ' #' + actor.id : '');
    return ACTORS[actor.kind] || actor.kind;
  }

  function title(a) {
    if (a.kind === 'state') return 'Bolt ' + (a.details.bolt || '?') + ', door ' + (a.details.door || '?');
    if (a.kind === 'camera' && !a.clip) return 'Camera failed';
    if (a.kind === 'alarm') return 'Alarm: ' + a.reason;
    return TITLES[a.kind] || a.kind;
  }

  function reasonLine(a) {
    if (!a.reason || a.kind === 'alarm') return a.kind === 'alarm' && view.codes.alarms[a.reason] ? view.codes.alarms[a.reason] : null;
    const meaning = view.codes.reasons[a.reason] || view.codes.alarms[a.reason] || codeText(a.reason);
    return [el('span', {}, 'Reason: '), el('code', { class: 'reason' }, a.reason), meaning ? ' — ' + meaning : ''];
  }

  function render(a) {
    const lock = view.lockNames().get(a.deviceId);
    const by = who(a);
    const refs = [];
    if (a.grantId) refs.push(a.actor && (a.actor.kind === 'guest' || a.actor.kind === 'service') ? 'access #' + a.grantId : grantName(a.grantId));
    if (a.deliveryId) refs.push(deliveryName(a.deliveryId));
    const source = a.details && typeof a.details.source === 'string' && (a.kind === 'unlock' || a.kind === 'lock') ? 'via ' + a.details.source : null;
    const reason = reasonLine(a);
    return el('li', { class: 'entry', 'data-id': a.id, 'data-kind': a.kind, 'data-tone': BAD.has(a.kind) ? 'bad' : null },
      el('p', { class: 'entry-head' }, el('strong', {}, title(a)), ' ', el('time', { datetime: a.time }, formatTime(a.time, view.site.timezone, true))),
      by || refs.length || source ? el('p', { class: 'entry-who' }, [by, refs.join(', '), source].filter(Boolean).join(' · ')) : null,
      reason ? el('p', { class: 'entry-reason' }, reason) : null,
      a.clip ? el('p', { class: 'entry-clip' }, 'Camera clip: ', el('code', { class: 'clip' }, a.clip)) : null,
      a.kind === 'delivery.secured' && a.details.receipt ? el('p', { class: 'hint' }, 'Receipt: event #' + a.details.receipt.eventSeq + ', hash ', el('code', {}, a.details.receipt.eventHash)) : null,
      lock || a.eventSeq ? el('p', { class: 'hint' }, [lock, a.eventSeq ? 'lock event #' + a.eventSeq : null].filter(Boolean).join(' · ')) : null);
  }

  /** Keeps the list ordered newest first, whatever order items arrive in. */
  function put(a) {
    const node = render(a);
    const old = items.get(a.id);
    items.set(a.id, { a, node });
    if (old) {
      old.node.replaceWith(node);
      return;
    }
    for (const li of list.children) {
      if (Number(li.dataset.id) < a.id) {
        list.insertBefore(node, li);
        return;
      }
    }
    list.append(node);
  }

  async function page(before) {
    const q = '?limit=' + PAGE + (before ? '&before=' + before : '');
    const r = await api('GET', '/v1/sites/' + view.site.id + '/activity' + q);
    if (!view.alive()) return;
    for (const a of r.items) put(a);
    if (before || nextBefore === null || items.size <= r.items.length) nextBefore = r.nextBefore;
    more.hidden = nextBefore === null;
    if (items.size === 0) say(status, 'Nothing has happened here yet.');
    else status.hidden = true;
  }

  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      await page(nextBefore);
    } catch (err) {
      showError(status, err);
    } finally {
      more.disabled = false;
    }
  });

  return {
    /** First page (again, after a reconnect: whatever was missed is merged in). */
    async refresh() {
      try {
        await page(null);
      } catch (err) {
        if (view.alive()) showError(status, err);
      }
    },
    add(a) {
      put(a);
      status.hidden = true;
    },
    /** Re-renders every entry (after grants or deliveries were loaded, for their names). */
    relabel() {
      for (const { a } of [...items.values()]) put(a);
    }
  };
}
