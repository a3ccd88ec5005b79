// The site's activity as a person reads it: one row per happening (feed-stories.js folds the
// relay's rows), names instead of ids, grouped by day in the site's time zone, filtered by
// person, lock and kind. The first page comes from GET /v1/sites/:id/activity, older pages
// with "Load more" (?before=nextBefore), new rows live from the stream. Each row keeps the
// lock event numbers and the camera clip reference a careful reader may want.
import { api, codeText, el, say, showError, utcToZoned } from './common.js';
import { foldStories, STORY_KINDS } from './feed-stories.js';
import { createClips } from './owner-clips.js';

const PAGE = 40;

function clock(iso, tz) {
  return new Intl.DateTimeFormat(undefined, { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

function dayLabel(iso, tz) {
  const day = utcToZoned(Date.parse(iso), tz).date;
  const today = utcToZoned(Date.now(), tz).date;
  const yesterday = utcToZoned(Date.now() - 86400_000, tz).date;
  if (day === today) return 'Today';
  if (day === yesterday) return 'Yesterday';
  return new Intl.DateTimeFormat(undefined, { timeZone: tz, weekday: 'long', month: 'long', day: 'numeric' }).format(new Date(iso));
}

export function createFeed(view, root, more, status) {
  const rows = new Map();
  let nextBefore = null;
  const tz = view.site.timezone;
  const filters = { person: root.querySelector('#feed-person'), lock: root.querySelector('#feed-lock'), kind: root.querySelector('#feed-kind') };
  const days = root.querySelector('#feed');
  const announce = root.querySelector('#feed-announce');
  // Photos load after the rows that name them; their arrival repaints the feed.
  const clips = createClips(view, () => paint());

  function reasonLine(s) {
    if (!s.reason) return null;
    const meaning = view.codes.reasons[s.reason] || view.codes.alarms[s.reason] || codeText(s.reason);
    return el('p', { class: 'entry-reason' }, meaning ? meaning + ' ' : '', el('code', { class: 'reason' }, s.reason));
  }

  function render(s) {
    const lock = view.lockNames().get(s.deviceId) || (s.rows[0].names && s.rows[0].names.lock) || null;
    const facts = s.facts.map((f) => f.text + (f.time ? ' ' + clock(f.time, tz) : ''));
    const seqs = s.rows.map((r) => r.eventSeq).filter(Boolean);
    const evidence = [lock, seqs.length ? 'lock events #' + seqs.join(', #') : null].filter(Boolean).join(' · ');
    return el('li', { class: 'entry', 'data-id': s.lastId, 'data-kind': s.kind, 'data-story': s.key, 'data-tone': s.tone },
      el('p', { class: 'entry-head' }, el('strong', { class: 'entry-title' }, s.title), ' ', el('time', { datetime: s.time }, clock(s.time, tz))),
      facts.length ? el('p', { class: 'entry-facts' }, facts.join(' · ')) : null,
      reasonLine(s),
      s.receipt ? el('p', { class: 'hint' }, 'Receipt: lock event #' + s.receipt.eventSeq + ', hash ', el('code', { class: 'hash' }, s.receipt.eventHash.slice(0, 16) + '…')) : null,
      s.clip ? clips.render(s.clip) : null,
      evidence ? el('p', { class: 'hint' }, evidence) : null);
  }

  function fillSelect(select, all, options) {
    const keep = select.value;
    select.replaceChildren(el('option', { value: '' }, all), ...options.map(([v, t]) => el('option', { value: v }, t)));
    select.value = options.some(([v]) => v === keep) ? keep : '';
  }

  function paint() {
    const stories = foldStories([...rows.values()], view.me);
    const people = new Map();
    for (const s of stories) if (s.personKey && s.person) people.set(s.personKey, s.person);
    fillSelect(filters.person, 'Everyone', [...people].sort((x, y) => x[1].localeCompare(y[1])));
    fillSelect(filters.lock, 'All locks', [...view.lockNames()]);
    fillSelect(filters.kind, 'Everything', Object.entries(STORY_KINDS));
    filters.lock.closest('div').hidden = view.lockNames().size < 2;
    const shown = stories.filter((s) => (!filters.person.value || s.personKey === filters.person.value)
      && (!filters.lock.value || s.deviceId === filters.lock.value) && (!filters.kind.value || s.kind === filters.kind.value));
    const groups = [];
    for (const s of shown) {
      const label = dayLabel(s.time, tz);
      if (!groups.length || groups[groups.length - 1].label !== label) groups.push({ label, items: [] });
      groups[groups.length - 1].items.push(s);
    }
    days.replaceChildren(...groups.map((g, i) => el('li', { class: 'day', 'aria-labelledby': 'feed-day-' + i },
      el('h3', { id: 'feed-day-' + i, class: 'day-head' }, g.label),
      el('ol', { class: 'feed' }, g.items.map(render)))));
    clips.want(shown.map((s) => s.clip).filter(Boolean));
    if (rows.size === 0) say(status, 'Nothing has happened here yet.');
    else if (shown.length === 0) say(status, 'Nothing matches these filters in what is loaded. Load more to look further back.');
    else status.hidden = true;
  }

  async function page(before) {
    const q = '?limit=' + PAGE + (before ? '&before=' + before : '');
    const r = await api('GET', '/v1/sites/' + view.site.id + '/activity' + q);
    if (!view.alive()) return;
    for (const a of r.items) rows.set(a.id, a);
    if (before || nextBefore === null || rows.size <= r.items.length) nextBefore = r.nextBefore;
    more.hidden = nextBefore === null;
    paint();
  }

  for (const f of Object.values(filters)) f.addEventListener('change', paint);
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      await page(nextBefore);
    } catch (err) {
      showError(status, err);
    } finally {
      more.disabled = false;
    }
  });

  return {
    /** First page (again, after a reconnect: whatever was missed is merged in). */
    async refresh() {
      try {
        await page(null);
      } catch (err) {
        if (view.alive()) showError(status, err);
      }
    },
    add(a) {
      rows.set(a.id, a);
      paint();
      // The list is rebuilt as stories fold; announce just the story this row belongs to.
      const li = days.querySelector('li.entry[data-id="' + a.id + '"] .entry-title');
      if (li) announce.textContent = li.textContent;
    },
    /** A clip changed (photos uploaded, checked against the lock's log, deleted). */
    clip(c) {
      clips.update(c);
    },
    /** Re-renders every story (after locks, grants or deliveries changed names). */
    relabel() {
      paint();
    }
  };
}
