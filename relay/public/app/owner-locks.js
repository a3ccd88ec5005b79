// The owner's locks: online status, bolt and door, camera health, updated live from the
// site stream's `lock` messages; unlock and lock from anywhere with the lock's answer
// (including "may have run" when the lock does not answer in time).
import { api, el, formatTime, newIdempotencyKey, say, showError } from './common.js';

const BOLT_TEXT = { locked: 'Locked', unlocked: 'Unlocked', unlocking: 'Unlocking', locking: 'Locking', jammed: 'Jammed', fault: 'Fault', unknown: 'Unknown' };
const DOOR_TEXT = { closed: 'Closed', open: 'Open', unknown: 'Unknown' };

function fromView(d) {
  const s = d.status || {};
  return { id: d.id, name: d.name || 'Lock ' + d.id, profile: d.profile, online: d.online, lastSeen: d.lastSeen, offlineReason: d.offlineReason, bolt: s.bolt || null, door: s.door || null, flags: s.flags || null };
}

export function createLocks(view, container) {
  const cards = new Map();

  function paint(card) {
    const s = card.state;
    card.badge.textContent = s.online ? 'Online' : 'Offline';
    card.badge.dataset.state = s.online ? 'ok' : 'bad';
    card.bolt.textContent = s.bolt ? BOLT_TEXT[s.bolt] || s.bolt : '—';
    card.bolt.dataset.value = s.bolt || '';
    card.door.textContent = s.door ? DOOR_TEXT[s.door] || s.door : '—';
    card.door.dataset.value = s.door || '';
    const notes = [];
    if (s.flags) {
      notes.push(s.flags.cameraHealthy ? 'Camera OK' : 'Camera not working');
      if (s.flags.jammed) notes.push('Bolt jammed');
      if (s.flags.lockout) notes.push('Locked out after failed attempts');
      if (s.flags.lowBattery) notes.push('Battery low');
    }
    if (!s.online) notes.push(s.offlineReason ? 'Offline: ' + s.offlineReason : 'Offline');
    if (s.lastSeen) notes.push('Last seen ' + formatTime(s.lastSeen, view.site.timezone));
    card.notes.textContent = notes.join(' · ');
  }

  async function command(card, what) {
    for (const b of card.buttons) b.disabled = true;
    say(card.outcome, what === 'unlock' ? 'Unlocking: waiting for the lock…' : 'Locking: waiting for the lock…', 'busy');
    try {
      const r = await api('POST', '/v1/devices/' + encodeURIComponent(card.state.id) + '/' + what, { headers: { 'idempotency-key': newIdempotencyKey() } });
      if (!view.alive()) return;
      say(card.outcome, (what === 'unlock' ? 'Unlocked' : 'Locked') + ': the lock confirmed it (event #' + r.eventSeq + (r.clip ? ', ' + r.clip : '') + ').', 'ok');
    } catch (err) {
      if (!view.alive()) return;
      if (err.code === 'KW_ENTRY_TIMEOUT') {
        say(card.outcome, 'No answer from the lock in time: it may have ' + (what === 'unlock' ? 'unlocked' : 'locked') + '. Watch the state above before you try again.', 'warn');
      } else {
        showError(card.outcome, err);
      }
    } finally {
      for (const b of card.buttons) b.disabled = false;
    }
  }

  function card(state) {
    const headingId = 'lock-' + state.id;
    const c = {
      state,
      badge: el('span', { class: 'badge' }),
      bolt: el('span', { class: 'bolt' }),
      door: el('span', { class: 'door' }),
      notes: el('p', { class: 'hint notes' }),
      outcome: el('p', { class: 'notice outcome', role: 'status', hidden: true }),
      buttons: []
    };
    c.buttons = [
      el('button', { type: 'button', class: 'primary', on: { click: () => command(c, 'unlock') } }, 'Unlock'),
      el('button', { type: 'button', on: { click: () => command(c, 'lock') } }, 'Lock')
    ];
    c.node = el('article', { class: 'card lock', 'data-lock': state.id, 'aria-labelledby': headingId },
      el('h3', { id: headingId }, state.name, ' ', c.badge),
      el('p', { class: 'lock-state', role: 'status', 'aria-live': 'polite' }, 'Bolt: ', c.bolt, ' · Door: ', c.door),
      c.notes,
      el('div', { class: 'actions' }, c.buttons),
      c.outcome);
    paint(c);
    return c;
  }

  return {
    /** Full list (site view or the stream's hello). */
    render(devices) {
      for (const d of devices) {
        const existing = cards.get(d.id);
        if (existing) {
          existing.state = fromView(d);
          paint(existing);
        } else {
          const c = card(fromView(d));
          cards.set(d.id, c);
          container.append(c.node);
        }
      }
      if (devices.length === 0 && cards.size === 0) container.replaceChildren(el('p', { class: 'hint' }, 'No lock is registered for this site yet.'));
    },
    /** A live `lock` message: presence, a state event or a status. */
    update(msg) {
      const c = cards.get(msg.deviceId);
      if (!c) return;
      for (const k of ['online', 'bolt', 'door', 'flags']) if (msg[k] !== undefined) c.state[k] = msg[k];
      if (msg.online === false) c.state.offlineReason = msg.reason || null;
      if (msg.online === true) c.state.lastSeen = new Date().toISOString();
      paint(c);
    },
    names() {
      return new Map([...cards].map(([id, c]) => [id, c.state.name]));
    }
  };
}
