// Parcels for the site's box (docs/pages.md "Parcels"): the owner registers a tracking number
// expected within a few hours; the box opens once for that barcode (only its hash reaches the
// box). A box in owner-consent mode stages the grant only signed by an owner device: this
// browser signs the exact grant bytes the relay hands back, as for guest access. Parcels a
// delivery backend registered wait in the access list with a Sign button.
import { $, api, say, showError } from './common.js';
import { signGrant } from './owner-grants.js';

const HOUR_MS = 3600_000;
const MAX_HOURS = 72;
/** The window starts a minute back, so a parcel scanned right away is inside it. */
const START_SLACK_MS = 60_000;

/** `onChange` is called after a registration, so the access list shows the parcel's grant. */
export function createParcels(view, onChange) {
  const boxes = view.devices.filter((d) => d.profile === 'box');
  const panel = $('#parcel-new');
  panel.hidden = boxes.length === 0;
  if (boxes.length === 0) return;
  const form = $('#parcel-form');
  const outcome = $('#parcel-outcome');
  const select = $('#p-box');
  select.replaceChildren(...boxes.map((d) => {
    const o = document.createElement('option');
    o.value = d.id;
    o.textContent = d.name || d.id;
    return o;
  }));
  $('#p-box-row').hidden = boxes.length < 2;

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const tracking = $('#p-tracking').value.trim();
    const hours = Number($('#p-hours').value);
    if (!tracking) return say(outcome, 'Enter the tracking number printed on the parcel\u2019s label.', 'error');
    if (!Number.isInteger(hours) || hours < 1 || hours > MAX_HOURS) return say(outcome, 'Expected within: a whole number of hours from 1 to ' + MAX_HOURS + '.', 'error');
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    say(outcome, 'Registering the parcel\u2026', 'busy');
    try {
      const now = Date.now();
      const r = await api('POST', '/v1/parcels', {
        body: { siteId: view.site.id, deviceId: select.value, trackingNumber: tracking, window: { start: new Date(now - START_SLACK_MS).toISOString(), end: new Date(now + hours * HOUR_MS).toISOString() } }
      });
      if (r.ownerSignature) await signGrant(r.grantId, r.ownerSignature);
      if (!view.alive()) return;
      say(outcome, 'Parcel ' + r.trackingNumber + ' registered' + (r.ownerSignature ? ' and signed with this browser\u2019s key' : '') + ': the box opens once for its barcode.', 'ok');
      form.reset();
    } catch (err) {
      // A registration whose signing failed stays in the access list, waiting for an owner device's signature.
      if (view.alive()) showError(outcome, err);
    } finally {
      submit.disabled = false;
      onChange();
    }
  });
}
