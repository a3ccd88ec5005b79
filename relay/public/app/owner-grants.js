// Access for guests and service providers: one-time, temporary and weekly grants (one or
// more day-and-time rules in the site's time zone), an invitation link to the guest page
// (/guest#<token>: the token travels in the fragment, which browsers never send to a
// server) shown once, the list of grants with their state on the lock (used up and ended
// ones said as such), and revocation. A lock in owner-consent mode stages a grant only signed
// by an owner device: this browser signs the exact grant bytes the relay hands back.
import { $, api, el, formatWindow, reloadById, say, showError, utcToZoned, zonedToUtc } from './common.js';
import { fromHex, signStatement } from './owner-key.js';

const DAY_LABELS = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };
/** The relay's reason on a grant that waits for an owner device's signature (docs/relay.md). */
const AWAITING_OWNER = 'waiting: owner signature';
const STATUS_TEXT = { pending: 'Sending to the lock', signature: 'Waiting for your signature', active: 'Active on the lock', failed: 'Failed', revoking: 'Revocation pending on the lock', revoked: 'Revoked' };
const DAY_MS = 86400_000;
const KIND_TEXT = { guest: 'Guest', service: 'Service provider', parcel: 'Parcel box' };
const TYPE_TEXT = { 'one-time': 'one time', temporary: 'temporary', weekly: 'weekly' };
/** The API takes up to seven weekly rules. */
const MAX_RULES = 7;
/** Ended or used-up grants stay listed this long, so the owner sees what happened. */
const SHOW_ENDED_MS = 7 * DAY_MS;

/** What a grant is now, for people: used up and ended beat the lock's state. */
function grantState(g, now) {
  if (g.status === 'pending' && g.statusReason === AWAITING_OWNER) return { text: STATUS_TEXT.signature, tone: 'wait', key: 'signature' };
  if (g.status === 'revoking' || g.status === 'revoked' || g.status === 'failed' || g.status === 'pending') return { text: STATUS_TEXT[g.status], tone: g.status === 'failed' ? 'bad' : 'wait', key: g.status };
  if (g.maxUses > 0 && g.uses >= g.maxUses) return { text: 'Used up', tone: 'wait', key: 'spent' };
  if (Date.parse(g.window.end) <= now) return { text: 'Ended', tone: 'wait', key: 'expired' };
  if (Date.parse(g.window.start) > now) return { text: 'Starts later · on the lock', tone: 'ok', key: 'active' };
  return { text: STATUS_TEXT.active, tone: 'ok', key: 'active' };
}

function scheduleText(schedule) {
  return schedule.map((s) => s.days.map((d) => DAY_LABELS[d] || d).join(', ') + ' ' + s.start + '–' + s.end).join('; ');
}

/**
 * Signs, with this browser's owner key, the exact grant bytes the relay asks for (`ownerSignature`:
 * lock, action, payload in hex, the grant's end) and sends the statement; returns the grant.
 */
export async function signGrant(grantId, request) {
  const validForS = Math.max(1, request.notAfter - Math.floor(Date.now() / 1000));
  const statement = await signStatement(request.deviceId, request.action, fromHex(request.payload), validForS);
  return api('POST', '/v1/grants/' + grantId + '/owner-statement', { body: { statement } });
}

