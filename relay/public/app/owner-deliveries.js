// Deliveries to the site: window, status, entry with its camera clip, the secured receipt,
// alarms; block in-home entry for one (the relay revokes its staged grant) or lift the block.
import { $, api, el, formatTime, formatWindow, reloadById, say, showError } from './common.js';

const STATUS_TEXT = {
  booked: 'Booked', entering: 'Courier at the door', unlocked: 'Unlocked, door still shut', entered: 'Courier inside', secured: 'Secured', blocked: 'Blocked by you', cancelled: 'Cancelled', failed: 'Failed'
};

export function createDeliveries(view) {
  const list = $('#delivery-list');
  const status = $('#delivery-status');
  const tz = view.site.timezone;

  async function act(d, what, button) {
    button.disabled = true;
    try {
      const r = await api('POST', '/v1/deliveries/' + d.id + '/' + what, what === 'block' ? { body: { reason: 'blocked by owner' } } : {});
      if (!view.alive()) return;
      view.deliveries.set(r.id, r);
      say(status, 'Delivery ' + r.trackingNumber + (what === 'block' ? ' is blocked: the courier cannot enter.' : ' is no longer blocked.'), 'ok');
      paint();
    } catch (err) {
      button.disabled = false;
      if (view.alive()) showError(status, err);
    }
  }

  function item(d) {
    const buttons = [];
    if (d.status === 'booked' || d.status === 'entering') {
      const b = el('button', { type: 'button', class: 'danger', 'aria-label': 'Block delivery ' + d.trackingNumber }, 'Block');
      b.addEventListener('click', () => act(d, 'block', b));
      buttons.push(b);
    }
    if (d.status === 'blocked') {
      const b = el('button', { type: 'button', 'aria-label': 'Unblock delivery ' + d.trackingNumber }, 'Unblock');
      b.addEventListener('click', () => act(d, 'unblock', b));
      buttons.push(b);
    }
    const badge = el('span', { class: 'badge', 'data-state': d.status === 'secured' ? 'ok' : d.status === 'blocked' || d.status === 'failed' ? 'bad' : 'wait' }, STATUS_TEXT[d.status] || d.status);
    return el('li', { class: 'card delivery', 'data-delivery': d.id, 'data-status': d.status },
      el('h3', {}, d.trackingNumber, ' ', badge),
      el('p', {}, (d.inHome ? 'In-home delivery' : 'Doorstep delivery') + ' · courier #' + d.courierId),
      el('p', { class: 'hint' }, 'Window ', formatWindow(d.window, tz)),
      d.entry ? el('p', {}, 'Unlocked ' + formatTime(d.entry.time, tz) + ' (lock event #' + d.entry.eventSeq + ')', d.entry.clip ? [' · clip ', el('code', { class: 'clip' }, d.entry.clip)] : null) : null,
      d.doorOpened ? el('p', {}, 'Door opened ' + formatTime(d.doorOpened.time, tz) + ' (lock event #' + d.doorOpened.eventSeq + ')') : null,
      d.receipt ? el('p', {}, (d.receipt.doorOpened === false ? 'Relocked, the door was never opened: lock event #' : 'Secured: lock event #') + d.receipt.eventSeq + ', hash ', el('code', {}, d.receipt.eventHash)) : null,
      d.alarms.length ? el('p', { class: 'notice', 'data-tone': 'error' }, 'Alarms: ' + d.alarms.map((a) => a.alarm).join(', ')) : null,
      d.blockReason ? el('p', { class: 'hint' }, 'Blocked: ' + d.blockReason) : null,
      buttons.length ? el('div', { class: 'actions' }, buttons) : null);
  }

  function paint() {
    const shown = [...view.deliveries.values()].sort((a, b) => Date.parse(b.window.start) - Date.parse(a.window.start));
    list.replaceChildren(...shown.map(item));
    if (shown.length === 0) list.append(el('li', { class: 'hint' }, 'No deliveries booked for this site.'));
  }

  const refresh = () => reloadById(view, '/v1/deliveries?siteId=' + view.site.id + '&limit=50', view.deliveries, paint, status);

  return { refresh };
}
