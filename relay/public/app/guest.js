// The guest page an invitation link opens (/guest#kw_guest_…). The token is in the fragment,
// which the browser never sends anywhere; the page exchanges it once for the HttpOnly session
// cookie (POST /v1/auth/session) and removes it from the address bar. It shows the access
// (place, times in the site's time zone, entries left), an Open button
// (POST /v1/grant-access/entry, a fresh Idempotency-Key per press) and, for a door without
// internet, the next scan codes (GET /v1/grant-access/credentials), each as a QR code to hold up
// to the door's scanner.
import { $, api, el, formatTime, formatWindow, logout, newIdempotencyKey, reloadWhenRestored, say, showError } from './common.js';

reloadWhenRestored();

const CODES = 5;
const DAY_NAMES = { mon: 'Mondays', tue: 'Tuesdays', wed: 'Wednesdays', thu: 'Thursdays', fri: 'Fridays', sat: 'Saturdays', sun: 'Sundays' };
const STATE_TEXT = { pending: 'Not on the lock yet: try again in a minute', failed: 'This access could not be stored on the lock', revoking: 'This access was withdrawn', revoked: 'This access was withdrawn' };
const pageStatus = $('#page-status');
let grant = null;
let tz;

function rules(schedule) {
  return schedule.map((r) => {
    const days = r.days.map((d) => DAY_NAMES[d] || d);
    const list = days.length > 1 ? days.slice(0, -1).join(', ') + ' and ' + days[days.length - 1] : days[0];
    return list + ', ' + r.start + '–' + (r.end === '24:00' ? 'midnight' : r.end);
  }).join('; ');
}

/** Why "Open" cannot work now, or null. */
function blocked(g) {
  if (STATE_TEXT[g.status]) return STATE_TEXT[g.status];
  if (g.maxUses > 0 && g.uses >= g.maxUses) return 'All entries of this access are used';
  if (Date.parse(g.window.end) <= Date.now()) return 'This access has ended';
  if (Date.parse(g.window.start) > Date.now()) return 'This access starts ' + formatTime(g.window.start, tz);
  return null;
}

function show(r) {
  grant = r.grant;
  tz = r.site.timezone;
  $('#title').textContent = r.site.name;
  $('#who').textContent = grant.label || '';
  $('#g-place').textContent = [r.site.name, r.site.address].filter(Boolean).join(', ');
  $('#g-as').textContent = 'You have ' + (grant.type === 'one-time' ? 'one-time' : grant.type) + ' access as ' + (grant.kind === 'service' ? 'a service provider' : 'a guest') + '.';
  $('#g-window').textContent = formatWindow(grant.window, tz) + ' (' + tz + ' time)';
  const weekly = grant.schedule.length > 0;
  $('#g-when').textContent = weekly ? rules(grant.schedule) : '';
  $('#g-when').hidden = !weekly;
  $('#g-when-dt').hidden = !weekly;
  $('#g-uses').textContent = grant.maxUses > 0 ? grant.uses + ' of ' + grant.maxUses + ' used' : grant.uses + ' so far, no limit';
  const why = blocked(grant);
  $('#g-state').textContent = why || 'Ready';
  $('#g-state').dataset.state = why ? 'wait' : 'ok';
  $('#open').disabled = !!why;
  $('#access').hidden = false;
  $('#forget').hidden = false;
}

async function load() {
  try {
    show(await api('GET', '/v1/grant-access'));
  } catch (err) {
    $('#access').hidden = true;
    if (err.status === 401) say(pageStatus, 'This invitation does not work (any more). Ask the person who sent it for a new link.', 'error');
    else showError(pageStatus, err);
  }
}

$('#open').addEventListener('click', async () => {
  const button = $('#open');
  const outcome = $('#outcome');
  button.disabled = true;
  outcome.hidden = true;
  say($('#progress'), 'Asking the lock…', 'busy');
  try {
    const r = await api('POST', '/v1/grant-access/entry', { headers: { 'idempotency-key': newIdempotencyKey() } });
    say(outcome, 'Unlocked (lock event #' + r.eventSeq + '). Push the door open; it locks again behind you.', 'ok');
  } catch (err) {
    if (err.code === 'KW_ENTRY_TIMEOUT') say(outcome, 'No answer from the lock in time: it may have unlocked. Try the door before you press again.', 'warn');
    else showError(outcome, err);
  } finally {
    $('#progress').hidden = true;
    button.disabled = false;
    void load();
  }
});

$('#codes').addEventListener('click', async () => {
  try {
    const r = await api('GET', '/v1/grant-access/credentials?count=' + CODES);
    $('#code-list').replaceChildren(...r.credentials.map((c, i) => el('li', {},
      el('figure', { class: 'qr' },
        el('img', { class: 'qr-image', src: svgDataUrl(r.qr[i]), width: 240, height: 240, alt: 'QR code ' + (i + 1) + ' of ' + r.credentials.length + ' for the door scanner' }),
        el('figcaption', {}, el('code', { class: 'scan-code' }, c))))));
  } catch (err) {
    showError(pageStatus, err);
  }
});

/** An SVG from the relay as an image source (the page's CSP allows data: images, nothing inline). */
function svgDataUrl(svg) {
  return 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg);
}

$('#forget').addEventListener('click', async () => {
  await logout();
  $('#access').hidden = true;
  $('#forget').hidden = true;
  say(pageStatus, 'This phone no longer holds your access. Open the invitation link again to use it.', 'info');
});

async function boot() {
  const hash = window.location.hash.slice(1);
  if (hash.startsWith('kw_guest_')) {
    // Out of the address bar and history at once; the cookie is HttpOnly from here on.
    window.history.replaceState(null, '', '/guest');
    try {
      await api('POST', '/v1/auth/session', { body: { token: hash } });
    } catch (err) {
      if (err.status === 401) return say(pageStatus, 'This invitation does not work (any more). Ask the person who sent it for a new link.', 'error');
      return showError(pageStatus, err);
    }
  }
  await load();
}

void boot();
