// Shared by the keyway pages: a JSON client for the relay API (session cookie, never
// cached), a DOM builder that only ever sets text and attributes (never HTML), messages
// for the relay's KW_* error codes, and time helpers for a site's IANA time zone.

export class ApiError extends Error {
  constructor(status, body) {
    const e = body && body.error ? body.error : { code: status === 0 ? 'NETWORK' : 'HTTP_' + status, message: 'Unexpected answer from the relay.' };
    super(e.message);
    this.status = status;
    this.code = e.code;
    this.details = e.details || {};
    this.mayHaveRun = e.mayHaveRun === true;
  }
}

/** Calls the relay API with the session cookie; resolves with the JSON body or throws ApiError. */
export async function api(method, url, options = {}) {
  const headers = { accept: 'application/json', ...(options.headers || {}) };
  const init = { method, headers, cache: 'no-store', credentials: 'same-origin' };
  if (method !== 'GET' && method !== 'DELETE') {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body || {});
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch {
    throw new ApiError(0, { error: { code: 'NETWORK', message: 'No connection to the relay.' } });
  }
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

/** A fresh Idempotency-Key (getRandomValues works on plain http too, unlike randomUUID). */
export function newIdempotencyKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return 'kw-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * el('p', { class: 'x', 'aria-live': 'polite', on: { click } }, 'text', child): builds an
 * element. Strings become text nodes, so data from the relay is never parsed as HTML.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else if (k === 'text') node.textContent = String(v);
    else if (k === 'value') node.value = String(v);
    else if (k === 'checked') node.checked = !!v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** Replaces the text of a live region (role=status / role=alert) so screen readers announce it. */
export function say(node, text, tone = 'info') {
  node.textContent = text;
  node.dataset.tone = tone;
  node.hidden = !text;
}

const MESSAGES = {
  NETWORK: 'No connection to the relay. Check your network and try again.',
  KW_LOGIN_FAILED: 'The e-mail address or the password is wrong.',
  KW_UNAUTHORIZED: 'You are not signed in (or your session ended). Please sign in again.',
  KW_FORBIDDEN: 'These credentials may not do this.',
  KW_NOT_FOUND: 'Not found. It does not exist or it is not yours.',
  KW_VALIDATION: 'Some of the input is not valid.',
  KW_BAD_WINDOW: 'The time window is empty, reversed, already over or too long.',
  KW_BAD_SCHEDULE: 'The weekly schedule is invalid: pick at least one day and two different times.',
  KW_OUTSIDE_WINDOW: 'It is outside the delivery window. Entry is only possible inside the booked window.',
  KW_OUTSIDE_SCHEDULE: 'It is outside the weekly schedule.',
  KW_IN_HOME_NOT_ALLOWED: 'In-home delivery is not allowed at this address. Use the usual drop-off.',
  KW_DELIVERY_BLOCKED: 'The owner blocked in-home entry for this delivery. Do not leave it inside.',
  KW_DELIVERY_CANCELLED: 'This delivery was cancelled.',
  KW_DELIVERY_CLOSED: 'This delivery is already completed.',
  KW_GRANT_REVOKED: 'The grant was revoked.',
  KW_USES_EXHAUSTED: 'The grant has no uses left.',
  KW_GRANT_NOT_STAGED: 'The access has not reached the lock yet. Try again in a moment.',
  KW_NO_LOCK: 'This site has no suitable lock.',
  KW_CONFLICT: 'That conflicts with the current state; reload and try again.',
  KW_LOCK_OFFLINE: 'The lock is offline. Nothing was sent to it.',
  KW_CAMERA_UNHEALTHY: "The lock's camera is not working, and entry needs camera evidence. Nothing was sent to the lock.",
  KW_LOCK_UNAVAILABLE: 'The lock is jammed, locked out or busy. Nothing was sent to it.',
  KW_SHUTTING_DOWN: 'The relay is restarting. Nothing was sent to the lock; try again shortly.',
  KW_IDEMPOTENCY_IN_PROGRESS: 'The same request is still running.',
  KW_IDEMPOTENCY_CONFLICT: 'This request was already used for something else.',
  KW_ENTRY_DENIED: 'The lock refused.',
  KW_LOCK_FAULT: 'The lock reported a fault while moving the bolt. The bolt may have moved.',
  KW_ENTRY_TIMEOUT: 'No answer from the lock in time. The command may have run: check the lock before trying again.'
};

/** The page's sentence for a relay error code (KW_…), or null. */
export function codeText(code) {
  return MESSAGES[code] || null;
}

/** A sentence for an ApiError (with the lock's reason for denials and faults). */
export function errorText(err) {
  if (!(err instanceof ApiError)) return 'Something went wrong: ' + String(err && err.message ? err.message : err);
  let text = MESSAGES[err.code] || err.message || 'The relay refused.';
  if ((err.code === 'KW_ENTRY_DENIED' || err.code === 'KW_LOCK_FAULT') && err.details.reason) text += ' Reason: ' + err.details.reason + '.';
  return text;
}

/** Renders an error into a role=alert node: the sentence and the machine code. */
export function showError(node, err) {
  node.replaceChildren(el('span', {}, errorText(err)), ' ', el('code', { class: 'code' }, err instanceof ApiError ? err.code : 'ERROR'));
  node.dataset.tone = err instanceof ApiError && err.mayHaveRun ? 'warn' : 'error';
  node.hidden = false;
}

/**
 * Reloads a list the page keeps by id (grants, deliveries) and repaints it, unless the
 * page moved on (another site, a logout) while the request was out.
 */
export async function reloadById(view, url, map, paint, status) {
  try {
    const r = await api('GET', url);
    if (!view.alive()) return;
    map.clear();
    for (const x of r.items) map.set(x.id, x);
    paint();
  } catch (err) {
    if (view.alive()) showError(status, err);
  }
}

/** Reason and alarm descriptions from the relay (shared's code registry). */
let codes = null;
export async function loadCodes() {
  if (!codes) codes = await api('GET', '/app/codes.json').catch(() => ({ reasons: {}, alarms: {} }));
  return codes;
}

// ---- time in a site's time zone ----

const partsFormatters = new Map();
function zoneParts(ms, tz) {
  let f = partsFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short' });
    partsFormatters.set(tz, f);
  }
  const p = {};
  for (const x of f.formatToParts(new Date(ms))) p[x.type] = x.value;
  return p;
}

