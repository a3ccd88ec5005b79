// The owner's locks: online status, bolt and door, battery, camera health, updated live from
// the site stream's `lock` messages; unlock and lock from anywhere with the lock's answer
// (including "may have run" when the lock does not answer in time), disabled with the
// reason while the lock cannot be reached; clearing a jam or a lockout with a signed command;
// the lock's settings (lock-settings.js).
import { api, el, formatTime, newIdempotencyKey, say, showError } from './common.js';
import { createLockSettings } from './lock-settings.js';
import { createOwnerConsent } from './owner-consent.js';

const BOLT_TEXT = { locked: 'Locked', unlocked: 'Unlocked', unlocking: 'Unlocking', locking: 'Locking', jammed: 'Jammed', fault: 'Fault', unknown: 'Unknown' };
const DOOR_TEXT = { closed: 'Closed', open: 'Open', unknown: 'Unknown' };

function fromView(d) {
  const s = d.status || {};
  return {
    id: d.id, name: d.name || 'Lock ' + d.id, named: !!d.name, profile: d.profile, online: d.online, lastSeen: d.lastSeen, offlineReason: d.offlineReason,
    everConnected: !!(d.lastSeen || d.status), bolt: s.bolt || null, door: s.door || null, flags: s.flags || null,
    batteryPercent: s.batteryPercent ?? null
  };
}

/** Why Unlock/Lock cannot be used now, or null. */
function unavailable(s, tz) {
  if (!s.everConnected) return 'This lock has not reached the relay yet: power it and finish the install, and it shows up here.';
  if (!s.online) {
    return 'Not reachable' + (s.lastSeen ? ' since ' + formatTime(s.lastSeen, tz) : '') + (s.offlineReason ? ' (' + s.offlineReason + ')' : '')
      + ', so Unlock and Lock cannot reach it. Access already on the lock keeps working at the door.';
  }
  return null;
}