export function createGrants(view) {
  const form = $('#grant-form');
  const error = $('#grant-error');
  const result = $('#grant-result');
  const list = $('#grant-list');
  const status = $('#grant-status');
  const tz = view.site.timezone;
  let untilTouched = false;

  const type = () => form.querySelector('input[name=type]:checked').value;
  const rules = $('#g-rules');
  let ruleCount = 0;

  function addRule() {
    const n = ++ruleCount;
    const id = (s) => 'g-r' + n + '-' + s;
    rules.append(el('fieldset', { class: 'rule', 'data-rule': n },
      el('legend', {}, 'Time ' + (rules.children.length + 1)),
      el('div', { class: 'days' }, Object.entries(DAY_LABELS).map(([v, t]) => el('label', { class: 'inline' }, el('input', { type: 'checkbox', name: 'day', value: v }), ' ' + t))),
      el('div', { class: 'row' },
        el('div', {}, el('label', { for: id('start') }, 'From'), el('input', { id: id('start'), class: 'rule-start', type: 'time', value: '12:00' })),
        el('div', {}, el('label', { for: id('end') }, 'Until'), el('input', { id: id('end'), class: 'rule-end', type: 'time', value: '13:00', 'aria-describedby': 'g-day-end-hint' })))));
    $('#g-add-rule').hidden = rules.children.length >= MAX_RULES;
  }

  function resetRules() {
    rules.replaceChildren();
    addRule();
  }

  function setWindowDefaults() {
    const now = Date.now();
    const from = utcToZoned(now, tz);
    const until = utcToZoned(now + (type() === 'weekly' ? 90 : 1) * DAY_MS, tz);
    $('#g-from-date').value = from.date;
    $('#g-from-time').value = from.time;
    if (!untilTouched) {
      $('#g-until-date').value = until.date;
      $('#g-until-time').value = until.time;
    }
  }

  function onTypeChange() {
    const t = type();
    $('#g-weekly').hidden = t !== 'weekly';
    $('#g-uses-row').hidden = t === 'one-time';
    setWindowDefaults();
  }

  function body() {
    const label = $('#g-label').value.trim();
    if (!label) return { problem: 'Enter a name, so you can tell the entries apart.', focus: '#g-label' };
    const start = zonedToUtc($('#g-from-date').value, $('#g-from-time').value, tz);
    const end = zonedToUtc($('#g-until-date').value, $('#g-until-time').value, tz);
    if (!Number.isFinite(start) || !Number.isFinite(end)) return { problem: 'Enter both the start and the end of the validity.', focus: '#g-from-date' };
    if (end <= start) return { problem: 'The access must end after it starts.', focus: '#g-until-date' };
    const b = {
      kind: $('#g-kind').value, type: type(), label, window: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
      cameraRequired: $('#g-camera').checked, relockOnClose: $('#g-relock').checked
    };
    if (!$('#g-lock-row').hidden) b.deviceId = $('#g-lock').value;
    if (b.type === 'weekly') {
      b.schedule = [];
      for (const r of rules.querySelectorAll('fieldset.rule')) {
        const n = r.dataset.rule;
        const days = [...r.querySelectorAll('input[name=day]:checked')].map((i) => i.value);
        const from = r.querySelector('.rule-start').value;
        let until = r.querySelector('.rule-end').value;
        if (days.length === 0) return { problem: 'Pick at least one day of the week for each time.', focus: '[data-rule="' + n + '"] input[name=day]' };
        if (!from || !until) return { problem: 'Enter the start and end times.', focus: '#g-r' + n + '-start' };
        if (until === '00:00') until = '24:00';
        if (from === until) return { problem: 'The start and end times must differ.', focus: '#g-r' + n + '-end' };
        b.schedule.push({ days, start: from, end: until });
      }
    }
    const uses = $('#g-uses').value;
    if (b.type !== 'one-time' && uses !== '') b.maxUses = Number(uses);
    return { body: b };
  }

  function showCredential(r) {
    const link = new URL('/guest#' + r.accessToken, window.location.origin).href;
    const input = el('input', { id: 'g-link', readonly: true, value: link, 'aria-describedby': 'g-link-hint', spellcheck: 'false' });
    const copy = el('button', { type: 'button', on: { click: async () => {
      input.select();
      try {
        await navigator.clipboard.writeText(link);
        copy.textContent = 'Copied';
      } catch {
        copy.textContent = 'Selected: copy it now';
      }
    } } }, 'Copy');
    result.replaceChildren(
      el('h3', { tabindex: '-1' }, 'Access for “' + (r.grant.label || r.grant.kind) + '” created'),
      el('label', { for: 'g-link' }, 'Invitation link'),
      el('div', { class: 'token-row' }, input, copy),
      el('p', { id: 'g-link-hint', class: 'hint' }, 'Shown only once. Send it to them privately: the link opens their page with an Open button and codes for the door’s scanner. It opens this door as '
        + r.grant.type + ' access (' + formatWindow(r.grant.window, tz) + (r.grant.schedule.length ? ', every ' + scheduleText(r.grant.schedule) : '') + '), and stops working when you revoke it.'));
    result.hidden = false;
    result.querySelector('h3').focus();
    void showQr(link);
  }

  /** The same link as a QR code, for a guest standing next to the owner. */
  async function showQr(link) {
    try {
      const r = await api('POST', '/v1/invitations/qr', { body: { text: link } });
      if (!view.alive()) return;
      result.append(el('figure', { class: 'qr' },
        el('img', { class: 'qr-image', id: 'g-link-qr', src: 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(r.svg), width: 240, height: 240, alt: 'QR code of the invitation link' }),
        el('figcaption', { class: 'hint' }, 'Or let them scan this with their phone camera.')));
    } catch {
      // The link above is enough; the QR code is a convenience.
    }
  }

  form.addEventListener('change', (e) => {
    if (e.target.name === 'type') onTypeChange();
    if (e.target.id === 'g-until-date' || e.target.id === 'g-until-time') untilTouched = true;
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    const b = body();
    if (b.problem) {
      say(error, b.problem, 'error');
      form.querySelector(b.focus).focus();
      return;
    }
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    try {
      const r = await api('POST', '/v1/sites/' + view.site.id + '/grants', { body: b.body });
      if (!view.alive()) return;
      view.grants.set(r.grant.id, r.grant);
      if (r.ownerSignature) {
        try {
          view.grants.set(r.grant.id, await signGrant(r.grant.id, r.ownerSignature));
        } catch (err) {
          // The grant waits, listed with a button to sign it again from an owner device.
          if (view.alive()) showError(error, err);
        }
      }
      form.reset();
      resetRules();
      untilTouched = false;
      onTypeChange();
      $('#grant-new').open = false;
      showCredential(r);
      await refresh();
    } catch (err) {
      if (view.alive()) showError(error, err);
    } finally {
      submit.disabled = false;
    }
  });

  async function revoke(g, button) {
    if (!window.confirm('Revoke access for “' + (g.label || g.kind) + '”? It stops working at once.')) return;
    button.disabled = true;
    try {
      const r = await api('DELETE', '/v1/grants/' + g.id);
      if (!view.alive()) return;
      say(status, 'Access for “' + (g.label || g.kind) + '” is being revoked.', 'ok');
      view.grants.set(r.id, r);
      paint();
    } catch (err) {
      button.disabled = false;
      if (view.alive()) showError(status, err);
    }
  }

  function item(g) {
    const uses = g.maxUses > 0 ? g.uses + ' of ' + g.maxUses + ' entries used' : g.uses + (g.uses === 1 ? ' entry' : ' entries') + ' so far';
    const state = grantState(g, Date.now());
    const badge = el('span', { class: 'badge', 'data-state': state.tone }, state.text);
    const over = state.key === 'spent' || state.key === 'expired';
    // A used-up or ended grant can still be withdrawn from the lock's memory: "Remove", not "Revoke".
    const revokeButton = el('button', { type: 'button', class: 'danger', 'aria-label': (over ? 'Remove access for ' : 'Revoke access for ') + (g.label || g.kind), disabled: g.status === 'revoking' }, over ? 'Remove' : 'Revoke');
    revokeButton.addEventListener('click', () => revoke(g, revokeButton));
    const signButton = state.key === 'signature' ? el('button', { type: 'button', class: 'primary', 'aria-label': 'Sign access for ' + (g.label || g.kind) + ' with this browser\u2019s key' }, 'Sign') : null;
    if (signButton) signButton.addEventListener('click', () => signLater(g, signButton));
    return el('li', { class: 'card grant', 'data-grant': g.id, 'data-status': g.status, 'data-state': state.key },
      el('h3', {}, g.label || '(no name)', ' ', badge),
      el('p', {}, el('span', { class: 'kind-tag', 'data-kind': g.kind }, KIND_TEXT[g.kind] || 'Guest'), ' · ' + TYPE_TEXT[g.type] + ' · ' + uses),
      el('p', { class: 'hint' }, formatWindow(g.window, tz), g.schedule.length ? ' · every ' + scheduleText(g.schedule) : ''),
      g.status === 'failed' && g.statusReason ? el('p', { class: 'hint' }, 'Reason: ', el('code', {}, g.statusReason)) : null,
      el('div', { class: 'actions' }, signButton, revokeButton));
  }

  async function signLater(g, button) {
    button.disabled = true;
    try {
      const request = await api('GET', '/v1/grants/' + g.id + '/owner-signature');
      const r = await signGrant(g.id, request);
      if (!view.alive()) return;
      say(status, 'Signed: access for \u201c' + (g.label || g.kind) + '\u201d is on its way to the lock.', 'ok');
      view.grants.set(r.id, r);
      paint();
    } catch (err) {
      button.disabled = false;
      if (view.alive()) showError(status, err);
    }
  }

  function paint() {
    const now = Date.now();
    const shown = [...view.grants.values()]
      .filter((g) => (g.kind === 'guest' || g.kind === 'service' || g.kind === 'parcel') && g.status !== 'revoked' && Date.parse(g.window.end) > now - SHOW_ENDED_MS)
      .sort((a, b) => b.id - a.id);
    list.replaceChildren(...shown.map(item));
    if (shown.length === 0) list.append(el('li', { class: 'hint' }, 'Nobody else has access right now.'));
  }

  /** Every grant of the site (also revoked and ended: the feed names them). */
  const refresh = () => reloadById(view, '/v1/sites/' + view.site.id + '/grants?all=true', view.grants, paint, status);

  const doors = view.devices.filter((d) => d.profile === 'door');
  $('#g-lock').replaceChildren(...doors.map((d) => el('option', { value: d.id }, d.name || d.id)));
  $('#g-lock-row').hidden = doors.length < 2;
  for (const n of document.querySelectorAll('.tz-note')) n.textContent = '(' + tz + ' time)';
  $('#g-add-rule').addEventListener('click', () => {
    addRule();
    rules.lastElementChild.querySelector('input').focus();
  });
  resetRules();
  onTypeChange();
  result.hidden = true;
  return { refresh };
}
