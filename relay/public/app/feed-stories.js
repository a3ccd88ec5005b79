// Folds the relay's activity rows (one per lock event or relay decision) into stories, one
// per happening a person cares about: a delivery from booking to the secured receipt, an
// entry with its door-open and relock, a lock from anywhere, an access given or revoked, an
// alarm. Bolt and door transitions, camera acknowledgements and entry requests are folded
// into the story they belong to. Pure: rows in, stories out (newest first).

/** Filter kinds, in the order the filter offers them. */
export const STORY_KINDS = {
  delivery: 'Deliveries', entry: 'Comings and goings', access: 'Access changes', problem: 'Alarms and denials', lock: 'Lock status'
};

const PROBLEMS = new Set(['denial', 'entry.refused', 'operation.failed', 'alarm', 'command.refused', 'command.foreign', 'log.gap', 'log.break', 'log.rewind',
  'clock.skew', 'evidence.mismatch', 'grant.failed', 'lock.low_battery', 'grant.revocation_unconfirmed', 'grant.revocation_refused', 'device.reregister_refused']);
/** Rows that only matter as part of another story. */
const FOLDED = new Set(['state', 'entry.requested', 'grant.staged', 'camera', 'command.retrying']);

const ACTOR_WORDS = { button: 'Someone inside (button)', auto: 'The lock (automatic relock)', backend: 'The delivery service', installer: 'The installer', parcel: 'A parcel scan' };

/** "Casey (Acme Parcels)", "Dog walker (service provider)", "You". */
export function personOf(a, me) {
  const n = a.names || {};
  if (n.personKind === 'owner') return a.actor && a.actor.id === me.id ? 'You' : n.person;
  if (n.personKind === 'courier') return n.person + (n.company ? ' (' + n.company + ')' : '');
  if (n.personKind === 'guest') return (n.person || 'A guest') + ' (guest)';
  if (n.personKind === 'service') return (n.person || 'A service provider') + ' (service provider)';
  if (a.actor) return ACTOR_WORDS[a.actor.kind] || null;
  return null;
}

function personKey(a) {
  const n = a.names || {};
  if (n.personKind === 'courier') return 'courier:' + n.person + '|' + (n.company || '');
  if (n.personKind === 'guest' || n.personKind === 'service') return 'grant:' + a.grantId;
  if (n.personKind === 'owner') return 'owner:' + (a.actor ? a.actor.id : '');
  return a.actor ? 'actor:' + a.actor.kind : null;
}

function story(key, kind, a, me) {
  return {
    key, kind, firstId: a.id, lastId: a.id, time: a.time, deviceId: a.deviceId, person: personOf(a, me), personKey: personKey(a),
    title: '', facts: [], tone: null, clip: a.clip || null, receipt: null, reason: null, eventSeq: a.eventSeq, rows: [a]
  };
}

function touch(s, a) {
  s.lastId = Math.max(s.lastId, a.id);
  s.rows.push(a);
  if (a.clip && !s.clip) s.clip = a.clip;
}

/** A fact line "door opened 14:01" with its time kept for the renderer. */
function fact(s, text, time) {
  s.facts.push({ text, time: time || null });
}

