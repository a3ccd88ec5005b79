// Where the owner hears about things with this page closed: e-mail (when the relay has a mail
// server) and ntfy push (any ntfy-compatible topic URL, with an optional access token that is
// sent once and never shown again), and which events to hear about. GET/PUT
// /v1/me/notification-settings; "Send a test" asks the relay to send one on every channel on.
import { $, api, el, say, showError } from './common.js';

export function createNotify(view) {
  const form = $('#notify-form');
  const status = $('#notify-status');
  const email = $('#n-email');
  const address = $('#n-email-address');
  const ntfy = $('#n-ntfy');
  const url = $('#n-ntfy-url');
  const token = $('#n-ntfy-token');
  const events = $('#n-events');
  let current = null;

  function fill(s) {
    current = s;
    email.checked = s.email.enabled;
    email.disabled = !s.email.available;
    address.value = s.email.address;
    $('#n-email-hint').textContent = s.email.available ? 'Sent by this keyway relay.' : 'This relay has no mail server set up, so e-mail is not available.';
    ntfy.checked = s.ntfy.enabled;
    url.value = s.ntfy.url || '';
    token.value = '';
    token.placeholder = s.ntfy.tokenSet ? 'Saved (type to replace)' : 'Only if your topic needs one';
    events.replaceChildren(...s.choices.map((c) => el('label', { class: 'inline' },
      el('input', { type: 'checkbox', name: 'event', value: c.event, checked: s.events.includes(c.event) || null }), ' ' + c.label)));
  }

  async function load() {
    try {
      const s = await api('GET', '/v1/me/notification-settings');
      if (view.alive()) fill(s);
    } catch (err) {
      if (view.alive()) showError(status, err);
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      email: { enabled: email.checked, address: address.value.trim() },
      ntfy: { enabled: ntfy.checked, url: url.value.trim() || null },
      events: [...events.querySelectorAll('input[name=event]:checked')].map((i) => i.value)
    };
    if (token.value) body.ntfy.token = token.value;
    const save = form.querySelector('button[type=submit]');
    save.disabled = true;
    try {
      fill(await api('PUT', '/v1/me/notification-settings', { body }));
      say(status, 'Saved. ' + (current.email.enabled || current.ntfy.enabled ? 'You will be told about the events you ticked.' : 'No channel is on: nothing is sent while this page is closed.'), 'ok');
    } catch (err) {
      showError(status, err);
    } finally {
      save.disabled = false;
    }
  });

  $('#notify-test').addEventListener('click', async () => {
    try {
      const r = await api('POST', '/v1/me/notification-settings/test');
      say(status, r.queued ? 'A test is on its way (' + r.queued + (r.queued === 1 ? ' channel' : ' channels') + ').' : 'Turn on e-mail or push and save first.', r.queued ? 'ok' : 'warn');
    } catch (err) {
      showError(status, err);
    }
  });

  return { refresh: load };
}
