// Owner consent on a lock card (docs/protocol.md §11): whether the lock obeys only what an
// owner device signed, enrolling this browser's key (the lock must be in install mode), an
// unlock signed by this browser, and a standing consent for in-home deliveries signed here.
// The relay carries what this page signs to the lock unchanged; the lock checks it.
import { api, el, say, showError } from './common.js';
import { Bytes, deviceKey, fromHex, rememberEnrolled, signStatement, toHex } from './owner-key.js';

const ACT_UNLOCK = 0x01;
const ACT_CONSENT_PUT = 0x54;
const ACT_OWNER_TIME = 0x57;
const ACTOR_OWNER = 1;
const GRANT_COURIER = 1;
const CONSENT_CAMERA_REQUIRED = 0x01;
const FLAG_RELOCK_ON_CLOSE = 0x02;
/** How long a signed unlock may wait at the relay; a consent until the lock has it. */
const UNLOCK_VALID_S = 120;
const CONSENT_VALID_S = 3600;
/** The lock ignores an OWNER_TIME's own expiry (its challenge makes it fresh); a short one all the same. */
const OWNER_TIME_VALID_S = 300;
/** A device clock before 2024-01-01 is taken as unset: such a time is never signed for a lock. */
const CLOCK_SANE_MS = Date.UTC(2024, 0, 1);
// Plural day names: the grant form on the same page uses the short ones.
const DAYS = ['Mondays', 'Tuesdays', 'Wednesdays', 'Thursdays', 'Fridays', 'Saturdays', 'Sundays'];
const MINUTES_PER_DAY = 1440;

function minutes(value) {
  const m = /^(\d{2}):(\d{2})$/.exec(value);
  return m ? Number(m[1]) * 60 + Number(m[2]) : -1;
}