function deliveryStory(s, a) {
  const n = a.names || {};
  const parcel = n.trackingNumber || 'a parcel';
  switch (a.kind) {
    case 'delivery.booked':
      s.title = s.title || (s.person || 'A courier') + ' is booked to deliver ' + parcel;
      s.window = a.details && a.details.window;
      break;
    case 'unlock':
      s.title = (s.person || 'The courier') + ' unlocked for ' + parcel;
      s.unlockedAt = a.time;
      break;
    case 'delivery.entered':
      s.title = (s.person || 'The courier') + ' delivered ' + parcel;
      fact(s, 'door opened', a.time);
      break;
    case 'delivery.secured': {
      const r = a.details && a.details.receipt;
      s.receipt = r || null;
      if (r && r.doorOpened === false) {
        s.title = (s.person || 'The courier') + ' did not deliver ' + parcel;
        fact(s, 'locked again, the door never opened', a.time);
        s.tone = 'warn';
      } else fact(s, 'door secured', a.time);
      break;
    }
    case 'delivery.blocked': fact(s, 'blocked by you', a.time); s.tone = 'warn'; break;
    case 'delivery.unblocked': fact(s, 'unblocked', a.time); break;
    case 'delivery.cancelled': fact(s, 'cancelled', a.time); break;
    case 'entry.refused': fact(s, 'entry refused: ' + a.reason, a.time); s.reason = s.reason || a.reason; break;
    case 'denial': case 'command.refused': fact(s, 'the lock refused: ' + a.reason, a.time); s.reason = s.reason || a.reason; s.tone = 'bad'; break;
    case 'operation.failed': fact(s, 'lock fault: ' + a.reason, a.time); s.tone = 'bad'; break;
    default:
  }
  if (!s.title) s.title = (s.person || 'A courier') + ' · ' + parcel;
}

/**
 * rows: activity views (any order); me: { id }. Returns stories newest first (by their
 * latest row), each with the ids of the rows folded into it.
 */
export function foldStories(rows, me) {
  const asc = [...rows].sort((x, y) => x.id - y.id);
  const stories = new Map();
  const openEntry = new Map(); // deviceId → the entry story waiting for its door and relock
  const add = (s) => { stories.set(s.key, s); return s; };

  for (const a of asc) {
    if (a.deliveryId) {
      const key = 'd:' + a.deliveryId;
      const s = stories.get(key) || add(story(key, 'delivery', a, me));
      if (s.rows[0] !== a) touch(s, a);
      if (!s.person) s.person = personOf(a, me);
      deliveryStory(s, a);
      if (a.kind === 'unlock') openEntry.set(a.deviceId, s);
      continue;
    }
    const open = a.deviceId ? openEntry.get(a.deviceId) : null;
    if (a.kind === 'state') {
      if (open && a.details && a.details.door === 'open' && !open.doorOpened) {
        open.doorOpened = true;
        touch(open, a);
        if (open.kind !== 'delivery') fact(open, 'door opened', a.time);
      }
      continue;
    }
    if (a.kind === 'grant.staged') {
      const g = stories.get('g:' + a.grantId);
      if (g) { touch(g, a); fact(g, 'stored on the lock', a.time); }
      continue;
    }
    if (a.kind === 'camera' && a.clip) continue;
    if (FOLDED.has(a.kind) && a.kind !== 'camera') continue;
    if (a.kind === 'lock' && open) {
      touch(open, a);
      const by = a.actor && a.actor.kind !== 'auto' ? ' by ' + (personOf(a, me) || 'someone') : '';
      // A delivery's receipt already says it was secured (or relocked untouched).
      if (open.kind !== 'delivery') fact(open, 'locked again' + by, a.time);
      openEntry.delete(a.deviceId);
      continue;
    }
    const s = add(story('a:' + a.id, PROBLEMS.has(a.kind) || (a.kind === 'camera' && !a.clip) ? 'problem' : kindOf(a), a, me));
    describe(s, a);
    if (a.kind === 'unlock') openEntry.set(a.deviceId, s);
    if (a.kind === 'grant.created') { stories.delete(s.key); s.key = 'g:' + a.grantId; stories.set(s.key, s); }
  }
  return [...stories.values()].sort((x, y) => y.lastId - x.lastId);
}

function kindOf(a) {
  if (a.kind === 'unlock' || a.kind === 'lock') return 'entry';
  if (a.kind.startsWith('grant.')) return 'access';
  if (a.kind.startsWith('delivery.') || a.kind.startsWith('parcel.')) return 'delivery';
  return 'lock';
}

