/**
 * What people do during a soak, through the relay's API (docs/relay.md): the owner creates and
 * revokes guest grants, unlocks, rotates the relay key (admin); guests save offline scan strings
 * and scan them at the door, including after revocation, as an attacker would; a backend books
 * in-home deliveries and its courier asks for entry. Every answer lands in the soak's facts.
 */
import { randomUUID } from 'node:crypto';
import type { SoakFacts } from './soak-invariants';
import type { SoakRandom } from './soak-random';
import type { SoakWorld } from './soak-world';

export const OP_KINDS = ['grant', 'credentials', 'revoke', 'scan', 'unlock', 'book', 'entry', 'rotate'] as const;
export type OpKind = (typeof OP_KINDS)[number];
/** How often each operation is chosen, relative to the others (after each kind ran once). */
export const OP_WEIGHTS: Record<OpKind, number> = { grant: 3, credentials: 2, revoke: 3, scan: 6, unlock: 1, book: 1, entry: 1, rotate: 0.3 };
/** A scan uses a revoked grant's saved string this often (the attacker's move). */
const SCAN_REVOKED_SHARE = 0.5;
/** A revocation targets a grant on a lock that is down or cut off this often (the hard case). */
const REVOKE_FAULTED_SHARE = 0.5;

export function pickOp(rng: SoakRandom): OpKind {
  const total = OP_KINDS.reduce((a, k) => a + OP_WEIGHTS[k], 0);
  let x = rng.next() * total;
  for (const k of OP_KINDS) {
    x -= OP_WEIGHTS[k];
    if (x < 0) return k;
  }
  return OP_KINDS[0];
}

/** Scan strings a guest saves per fetch. */
const CREDENTIALS_PER_FETCH = 3;
/** Guest grants are valid from a minute ago for a day. */
const GRANT_BACKDATE_MS = 60_000;
const GRANT_LENGTH_MS = 86_400_000;
/** At most one relay key rotation this often. */
export const ROTATE_MIN_GAP_MS = 10_000;

interface GuestGrant { id: number; deviceId: string; token: string; creds: string[]; revoked: boolean }

export interface OpState {
  w: SoakWorld;
  rng: SoakRandom;
  facts: SoakFacts;
  counts: Record<OpKind, number>;
  grants: GuestGrant[];
  deliveries: number[];
  lastRotate: number;
  skipped: number;
  /** Locks under a lasting fault right now (shared with the fault injector). */
  faulted: ReadonlySet<string>;
}

export function newOpState(w: SoakWorld, rng: SoakRandom, faulted: ReadonlySet<string>): OpState {
  return {
    w, rng, grants: [], deliveries: [], lastRotate: 0, skipped: 0, faulted,
    facts: { revocations: [], created: [], opened: [], keyId: null, keyUnsure: false },
    counts: Object.fromEntries(OP_KINDS.map((k) => [k, 0])) as Record<OpKind, number>
  };
}

const ok = (status: number) => status >= 200 && status < 300;

/** Runs one operation of `kind`; its targets come from the seeded random. */
export async function runOp(s: OpState, kind: OpKind): Promise<void> {
  s.counts[kind]++;
  if (!(await perform(s, kind))) {
    s.counts[kind]--;
    s.skipped++;
  }
}

