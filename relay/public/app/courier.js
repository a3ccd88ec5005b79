// The courier page: sign in with the courier token (checked with GET /v1/me, then exchanged
// for the HttpOnly session cookie by POST /v1/auth/session), my deliveries with today's
// first, entry requests (a fresh Idempotency-Key per attempt, reused only to retry an
// attempt whose answer was lost), and the secured receipt live from the delivery stream
// (polling GET /v1/deliveries/:id when the stream is unavailable).
import { $, api, ApiError, el, formatTime, formatWindow, logout, newIdempotencyKey, reloadWhenRestored, say, showError, utcToZoned } from './common.js';

reloadWhenRestored();

const STATUS_TEXT = {
  booked: 'Booked', entering: 'Entry in progress', unlocked: 'Unlocked', entered: 'Door opened', secured: 'Secured', blocked: 'Blocked by the owner', cancelled: 'Cancelled', failed: 'Failed'
};
/** Statuses the delivery stream is followed in: the lock answered, the door and the relock are still to come. */
const AT_DOOR = new Set(['entering', 'unlocked', 'entered']);
const OPEN = new Set(['booked', 'entering']);
const NOTES = {
  blocked: 'The owner blocked in-home entry for this delivery: use the usual drop-off.',
  cancelled: 'This delivery was cancelled.',
  failed: 'The lock reported a fault during entry. Contact your dispatcher.'
};

const signin = $('#signin');
const work = $('#work');
const list = $('#deliveries');
const pageStatus = $('#page-status');
const cards = new Map();
const watchers = new Map();

function tzOf(d) {
  return d.site && d.site.timezone ? d.site.timezone : undefined;
}

/** 0 = today (in the site's time zone), 1 = later, 2 = earlier. */
function dayGroup(d, now) {
  const tz = tzOf(d) || Intl.DateTimeFormat().resolvedOptions().timeZone;
  const today = utcToZoned(now, tz).date;
  const start = utcToZoned(Date.parse(d.window.start), tz).date;
  const end = utcToZoned(Date.parse(d.window.end) - 1, tz).date;
  if (start <= today && today <= end) return 0;
  return start > today ? 1 : 2;
}

function sortDeliveries(items) {
  const now = Date.now();
  return items.map((d) => ({ d, g: dayGroup(d, now) }))
    .sort((a, b) => a.g - b.g || (a.g === 2 ? -1 : 1) * (Date.parse(a.d.window.start) - Date.parse(b.d.window.start)))
    .map((x) => x.d);
}

function showReceipt(c, d) {
  const r = d.receipt;
  const opened = r.doorOpened !== false;
  c.receipt.dataset.doorOpened = String(opened);
  c.receipt.replaceChildren(
    el('h3', { tabindex: '-1' }, opened ? 'Secured: door closed and locked' : 'Locked again: the door was never opened'),
    el('p', {}, opened
      ? 'You can leave. The lock confirmed it in its log:'
      : 'The lock relocked on its own after the unlock, and the door stayed shut: nothing was put inside. The lock logged it:'),
    el('dl', { class: 'receipt-fields' },
      el('dt', {}, 'Lock event'), el('dd', { class: 'receipt-seq' }, '#' + r.eventSeq),
      el('dt', {}, 'Event hash'), el('dd', {}, el('code', { class: 'receipt-hash' }, r.eventHash)),
      el('dt', {}, 'Time'), el('dd', {}, formatTime(r.time, tzOf(d), true))));
  c.receipt.hidden = false;
}

function paint(c) {
  const d = c.d;
  c.badge.textContent = STATUS_TEXT[d.status] || d.status;
  c.badge.dataset.state = d.status === 'secured' ? 'ok' : d.status === 'blocked' || d.status === 'failed' || d.status === 'cancelled' ? 'bad' : 'wait';
  c.node.dataset.status = d.status;
  c.button.hidden = !OPEN.has(d.status);
  if (d.status === 'entered' && c.shown !== 'entered') {
    say(c.outcome, 'Door opened' + (d.doorOpened ? ' (lock event #' + d.doorOpened.eventSeq + ')' : '') + '. Close the door behind you: it locks itself, and your receipt appears here.', 'ok');
  }
  c.note.textContent = NOTES[d.status] || '';
  c.note.hidden = !NOTES[d.status];
  if (d.alarms.length) c.alarm.replaceChildren('Alarm at the door: ' + d.alarms.map((a) => a.alarm).join(', ') + '. Check the door is closed.');
  c.alarm.hidden = d.alarms.length === 0;
  if (d.receipt && c.receipt.hidden) {
    say(c.outcome, '');
    showReceipt(c, d);
    if (c.focusReceipt) c.receipt.querySelector('h3').focus();
  }
  c.shown = d.status;
}