const SIMPLE = {
  'lock.online': 'The lock is back online', 'lock.offline': 'The lock went offline', boot: 'The lock restarted', 'alarm.cleared': 'Alarm cleared',
  'clock.skew': 'The lock’s clock is off', 'log.gap': 'Lock log: entries missing', 'log.break': 'Lock log: chain broken', 'log.rewind': 'Lock log: an entry was rewritten',
  'command.foreign': 'A command this relay never sent reached the lock', 'lock.low_battery': 'The battery is low',
  'parcel.registered': 'Parcel registered', 'command.refused': 'The lock refused a command',
  'device.reregister_refused': 'Someone tried to re-register this lock without proof: refused', 'device.reregistered': 'The lock was re-registered',
  'device.reregister_approved': 'You allowed the lock to be re-registered', 'site.partner_withdrawn': 'You withdrew a delivery partner',
  'lock.key_adopted': 'The lock is on the relay\u2019s new key',
  'lock.owner_time_needed': 'The lock restarted and keeps staged access closed until you open this page',
  'evidence.mismatch': 'Photos do not match what the lock recorded', 'camera.provisioned': 'A camera was set up for this lock', 'clip.deleted': 'You deleted photos', 'log.gap_filled': 'Lock log: the missing entries arrived late (nothing lost)'
};

function describe(s, a) {
  const who = s.person;
  const n = a.names || {};
  const access = n.grantLabel ? '“' + n.grantLabel + '”' : 'access #' + a.grantId;
  switch (a.kind) {
    case 'unlock':
      s.title = who ? who + (n.personKind === 'guest' || n.personKind === 'service' ? ' came in' : ' unlocked') : 'Unlocked';
      break;
    case 'lock':
      s.title = who ? who + ' locked' : 'Locked';
      break;
    case 'operation.failed':
      s.title = 'Lock fault'; s.reason = a.reason; s.tone = 'bad';
      break;
    case 'denial':
      s.title = (who ? who + ': ' : '') + 'the lock said no'; s.reason = a.reason; s.tone = 'bad';
      break;
    case 'entry.refused':
      s.title = (who ? who + ': ' : '') + 'entry refused'; s.reason = a.reason; s.tone = 'bad';
      break;
    case 'alarm':
      s.title = 'Alarm: ' + a.reason; s.reason = a.reason; s.tone = 'bad';
      break;
    case 'camera':
      s.title = 'The camera did not answer: the bolt stayed put'; s.reason = a.reason; s.tone = 'bad';
      break;
    case 'grant.created':
      s.title = 'You gave ' + (n.grantLabel || 'someone') + (n.grantKind === 'service' ? ' (service provider)' : ' (guest)') + ' access';
      break;
    case 'grant.revoked':
      s.title = 'Access for ' + access + ' revoked';
      break;
    case 'grant.failed':
      s.title = 'Access ' + access + ' could not be stored on the lock'; s.reason = a.reason; s.tone = 'bad';
      break;
    case 'grant.revocation_unconfirmed':
      s.title = 'The lock has not confirmed that ' + access + ' is revoked'; s.tone = 'bad';
      break;
    case 'grant.revocation_confirmed':
      s.title = 'The lock confirmed that ' + access + ' is revoked';
      break;
    case 'grant.revocation_refused':
      s.title = 'The lock refused to revoke ' + access + ' (the relay keeps trying)'; s.reason = a.reason; s.tone = 'bad';
      break;
    case 'lock.settings': {
      const d = a.details || {};
      s.title = 'You changed the lock\u2019s settings';
      fact(s, 'locks again after ' + d.autoLockS + ' s' + (d.relockOnClose ? ' and when the door closes' : '') + ' · door-left-open alert after '
        + Math.round(d.doorAjarS / 60) + ' min', null);
      break;
    }
    default:
      s.title = SIMPLE[a.kind] || a.kind;
      if (PROBLEMS.has(a.kind)) s.tone = 'bad';
      if (a.reason && !s.reason && a.kind !== 'lock.offline') s.reason = a.reason;
  }
  if (a.kind === 'lock.offline' && a.reason) fact(s, a.reason, null);
}