export function createLocks(view, container) {
  const cards = new Map();
  const tz = view.site.timezone;

  function paint(card) {
    const s = card.state;
    card.badge.textContent = s.online ? 'Online' : s.everConnected ? 'Offline' : 'Never connected';
    card.badge.dataset.state = s.online ? 'ok' : 'bad';
    card.battery.textContent = s.batteryPercent === null ? '—' : s.batteryPercent + ' %';
    card.battery.dataset.low = String(!!(s.flags && s.flags.lowBattery));
    card.bolt.textContent = s.bolt ? BOLT_TEXT[s.bolt] || s.bolt : '—';
    card.bolt.dataset.value = s.bolt || '';
    card.door.textContent = s.door ? DOOR_TEXT[s.door] || s.door : '—';
    card.door.dataset.value = s.door || '';
    const notes = [];
    if (s.flags) {
      notes.push(s.flags.cameraHealthy ? 'Camera OK' : 'Camera not working');
      if (s.flags.jammed) notes.push('Bolt jammed');
      if (s.flags.lockout) notes.push('Locked out after failed attempts');
      if (s.flags.lowBattery) notes.push('Battery low: replace it soon');
    }
    if (s.online && s.lastSeen) notes.push('Last seen ' + formatTime(s.lastSeen, tz));
    card.notes.textContent = notes.join(' · ');
    card.ajar.textContent = s.ajarSince && s.door === 'open' ? 'Door left open since ' + formatTime(s.ajarSince, tz) + '. Close it: the lock cannot lock while it is open.' : '';
    card.ajar.hidden = !card.ajar.textContent;
    const why = unavailable(s, tz);
    card.why.textContent = why || '';
    card.why.hidden = !why;
    if (!card.busy) for (const b of card.buttons) b.disabled = !!why;
    const latched = s.online && s.flags && (s.flags.jammed || s.flags.lockout);
    card.clear.hidden = !latched;
    card.clear.textContent = s.flags && s.flags.jammed ? 'Clear jam' : 'End lockout';
    if (card.settings) card.settings.paint();
    if (card.consent) void card.consent.paint();
  }

  async function rename(card) {
    const name = window.prompt('Name this lock (for example "Front door")', card.state.named ? card.state.name : '');
    if (name === null) return;
    try {
      const d = await api('PATCH', '/v1/devices/' + encodeURIComponent(card.state.id), { body: { name: name.trim() } });
      if (!view.alive()) return;
      Object.assign(card.state, { name: d.name || 'Lock ' + d.id, named: !!d.name });
      card.title.textContent = card.state.name;
      card.rename.setAttribute('aria-label', 'Rename ' + card.state.name);
      view.onRename();
    } catch (err) {
      if (view.alive()) showError(card.outcome, err);
    }
  }

  async function clearAlarm(card) {
    card.clear.disabled = true;
    say(card.outcome, 'Clearing: waiting for the lock…', 'busy');
    try {
      const r = await api('POST', '/v1/devices/' + encodeURIComponent(card.state.id) + '/alarms/clear', { body: { alarm: 0 } });
      if (view.alive()) say(card.outcome, 'Cleared: the lock confirmed it (event #' + r.eventSeq + '). Check the bolt before you try again.', 'ok');
    } catch (err) {
      if (view.alive()) showError(card.outcome, err);
    } finally {
      card.clear.disabled = false;
    }
  }

  async function command(card, what) {
    card.busy = true;
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
      card.busy = false;
      paint(card);
    }
  }

  function card(state) {
    const headingId = 'lock-' + state.id;
    const c = {
      state,
      badge: el('span', { class: 'badge' }),
      bolt: el('span', { class: 'bolt' }),
      door: el('span', { class: 'door' }),
      battery: el('span', { class: 'battery' }),
      notes: el('p', { class: 'hint notes' }),
      why: el('p', { class: 'hint why', id: 'why-' + state.id, hidden: true }),
      ajar: el('p', { class: 'notice ajar', 'data-tone': 'error', role: 'alert', hidden: true }),
      outcome: el('p', { class: 'notice outcome', role: 'status', hidden: true }),
      clear: el('button', { type: 'button', class: 'danger', hidden: true }),
      title: el('span', { class: 'lock-name' }, state.name),
      rename: el('button', { type: 'button', class: 'quiet-link', 'aria-label': 'Rename ' + state.name }, 'Rename'),
      buttons: [],
      busy: false
    };
    c.buttons = [
      el('button', { type: 'button', class: 'primary', 'aria-describedby': 'why-' + state.id, on: { click: () => command(c, 'unlock') } }, 'Unlock'),
      el('button', { type: 'button', 'aria-describedby': 'why-' + state.id, on: { click: () => command(c, 'lock') } }, 'Lock')
    ];
    c.settings = createLockSettings(state.id, () => c.state, view.alive);
    c.consent = createOwnerConsent(state.id, () => c.state, view.alive, tz);
    c.clear.addEventListener('click', () => clearAlarm(c));
    c.rename.addEventListener('click', () => rename(c));
    c.node = el('article', { class: 'card lock', 'data-lock': state.id, 'aria-labelledby': headingId },
      el('h3', { id: headingId }, c.title, ' ', c.badge, ' ', c.rename),
      el('p', { class: 'lock-state', role: 'status', 'aria-live': 'polite' }, 'Bolt: ', c.bolt, ' · Door: ', c.door, ' · Battery: ', c.battery),
      c.notes,
      c.ajar,
      c.why,
      el('div', { class: 'actions' }, c.buttons, c.clear),
      c.outcome,
      c.settings.node,
      c.consent.node);
    paint(c);
    return c;
  }

  const pending = new Map();
  function refetch(c) {
    clearTimeout(pending.get(c.state.id));
    pending.set(c.state.id, setTimeout(async () => {
      try {
        const d = await api('GET', '/v1/devices/' + encodeURIComponent(c.state.id));
        if (!view.alive()) return;
        c.state.batteryPercent = d.status ? d.status.batteryPercent ?? null : null;
        paint(c);
        c.settings.refresh();
      } catch {
        // The next status tries again; the card keeps what it showed.
      }
    }, 150));
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
      if (msg.door === 'closed') c.state.ajarSince = null;
      if (msg.online === false) {
        c.state.offlineReason = msg.reason || null;
        c.state.lastSeen = new Date().toISOString();
      }
      if (msg.online === true) {
        c.state.lastSeen = new Date().toISOString();
        c.state.everConnected = true;
      }
      paint(c);
      // A status carries the battery, which the live message does not: read the lock again.
      if (msg.flags) refetch(c);
    },
    /** An alarm from the feed: DOOR_AJAR shows on the card until the door is reported closed. */
    alarm(a) {
      const c = cards.get(a.deviceId);
      if (!c || a.reason !== 'DOOR_AJAR') return;
      c.state.ajarSince = a.time;
      c.state.door = 'open';
      paint(c);
    },
    names() {
      return new Map([...cards].map(([id, c]) => [id, c.state.name]));
    }
  };
}