/** Offset of tz from UTC at the instant ms, in ms. */
function zoneOffset(ms, tz) {
  const p = zoneParts(ms, tz);
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour) % 24, Number(p.minute), Number(p.second));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** 'YYYY-MM-DD' + 'HH:MM' as wall time in tz → epoch ms. */
export function zonedToUtc(date, time, tz) {
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi] = time.split(':').map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  let t = wall - zoneOffset(wall, tz);
  t = wall - zoneOffset(t, tz);
  return t;
}

/** epoch ms → { date: 'YYYY-MM-DD', time: 'HH:MM', day: 'mon'… } as wall time in tz. */
export function utcToZoned(ms, tz) {
  const p = zoneParts(ms, tz);
  return { date: p.year + '-' + p.month + '-' + p.day, time: p.hour + ':' + p.minute, day: p.weekday.toLowerCase().slice(0, 3) };
}

/** A short human time in tz, e.g. "Nov 24, 18:00" (with seconds for the feed). */
export function formatTime(iso, tz, seconds = false) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return new Intl.DateTimeFormat(undefined, {
    timeZone: tz || undefined, weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: seconds ? '2-digit' : undefined, hourCycle: 'h23'
  }).format(d);
}

export function formatWindow(w, tz) {
  return formatTime(w.start, tz) + ' – ' + formatTime(w.end, tz);
}

/** A page restored from the back/forward cache may show a previous session: reload it instead. */
export function reloadWhenRestored() {
  window.addEventListener('pageshow', (e) => {
    if (e.persisted) window.location.reload();
  });
}

export async function logout() {
  await api('POST', '/v1/auth/logout').catch(() => undefined);
}
