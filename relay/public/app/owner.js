// The owner page: who is signed in (GET /v1/me, else to /login), the site picker, and for
// the chosen site its locks, activity, access and deliveries, kept live by the site's SSE
// stream. Each site is rendered from a fresh copy of #site-template and every answer is
// checked against the current "generation", so nothing of one site (or session) can leak
// into the next.
import { $, api, el, loadCodes, logout, reloadWhenRestored, say, showError } from './common.js';
import { createDeliveries } from './owner-deliveries.js';
import { createFeed } from './owner-feed.js';
import { createGrants } from './owner-grants.js';
import { createParcels } from './owner-parcels.js';
import { createLocks } from './owner-locks.js';
import { createNotify } from './owner-notify.js';

reloadWhenRestored();

const pageStatus = $('#page-status');
const siteSelect = $('#site-select');
const siteRoot = $('#site');
let generation = 0;
let owner = null;
let stream = null;
let retryTimer = null;

function toLogin() {
  window.location.replace('/login');
}

function closeStream() {
  clearTimeout(retryTimer);
  if (stream) stream.close();
  stream = null;
}

function setLive(state, text) {
  const live = $('#live');
  if (!live) return;
  live.dataset.state = state;
  live.textContent = text;
}

/** Coalesces bursts of refresh requests (a grant's created + staged, say) into one call. */
function debounced(fn, ms = 120) {
  let t = null;
  return () => {
    clearTimeout(t);
    t = setTimeout(fn, ms);
  };
}

function connect(view, parts) {
  closeStream();
  const es = new EventSource('/v1/sites/' + view.site.id + '/stream');
  stream = es;
  let hellos = 0;
  const refreshGrants = debounced(() => parts.grants.refresh().then(parts.feed.relabel));
  const refreshDeliveries = debounced(() => parts.deliveries.refresh().then(parts.feed.relabel));
  es.addEventListener('hello', (e) => {
    if (!view.alive()) return;
    parts.locks.render(JSON.parse(e.data).devices);
    setLive('live', 'Live');
    if (hellos++ > 0) {
      void parts.feed.refresh();
      refreshGrants();
      refreshDeliveries();
    }
  });
  es.addEventListener('clip', (e) => {
    if (view.alive()) parts.feed.clip(JSON.parse(e.data));
  });
  es.addEventListener('lock', (e) => {
    if (view.alive()) parts.locks.update(JSON.parse(e.data));
  });
  es.addEventListener('activity', (e) => {
    if (!view.alive()) return;
    const a = JSON.parse(e.data);
    if (a.siteId !== view.site.id) return;
    parts.feed.add(a);
    if (a.kind === 'alarm') parts.locks.alarm(a);
    if (a.grantId || a.kind.startsWith('grant.')) refreshGrants();
    if (a.deliveryId || a.kind.startsWith('delivery.')) refreshDeliveries();
  });
  es.addEventListener('error', () => {
    if (!view.alive() || stream !== es) return;
    if (es.readyState !== EventSource.CLOSED) {
      setLive('reconnecting', 'Reconnecting…');
      return;
    }
    // The relay refused the stream (session ended?) or went away: check, then try again.
    setLive('offline', 'Offline: retrying');
    retryTimer = setTimeout(async () => {
      try {
        await api('GET', '/v1/me');
        if (view.alive()) connect(view, parts);
      } catch (err) {
        if (err.status === 401) toLogin();
        else if (view.alive()) connect(view, parts);
      }
    }, 3000);
  });
}

async function openSite(id) {
  const gen = ++generation;
  closeStream();
  siteRoot.replaceChildren();
  pageStatus.hidden = true;
  let site;
  try {
    site = await api('GET', '/v1/sites/' + encodeURIComponent(id));
  } catch (err) {
    if (gen !== generation) return;
    if (err.status === 401) return toLogin();
    $('#site-name').textContent = err.code === 'KW_NOT_FOUND' ? 'Site not found' : 'My home';
    showError(pageStatus, err);
    return;
  }
  if (gen !== generation) return;
  const codes = await loadCodes();
  siteRoot.replaceChildren($('#site-template').content.cloneNode(true));
  $('#site-name').textContent = site.name;
  document.title = site.name + ' · keyway';
  $('#site-meta').textContent = [site.address, 'time zone ' + site.timezone].filter(Boolean).join(' · ');
  siteSelect.value = String(site.id);
  const url = '/?site=' + site.id;
  if (window.location.pathname + window.location.search !== url) window.history.replaceState(null, '', url);

  const view = {
    site, me: owner, codes, devices: site.devices, grants: new Map(), deliveries: new Map(),
    alive: () => gen === generation, lockNames: () => parts.locks.names(),
    // A renamed lock: rows already loaded carry the old name, so read the feed again.
    onRename: () => void parts.feed.refresh()
  };
  const parts = {};
  parts.locks = createLocks(view, $('#lock-list'));
  parts.locks.render(site.devices);
  parts.feed = createFeed(view, $('#activity'), $('#feed-more'), $('#feed-status'));
  parts.grants = createGrants(view);
  createParcels(view, () => void parts.grants.refresh());
  parts.deliveries = createDeliveries(view);
  parts.notify = createNotify(view);
  connect(view, parts);
  await Promise.all([parts.grants.refresh(), parts.deliveries.refresh(), parts.notify.refresh()]);
  await parts.feed.refresh();
}

async function boot() {
  let me;
  try {
    me = await api('GET', '/v1/me');
  } catch (err) {
    if (err.status === 401) return toLogin();
    return showError(pageStatus, err);
  }
  $('#logout').hidden = false;
  if (me.kind !== 'owner') {
    say(pageStatus, 'You are signed in as a ' + me.kind + ', not as a home owner. Log out and sign in with your e-mail address.', 'error');
    return;
  }
  $('#who').textContent = me.owner.name;
  let sites;
  try {
    sites = (await api('GET', '/v1/sites')).items;
  } catch (err) {
    if (err.status === 401) return toLogin();
    return showError(pageStatus, err);
  }
  siteSelect.replaceChildren(...sites.map((s) => el('option', { value: s.id }, s.name)));
  $('.site-picker').hidden = sites.length < 2;
  const wanted = new URLSearchParams(window.location.search).get('site');
  if (!wanted && sites.length === 0) {
    say(pageStatus, 'You have no sites yet.');
    return;
  }
  owner = { id: me.id, name: me.owner.name };
  await openSite(wanted || sites[0].id);
}

siteSelect.addEventListener('change', () => {
  void openSite(siteSelect.value).then(() => $('#site-name').focus());
});

$('#logout').addEventListener('click', async () => {
  generation++;
  closeStream();
  siteRoot.replaceChildren();
  await logout();
  toLogin();
});

void boot();
