// The camera's photos of an entry, in the feed story they belong to (docs/pages.md "Photos"):
// fetched for the clip references the feed shows (GET /v1/clips?refs=…), kept current by the
// stream's `clip` events, so photos appear while the courier is still inside. Each clip says
// whether its photos match the hash the lock wrote into its own log, and can be deleted.
import { api, el } from './common.js';

const STATUS = {
  verified: { tone: 'ok', text: 'match what the lock recorded' },
  pending: { tone: 'wait', text: 'checking against the lock’s record…' },
  awaiting: { tone: 'wait', text: 'the camera is sending its photos…' },
  mismatch: { tone: 'bad', text: 'do NOT match what the lock recorded: they may have been altered' },
  unbound: { tone: 'warn', text: 'not covered by the lock’s record (the camera sent no hash)' }
};
const BATCH = 50;

export function createClips(view, onChange) {
  const known = new Map(); // ref → clip view, or null while loading
  const queue = new Set();
  let timer = null;

  async function load() {
    timer = null;
    const refs = [...queue].slice(0, BATCH);
    for (const r of refs) queue.delete(r);
    if (queue.size) timer = setTimeout(load, 0);
    try {
      const r = await api('GET', '/v1/clips?refs=' + encodeURIComponent(refs.join(',')));
      if (!view.alive()) return;
      for (const c of r.items) known.set(c.ref, c);
      for (const ref of refs) if (!known.get(ref)) known.set(ref, { ref, status: 'none' });
      onChange();
    } catch {
      for (const ref of refs) known.delete(ref); // asked again at the next paint
    }
  }

  async function remove(c, button) {
    if (!window.confirm('Delete these ' + c.frames + ' photos? The record that they matched the lock stays.')) return;
    button.disabled = true;
    try {
      known.set(c.ref, await api('DELETE', '/v1/devices/' + c.deviceId + '/clips/' + c.capture));
      onChange();
    } catch {
      button.disabled = false;
    }
  }

  function frames(c) {
    return el('ul', { class: 'clip-frames' }, c.frameUrls.map((url, i) => el('li', {},
      el('a', { href: url, target: '_blank', rel: 'noopener' },
        el('img', { src: url, width: 160, height: 120, loading: 'lazy', alt: 'Photo ' + (i + 1) + ' of ' + c.frames + ' at the door' + (c.eventSeq ? ', lock event #' + c.eventSeq : '') })))));
  }

  return {
    /** The feed shows these references: fetch the ones not known yet. */
    want(refs) {
      for (const r of refs) {
        if (known.has(r)) continue;
        known.set(r, null);
        queue.add(r);
      }
      if (queue.size && !timer) timer = setTimeout(load, 0);
    },
    /** A `clip` event from the stream. */
    update(c) {
      if (!known.has(c.ref) && !c.frames) return;
      known.set(c.ref, c);
      onChange();
    },
    /** The evidence block for a story, or the bare reference while nothing is known. */
    render(ref) {
      const c = known.get(ref);
      const code = el('code', { class: 'clip' }, ref);
      if (!c || c.status === 'none') return el('p', { class: 'hint entry-clip' }, 'Camera: clip ', code);
      if (c.deleted) {
        return el('p', { class: 'hint entry-clip', 'data-status': 'deleted' },
          c.frames + ' photos deleted ' + (c.deleted.by === 'owner' ? 'by you' : 'after the retention period') + ' · ', code);
      }
      const s = STATUS[c.status] || STATUS.pending;
      const count = c.frames ? c.frames + (c.frames === 1 ? ' photo' : ' photos') : 'Photos';
      return el('div', { class: 'entry-clip clip', 'data-status': c.status },
        el('p', { class: 'clip-head' }, el('strong', {}, count), ' ', el('span', { class: 'badge', 'data-state': s.tone }, s.text)),
        c.frameUrls && c.frameUrls.length ? frames(c) : null,
        el('p', { class: 'hint' }, code, ' ',
          c.frameUrls && c.frameUrls.length
            ? el('button', { type: 'button', class: 'danger small clip-delete', on: { click: (e) => remove(c, e.currentTarget) } }, 'Delete photos')
            : null));
    }
  };
}