function update(d) {
  const c = cards.get(d.id);
  if (!c) return;
  c.d = d;
  paint(c);
  if (AT_DOOR.has(d.status)) watch(d.id);
  if (d.status === 'secured' || d.status === 'cancelled' || d.status === 'failed') unwatch(d.id);
}

/** Follows one delivery live: the stream, or polling when the relay refuses or drops it. */
function watch(id) {
  if (watchers.has(id)) return;
  const w = { es: new EventSource('/v1/deliveries/' + id + '/stream'), poll: null };
  watchers.set(id, w);
  const onData = (e) => {
    const data = JSON.parse(e.data);
    if (data.delivery && data.delivery.id === id) update(data.delivery);
  };
  for (const ev of ['hello', 'delivery.unlocked', 'delivery.entered', 'delivery.secured', 'delivery.alarm', 'delivery.denied', 'delivery.blocked', 'delivery.cancelled', 'delivery.failed']) {
    w.es.addEventListener(ev, onData);
  }
  w.es.addEventListener('error', () => {
    if (w.es.readyState !== EventSource.CLOSED || w.poll) return;
    w.poll = setInterval(async () => {
      try {
        update(await api('GET', '/v1/deliveries/' + id));
      } catch (err) {
        if (err.status === 401) signedOut();
      }
    }, 3000);
  });
}

function unwatch(id) {
  const w = watchers.get(id);
  if (!w) return;
  w.es.close();
  clearInterval(w.poll);
  watchers.delete(id);
}

async function requestEntry(c, key) {
  const id = c.d.id;
  c.button.disabled = true;
  c.retry.hidden = true;
  c.outcome.hidden = true;
  c.focusReceipt = true;
  const started = Date.now();
  say(c.progress, 'Asking for entry…', 'busy');
  const tick = setInterval(() => say(c.progress, 'Waiting for the lock… ' + Math.round((Date.now() - started) / 1000) + ' s', 'busy'), 1000);
  watch(id);
  try {
    const r = await api('POST', '/v1/deliveries/' + id + '/entry', { headers: { 'idempotency-key': key } });
    clearInterval(tick);
    say(c.progress, '');
    update(r.delivery);
    if (!r.delivery.receipt) {
      say(c.outcome, 'Door unlocked (lock event #' + r.eventSeq + (r.clip ? ', camera clip ' + r.clip : '') + '). Open the door, put the parcel inside and close the door: it locks itself, and your receipt appears here.', 'ok');
    }
  } catch (err) {
    clearInterval(tick);
    say(c.progress, '');
    showError(c.outcome, err);
    if (err.code === 'NETWORK') {
      // The answer was lost, not refused: retry the same attempt (same key), never a new one blindly.
      c.retry.hidden = false;
      c.retry.onclick = () => requestEntry(c, key);
    } else if (err.code !== 'KW_ENTRY_TIMEOUT') {
      unwatch(id);
    }
    if (err.status === 401) return signedOut();
    // A refusal may mean the list is stale (blocked or cancelled meanwhile): show the delivery as it is now.
    if (err.status >= 400 && err.status < 500) api('GET', '/v1/deliveries/' + id).then(update, () => undefined);
  } finally {
    c.button.disabled = false;
  }
}