/** Minutes east of UTC of an IANA zone now (the lock evaluates the consent in a fixed offset). */
function zoneOffset(tz) {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
    .formatToParts(new Date());
  const get = (t) => Number(parts.find((p) => p.type === t).value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
  return Math.round((local - Math.floor(Date.now() / 60000) * 60000) / 60000);
}

/**
 * The owner-consent panel of one lock. `status()` gives the card's state (online, flags);
 * `alive()` says whether the page still shows this view; `tz` is the site's time zone.
 */
export function createOwnerConsent(deviceId, status, alive, tz) {
  const id = (k) => 'oc-' + k + '-' + deviceId;
  const mode = el('p', { class: 'consent-mode', role: 'status' });
  const me = el('p', { class: 'hint consent-device' });
  const outcome = el('p', { class: 'notice', role: 'alert', hidden: true });
  // After the lock restarted in owner-consent mode: its grants wait until an owner device confirms its clock.
  const clock = el('p', { class: 'notice consent-clock', role: 'status', hidden: true });
  /** The lock challenge this view last signed a time for: one confirmation per challenge. */
  let timedNonce = '';
  // What the lock confirmed holding, as the relay recorded it from the lock's answers.
  const keysList = el('ul', { class: 'owner-keys', 'aria-label': 'Owner devices of this lock' });
  const consentsList = el('ul', { class: 'owner-consents', 'aria-label': 'Standing consents on this lock' });
  const enrol = el('button', { type: 'button' }, 'Make this browser an owner key');
  const unlock = el('button', { type: 'button', class: 'primary' }, 'Open the door with this browser\u2019s key');
  const partner = el('input', { id: id('partner'), type: 'number', inputmode: 'numeric', min: 1, step: 1, required: true });
  const days = DAYS.map((d, i) => el('input', { type: 'checkbox', value: String(i), checked: i < 5 }));
  const from = el('input', { id: id('from'), type: 'time', value: '09:00', required: true });
  const to = el('input', { id: id('to'), type: 'time', value: '18:00', required: true });
  const camera = el('input', { id: id('camera'), type: 'checkbox', checked: true });
  const perWeek = el('input', { id: id('week'), type: 'number', inputmode: 'numeric', min: 1, max: 255, step: 1, value: '3', required: true });
  const consentId = Math.floor(Date.now() / 1000) % 0xffffffff || 1;

  async function paint() {
    const s = status();
    const on = !!(s.flags && s.flags.ownerConsent);
    mode.textContent = on
      ? 'Owner consent is on: the lock obeys only what one of your devices signed.'
      : 'Owner consent is off: the relay\u2019s signature alone is enough for this lock.';
    mode.dataset.on = String(on);
    let mine = null;
    try {
      const k = await deviceKey();
      mine = k.keyId;
      if (!alive()) return;
      const enrolled = k.enrolled.includes(deviceId);
      me.textContent = 'This browser\u2019s key: ' + k.keyId.toString(16).padStart(8, '0') + (enrolled ? ' (an owner key of this lock).' : ' (not enrolled on this lock).');
      enrol.hidden = enrolled;
    } catch (err) {
      me.textContent = 'This browser cannot make an Ed25519 key (WebCrypto): ' + String(err && err.message ? err.message : err);
      enrol.hidden = true;
    }
    await paintRecord(mine);
  }

  function describeConsent(c) {
    const days = DAYS.filter((_, i) => c.schedule.some((w) => (w.days & (1 << i)) !== 0)).join(', ');
    const hhmm = (m) => String(Math.floor(m / 60)).padStart(2, '0') + ':' + String(m % 60).padStart(2, '0');
    const windows = c.schedule.map((w) => hhmm(w.start) + '\u2013' + hhmm(w.end)).join(', ');
    return 'Partner ' + c.partner + ': ' + days + ', ' + windows + ', at most ' + c.maxPerWeek + ' a week'
      + ((c.flags & CONSENT_CAMERA_REQUIRED) !== 0 ? ', camera must record' : '') + ' (consent ' + c.consentId + ')';
  }

  async function paintRecord(mine) {
    let rec;
    try {
      rec = await api('GET', '/v1/devices/' + encodeURIComponent(deviceId) + '/owner-consent');
    } catch {
      return;
    }
    if (!alive()) return;
    const enrolledHere = mine !== null && rec.ownerKeys.some((k) => k.keyId === mine);
    if (rec.ownerTimeNeeded) clock.hidden = false;
    if (rec.ownerTimeNeeded && !enrolledHere) {
      say(clock, 'The lock restarted: deliveries and guest access wait until one of your owner devices opens this page.', 'info');
    } else if (rec.ownerTimeNeeded && rec.nonce && rec.nonce !== timedNonce && status().online !== false) {
      timedNonce = rec.nonce;
      void confirmClock(rec.nonce);
    }
    keysList.replaceChildren(...(rec.ownerKeys.length === 0 ? [el('li', { class: 'hint' }, 'No owner device enrolled yet.')] : rec.ownerKeys.map((k) =>
      el('li', { 'data-key-id': String(k.keyId) }, 'Owner device ' + k.keyId.toString(16).padStart(8, '0') + (k.keyId === mine ? ' (this browser)' : '')
        + ', enrolled ' + new Date(k.enrolledAt).toLocaleString()))));
    consentsList.replaceChildren(...(rec.consents.length === 0 ? [el('li', { class: 'hint' }, 'No standing consent.')] : rec.consents.map((c) =>
      el('li', { 'data-consent-id': String(c.consentId) }, describeConsent(c)))));
  }

  /**
   * Signs this device's time over the lock's current challenge (docs/protocol.md §11.8) and sends
   * it: the lock then uses its grants again. Done without a click, since it grants nothing.
   */
  async function confirmClock(nonceHex) {
    if (Date.now() < CLOCK_SANE_MS) {
      say(clock, 'The lock restarted, but this device\u2019s clock looks unset: set it, then reload this page.', 'error');
      return;
    }
    say(clock, 'The lock restarted: confirming its clock with this browser\u2019s key\u2026', 'busy');
    try {
      const payload = new Bytes().u32(Math.floor(Date.now() / 1000)).bytes(fromHex(nonceHex)).done();
      const statement = await signStatement(deviceId, ACT_OWNER_TIME, payload, OWNER_TIME_VALID_S);
      await api('POST', '/v1/devices/' + encodeURIComponent(deviceId) + '/owner-statements', { body: { statement } });
      if (alive()) say(clock, 'The lock restarted; this browser confirmed its clock, and deliveries work again.', 'ok');
    } catch (err) {
      // A challenge that changed meanwhile (the relay's own time setting) is tried again with the next status.
      if (alive()) showError(clock, err);
    }
  }

  async function run(button, busyText, fn, okText) {
    button.disabled = true;
    say(outcome, busyText, 'busy');
    try {
      await fn();
      if (alive()) say(outcome, okText, 'ok');
    } catch (err) {
      if (alive()) showError(outcome, err);
    } finally {
      button.disabled = false;
      if (alive()) await paint();
    }
  }

  enrol.addEventListener('click', () => run(enrol, 'Enrolling: waiting for the lock\u2026', async () => {
    const k = await deviceKey();
    await api('POST', '/v1/devices/' + encodeURIComponent(deviceId) + '/owner-keys', { body: { publicKey: toHex(k.publicKey) } });
    await rememberEnrolled(deviceId);
  }, 'Enrolled: the lock holds this browser\u2019s key.'));

  unlock.addEventListener('click', () => run(unlock, 'Unlocking: waiting for the lock\u2026', async () => {
    const payload = new Bytes().u32(0).u8(ACTOR_OWNER).u32(0).u8(FLAG_RELOCK_ON_CLOSE).u16(0).done();
    const statement = await signStatement(deviceId, ACT_UNLOCK, payload, UNLOCK_VALID_S);
    await api('POST', '/v1/devices/' + encodeURIComponent(deviceId) + '/owner-statements', { body: { statement } });
  }, 'Unlocked: the lock checked this browser\u2019s signature.'));

  const form = el('form', { class: 'consent-form', novalidate: true },
    el('h4', {}, 'Allow in-home deliveries'),
    el('label', { for: id('partner') }, 'Delivery partner number'),
    partner,
    el('fieldset', {}, el('legend', {}, 'Delivery days'), ...days.map((d, i) => el('label', { class: 'inline' }, d, ' ' + DAYS[i]))),
    el('label', { for: id('from') }, 'Deliveries from'), from,
    el('label', { for: id('to') }, 'Deliveries until'), to,
    el('label', { class: 'inline' }, camera, ' Camera must record'),
    el('label', { for: id('week') }, 'At most this many entries a week'), perWeek,
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Sign and send consent')));

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = Number(partner.value);
    const start = minutes(from.value);
    const end = to.value === '23:59' ? MINUTES_PER_DAY : minutes(to.value);
    const mask = days.reduce((m, d, i) => (d.checked ? m | (1 << i) : m), 0);
    const n = Number(perWeek.value);
    if (!Number.isInteger(p) || p < 1) return say(outcome, 'Enter the delivery partner\u2019s number.', 'error');
    if (mask === 0) return say(outcome, 'Choose at least one day.', 'error');
    if (start < 0 || end <= start) return say(outcome, 'The time window must end after it starts, on the same day.', 'error');
    if (!Number.isInteger(n) || n < 1 || n > 255) return say(outcome, 'Entries a week: a whole number from 1 to 255.', 'error');
    const submit = form.querySelector('button[type="submit"]');
    void run(submit, 'Signing and sending: waiting for the lock\u2026', async () => {
      const payload = new Bytes().u32(consentId).u8(GRANT_COURIER).u32(p).u8(camera.checked ? CONSENT_CAMERA_REQUIRED : 0).u8(n).u32(0)
        .i16(zoneOffset(tz)).u8(1).u8(mask).u16(start).u16(end).done();
      const statement = await signStatement(deviceId, ACT_CONSENT_PUT, payload, CONSENT_VALID_S);
      await api('POST', '/v1/devices/' + encodeURIComponent(deviceId) + '/owner-statements', { body: { statement } });
    }, 'Consent on the lock: the lock checked this browser\u2019s signature.');
  });

  const node = el('details', { class: 'owner-consent' }, el('summary', {}, 'Owner consent'), mode, clock, me,
    el('p', { class: 'hint' }, 'To enrol this browser, hold the lock\u2019s inside button for 5 seconds first (install mode).'),
    el('div', { class: 'actions' }, enrol, unlock), outcome,
    el('h4', {}, 'Owner devices'), keysList, el('h4', {}, 'Standing consents'), consentsList, form);
  void paint();
  return { node, paint };
}