/** False when the operation had nothing to act on. */
async function perform(s: OpState, kind: OpKind): Promise<boolean> {
  const { w, rng, facts } = s;
  const deviceId = rng.pick(w.world.locks).deviceId;
  const grant = s.grants.length > 0 ? rng.pick(s.grants) : null;
  const revoked = s.grants.filter((g) => g.revoked && g.creds.length > 0);
  const scanned = rng.chance(SCAN_REVOKED_SHARE) && revoked.length > 0 ? rng.pick(revoked) : grant;
  const live = s.grants.filter((g) => !g.revoked && s.faulted.has(g.deviceId));
  const revoking = rng.chance(REVOKE_FAULTED_SHARE) && live.length > 0 ? rng.pick(live) : grant;
  const delivery = s.deliveries.length > 0 ? rng.pick(s.deliveries) : null;
  const now = Date.now();
  switch (kind) {
    case 'grant': {
      const r = await w.call(kind, w.ownerToken, 'POST', '/v1/sites/' + w.world.siteId + '/grants', {
        kind: 'guest', type: 'temporary', label: 'Soak guest', deviceId,
        window: { start: new Date(now - GRANT_BACKDATE_MS).toISOString(), end: new Date(now + GRANT_LENGTH_MS).toISOString() }
      });
      if (!ok(r.status)) return true;
      const g: GuestGrant = { id: r.body.grant.id, deviceId, token: r.body.accessToken, creds: [], revoked: false };
      s.grants.push(g);
      facts.created.push({ grantId: g.id, deviceId });
      // The guest saves scan strings at once, so they still hold some after a revocation.
      await fetchCredentials(s, g);
      return true;
    }
    case 'credentials': {
      if (!grant) return false;
      await fetchCredentials(s, grant);
      return true;
    }
    case 'revoke': {
      if (!revoking || revoking.revoked) return false;
      const r = await w.call(kind, w.ownerToken, 'DELETE', '/v1/grants/' + revoking.id);
      if (!ok(r.status)) return true;
      revoking.revoked = true;
      facts.revocations.push({ grantId: revoking.id, deviceId: revoking.deviceId, answeredAt: r.answeredAt });
      return true;
    }
    case 'scan': {
      if (!scanned || scanned.creds.length === 0) return false;
      await w.fleet.ask(scanned.deviceId, 'scan ' + scanned.creds.shift());
      return true;
    }
    case 'unlock': {
      const r = await w.call(kind, w.ownerToken, 'POST', '/v1/devices/' + deviceId + '/unlock', {}, { 'idempotency-key': randomUUID() });
      if (ok(r.status) && r.body?.outcome === 'opened') facts.opened.push({ deviceId, eventSeq: r.body.eventSeq, op: kind });
      return true;
    }
    case 'book': {
      const r = await w.call(kind, w.world.backend.token, 'POST', '/v1/deliveries', {
        siteId: w.world.siteId, trackingNumber: 'SOAK' + randomUUID().slice(0, 8), courierId: w.world.courier.id, inHome: true, deviceId,
        window: { start: new Date(now - GRANT_BACKDATE_MS).toISOString(), end: new Date(now + GRANT_LENGTH_MS).toISOString() }
      });
      if (ok(r.status)) s.deliveries.push(r.body.id);
      return true;
    }
    case 'entry': {
      if (delivery === null) return false;
      const r = await w.call(kind, w.world.courier.token, 'POST', '/v1/deliveries/' + delivery + '/entry', undefined, { 'idempotency-key': randomUUID() });
      if (ok(r.status) && r.body?.outcome === 'opened') facts.opened.push({ deviceId: r.body.deviceId, eventSeq: r.body.eventSeq, op: kind });
      return true;
    }
    case 'rotate': {
      if (now - s.lastRotate < ROTATE_MIN_GAP_MS) return false;
      s.lastRotate = now;
      const r = await w.call(kind, w.adminToken, 'POST', '/v1/admin/keys/rotate', {});
      if (ok(r.status)) {
        facts.keyId = r.body.keyId;
        facts.keyUnsure = false;
      } else if (r.status === 0 || r.status >= 500) facts.keyUnsure = true;
      return true;
    }
  }
}

async function fetchCredentials(s: OpState, g: GuestGrant): Promise<void> {
  const r = await s.w.call('credentials', g.token, 'GET', '/v1/grant-access/credentials?count=' + CREDENTIALS_PER_FETCH);
  if (ok(r.status) && Array.isArray(r.body?.credentials)) g.creds.push(...(r.body.credentials as string[]));
}