function card(d) {
  const c = {
    d,
    badge: el('span', { class: 'badge' }),
    button: el('button', { type: 'button', class: 'primary' }, 'Request entry'),
    retry: el('button', { type: 'button', hidden: true }, 'Try the same request again'),
    progress: el('p', { class: 'progress', role: 'status', hidden: true }),
    note: el('p', { class: 'hint note', hidden: true }),
    outcome: el('p', { class: 'notice outcome', role: 'alert', hidden: true }),
    alarm: el('p', { class: 'notice', 'data-tone': 'error', role: 'alert', hidden: true }),
    receipt: el('div', { class: 'card receipt', role: 'status', hidden: true }),
    focusReceipt: false
  };
  c.button.setAttribute('aria-label', 'Request entry for delivery ' + d.trackingNumber);
  c.button.addEventListener('click', () => requestEntry(c, newIdempotencyKey()));
  const site = d.site ? [d.site.name, d.site.address].filter(Boolean).join(', ') : 'site #' + d.siteId;
  c.node = el('li', { class: 'card delivery', 'data-delivery': d.id },
    el('h2', {}, d.trackingNumber, ' ', c.badge),
    el('p', {}, site),
    el('p', { class: 'hint' }, 'Window ', formatWindow(d.window, tzOf(d)), d.inHome ? ' · in-home' : ' · doorstep'),
    c.note,
    el('div', { class: 'actions' }, c.button, c.retry),
    c.progress, c.outcome, c.alarm, c.receipt);
  cards.set(d.id, c);
  paint(c);
  return c.node;
}

async function loadDeliveries() {
  try {
    const r = await api('GET', '/v1/deliveries?limit=100');
    for (const id of [...watchers.keys()]) unwatch(id);
    cards.clear();
    const items = sortDeliveries(r.items);
    list.replaceChildren(...items.map(card));
    if (items.length === 0) list.append(el('li', { class: 'hint' }, 'No deliveries are assigned to you.'));
    for (const d of items) if (AT_DOOR.has(d.status)) watch(d.id);
  } catch (err) {
    if (err.status === 401) return signedOut();
    showError(pageStatus, err);
  }
}

function signedOut(note) {
  for (const id of [...watchers.keys()]) unwatch(id);
  cards.clear();
  list.replaceChildren();
  work.hidden = true;
  $('#logout').hidden = true;
  $('#who').textContent = '';
  signin.hidden = false;
  if (note) say($('#signin-error'), note, 'info');
  $('#token').focus();
}

function signedIn(me) {
  signin.hidden = true;
  $('#signin-error').hidden = true;
  $('#who').textContent = me.courier ? me.courier.name : 'Courier #' + me.id;
  $('#logout').hidden = false;
  work.hidden = false;
  $('#title').focus();
  return loadDeliveries();
}

signin.addEventListener('submit', async (e) => {
  e.preventDefault();
  const error = $('#signin-error');
  const input = $('#token');
  const token = input.value.trim();
  error.hidden = true;
  if (!token) {
    say(error, 'Enter your courier token.', 'error');
    input.focus();
    return;
  }
  const button = signin.querySelector('button');
  button.disabled = true;
  try {
    // Ask who the token stands for before it becomes this browser's session.
    const res = await fetch('/v1/me', { headers: { authorization: 'Bearer ' + token, accept: 'application/json' }, cache: 'no-store' }).catch(() => null);
    if (!res) throw new ApiError(0, null);
    if (!res.ok) {
      say(error, 'This token was not recognised: it is unknown, expired or revoked.', 'error');
      return;
    }
    const me = await res.json();
    if (me.kind !== 'courier') {
      say(error, 'This is not a courier token.', 'error');
      return;
    }
    await api('POST', '/v1/auth/session', { body: { token } });
    input.value = '';
    await signedIn(me);
  } catch (err) {
    showError(error, err);
  } finally {
    button.disabled = false;
    if (!signin.hidden) input.focus();
  }
});

$('#logout').addEventListener('click', async () => {
  await logout();
  signedOut('You are signed out.');
});

$('#reload').addEventListener('click', () => loadDeliveries());

async function boot() {
  try {
    const me = await api('GET', '/v1/me');
    if (me.kind === 'courier') return signedIn(me);
    signedOut('This browser is signed in as a ' + me.kind + '. Sign in with your courier token to continue.');
  } catch (err) {
    if (err.status === 401) return signedOut();
    showError(pageStatus, err);
  }
}

void boot();
