// The lock's settings on its card: auto-lock delay, relock when the door closes, and the
// door-left-open alert. Saved on the relay under a new revision and sent to the lock as a
// signed command; the card says "Waiting for the lock" until the lock reports that revision
// (an offline lock gets them when it is back), then "On the lock".
import { api, el, say, showError } from './common.js';

const AUTO_LOCK = { min: 5, max: 3600 };
const AJAR_MIN = { min: 1, max: 60 };

function stateText(s, online) {
  if (s.state === 'applied') return 'On the lock.';
  if (s.state === 'default') return 'The lock uses its factory settings.';
  return online ? 'Saved. Waiting for the lock to confirm…' : 'Saved. The lock gets them when it is back online.';
}

/**
 * Builds the settings panel for one lock. `status()` gives the card's current state (online,
 * everConnected); `alive()` says whether the page still shows this view.
 */
export function createLockSettings(deviceId, status, alive) {
  const id = (k) => 'ls-' + k + '-' + deviceId;
  const auto = el('input', { id: id('auto'), type: 'number', inputmode: 'numeric', min: AUTO_LOCK.min, max: AUTO_LOCK.max, step: 1, required: true, 'aria-describedby': id('auto-hint') });
  const close = el('input', { id: id('close'), type: 'checkbox' });
  const ajar = el('input', { id: id('ajar'), type: 'number', inputmode: 'numeric', min: AJAR_MIN.min, max: AJAR_MIN.max, step: 1, required: true, 'aria-describedby': id('ajar-hint') });
  const save = el('button', { type: 'submit', 'aria-describedby': id('why') }, 'Save settings');
  const why = el('p', { class: 'hint settings-why', id: id('why'), hidden: true });
  const state = el('p', { class: 'hint settings-state', role: 'status' });
  const outcome = el('p', { class: 'notice', role: 'alert', hidden: true });
  let current = null;

  function fill(s) {
    current = s;
    auto.value = String(s.autoLockS);
    close.checked = !!s.relockOnClose;
    ajar.value = String(Math.max(AJAR_MIN.min, Math.round(s.doorAjarS / 60)));
    paint();
  }

  function paint() {
    const st = status();
    const blocked = st.everConnected ? null : 'Settings can be saved once this lock has reached the relay.';
    why.textContent = blocked || '';
    why.hidden = !blocked;
    save.disabled = !!blocked || !current;
    state.textContent = current ? stateText(current, st.online) : '';
  }

  const form = el('form', { class: 'lock-settings', novalidate: true },
    el('label', { for: id('auto') }, 'Lock again after (seconds)'),
    auto,
    el('p', { class: 'hint', id: id('auto-hint') }, 'When an unlock is not followed by the door opening. ' + AUTO_LOCK.min + '–' + AUTO_LOCK.max + ' s.'),
    el('label', { class: 'inline' }, close, ' Lock again a few seconds after the door closes'),
    el('label', { for: id('ajar') }, 'Alert me when the door is left open for (minutes)'),
    ajar,
    el('p', { class: 'hint', id: id('ajar-hint') }, AJAR_MIN.min + '–' + AJAR_MIN.max + ' minutes; you get the "door left open" notification.'),
    why,
    el('div', { class: 'actions' }, save),
    state,
    outcome);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    outcome.hidden = true;
    const a = Number(auto.value);
    const m = Number(ajar.value);
    if (!Number.isInteger(a) || a < AUTO_LOCK.min || a > AUTO_LOCK.max) {
      say(outcome, 'Lock again after: enter whole seconds from ' + AUTO_LOCK.min + ' to ' + AUTO_LOCK.max + '.', 'error');
      auto.focus();
      return;
    }
    if (!Number.isInteger(m) || m < AJAR_MIN.min || m > AJAR_MIN.max) {
      say(outcome, 'Door left open: enter whole minutes from ' + AJAR_MIN.min + ' to ' + AJAR_MIN.max + '.', 'error');
      ajar.focus();
      return;
    }
    save.disabled = true;
    try {
      const s = await api('PUT', '/v1/devices/' + encodeURIComponent(deviceId) + '/settings', { body: { autoLockS: a, doorAjarS: m * 60, relockOnClose: close.checked } });
      if (alive()) fill(s);
    } catch (err) {
      if (alive()) showError(outcome, err);
    } finally {
      if (alive()) paint();
    }
  });

  async function load() {
    try {
      const s = await api('GET', '/v1/devices/' + encodeURIComponent(deviceId) + '/settings');
      if (alive()) fill(s);
    } catch (err) {
      if (alive()) showError(outcome, err);
    }
  }

  const node = el('details', { class: 'settings' }, el('summary', {}, 'Lock settings'), form);
  void load();
  return {
    node,
    paint,
    /** The lock reported a status: a pending revision may now be on the lock. */
    refresh() {
      if (current && current.state === 'pending') void load();
      else paint();
    }
  };
}
