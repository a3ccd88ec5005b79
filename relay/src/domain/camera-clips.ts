/**
 * Camera evidence (docs/relay.md "Camera evidence", docs/protocol.md §6.1). A camera is
 * provisioned for one lock and gets its own credential; it uploads the frames of a capture,
 * the lock's CAMERA event brings the clip hash from inside its hash chain, and the relay
 * checks one against the other whichever comes first: equal is verified, different is a
 * mismatch flagged to the owner. Frames are files (one directory per capture), only the
 * site's owner may read or delete them, and the maintenance sweep deletes them after the
 * retention period.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fromHex, MAX_CLIP_FRAMES, toHex } from '@keyway/shared';
import { clipHash } from '@keyway/shared/node';
import type { RelayContext } from '../context';
import type { Q } from '../data/store';
import {
  activeCameraByToken, activeCameraOf, clipByCapture, clipsByCaptures, clipsOlderThan, insertCamera, markClipDeleted, recordLockEvent, recordUpload,
  revokeCameras, type CameraRow, type ClipRow, type ClipStatus
} from '../data/clips';
import { relayError } from '../errors';
import { randomSecret, sha256Hex } from '../secrets';
import { afterHeldActivity, recordActivity } from './activity';
import { deviceForOwner, getDevice, type DeviceRow } from './devices';
import { notifySiteOwner } from './notifications';
import type { Principal } from './principals';

export const CAMERA_TOKEN_PREFIX = 'kw_camera_';
/** Retention deletes at most this many clips per sweep, so one sweep stays short. */
export const RETENTION_BATCH = 200;
const CLIP_HASH_HEX = 64;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

type FrameType = 'png' | 'jpeg';
const CONTENT_TYPES: Record<FrameType, string> = { png: 'image/png', jpeg: 'image/jpeg' };

function startsWith(b: Uint8Array, magic: number[]): boolean {
  return b.length > magic.length && magic.every((v, i) => b[i] === v);
}

function frameType(b: Uint8Array): FrameType | null {
  return startsWith(b, PNG_MAGIC) ? 'png' : startsWith(b, JPEG_MAGIC) ? 'jpeg' : null;
}

export function clipRefOf(deviceId: string, capture: number): string {
  return 'clip:' + deviceId + ':' + capture;
}

/** `clip:<deviceId>:<capture>` → its parts, or null. */
export function parseClipRef(ref: string): { deviceId: string; capture: number } | null {
  const m = /^clip:([0-9a-f]{16}):(\d{1,10})$/.exec(ref);
  return m ? { deviceId: m[1], capture: Number(m[2]) } : null;
}

// ---- credentials ----

export interface CameraCredential {
  cameraId: number;
  deviceId: string;
  token: string;
  uploadPath: string;
}

/**
 * Provisions the camera of a lock: a new credential (shown once), the previous one revoked.
 * The owner of the lock's site or an installer may do it.
 */
export async function provisionCamera(ctx: RelayContext, p: Principal, deviceId: string): Promise<CameraCredential> {
  const d = p.kind === 'installer' ? await getDevice(ctx.store.q, deviceId) : await deviceForOwner(ctx, ctx.store.q, p, deviceId);
  if (!d) throw relayError('KW_NOT_FOUND');
  const token = randomSecret(CAMERA_TOKEN_PREFIX);
  const cameraId = await ctx.store.tx(async (q) => {
    const replaced = await revokeCameras(q, d.id, ctx.now());
    const id = await insertCamera(q, d.id, sha256Hex(token), ctx.now());
    await recordActivity(ctx, q, { siteId: d.site_id, deviceId: d.id, kind: 'camera.provisioned', actorKind: p.kind, actorId: p.subjectId, details: { cameraId: id, replaced } });
    return id;
  });
  return { cameraId, deviceId: d.id, token, uploadPath: '/v1/camera/clips' };
}

export async function cameraStatus(ctx: RelayContext, d: DeviceRow): Promise<{ provisioned: boolean; cameraId: number | null; since: string | null }> {
  const c = await activeCameraOf(ctx.store.q, d.id);
  return { provisioned: !!c, cameraId: c?.id ?? null, since: c ? new Date(c.created_at).toISOString() : null };
}

export async function authenticateCamera(ctx: RelayContext, token: string | null): Promise<CameraRow> {
  if (!token || !token.startsWith(CAMERA_TOKEN_PREFIX) || token.length > 200) throw relayError('KW_UNAUTHORIZED');
  const c = await activeCameraByToken(ctx.store.q, sha256Hex(token));
  if (!c) throw relayError('KW_UNAUTHORIZED');
  return c;
}

// ---- verification ----

function compare(lockHash: string | null, uploadedHash: string): ClipStatus {
  if (lockHash === null) return 'unbound';
  return lockHash === uploadedHash ? 'verified' : 'mismatch';
}

async function afterChange(ctx: RelayContext, q: Q, before: ClipStatus | undefined, row: ClipRow): Promise<void> {
  if (row.status === 'mismatch' && before !== 'mismatch') {
    const details = { capture: row.capture, eventSeq: row.event_seq, lockHash: row.lock_hash, uploadedHash: row.uploaded_hash };
    await recordActivity(ctx, q, { siteId: row.site_id, deviceId: row.device_id, kind: 'evidence.mismatch', eventSeq: row.event_seq, clip: clipRefOf(row.device_id, row.capture), details });
    await notifySiteOwner(ctx, q, row.site_id, 'evidence.mismatch', { deviceId: row.device_id, ...details });
    ctx.metrics.clipMismatches.inc();
    ctx.log.warn({ deviceId: row.device_id, ...details }, 'camera clip does not match the lock log');
  }
  // After the activity row above, which the lock intake inserts at the end of its batch.
  afterHeldActivity(q, () => ctx.live.emit(['site:' + row.site_id], 'clip', clipView(row)));
}

/** The lock's CAMERA event (acknowledged), inside the transaction q that stores it: its hash, if any, is what the frames must match. */
export async function onLockCameraEvent(ctx: RelayContext, q: Q, d: DeviceRow, capture: number, seq: number, data: Uint8Array): Promise<void> {
  const lockHash = data.length === CLIP_HASH_HEX / 2 ? toHex(data) : null;
  const { row, before } = await recordLockEvent(q, d.id, d.site_id, capture, seq, lockHash, ctx.now(),
    (uploaded) => (uploaded === null ? 'awaiting' : compare(lockHash, uploaded)));
  await afterChange(ctx, q, before, row);
}

export interface UploadInput {
  capture: number;
  frames: string[];
}

/** A camera's upload: frames checked, hashed as the manifest says, stored, compared with the lock's event. */
export async function acceptUpload(ctx: RelayContext, camera: CameraRow, input: UploadInput): Promise<ReturnType<typeof clipView>> {
  const d = await getDevice(ctx.store.q, camera.device_id);
  if (!d) throw relayError('KW_NOT_FOUND');
  if (input.frames.length < 1 || input.frames.length > MAX_CLIP_FRAMES) throw relayError('KW_CLIP_INVALID', { frames: input.frames.length });
  const max = ctx.opts.clips.maxFrameBytes;
  const frames: Buffer[] = [];
  const types: FrameType[] = [];
  input.frames.forEach((b64, i) => {
    if (b64.length > Math.ceil(max / 3) * 4 || !BASE64.test(b64)) throw relayError('KW_CLIP_INVALID', { frame: i, problem: 'not base64 within the size limit' });
    const bytes = Buffer.from(b64, 'base64');
    const t = frameType(bytes);
    if (!t || bytes.length > max) throw relayError('KW_CLIP_INVALID', { frame: i, problem: 'not a PNG or JPEG image' });
    frames.push(bytes);
    types.push(t);
  });
  const existing = await clipByCapture(ctx.store.q, d.id, input.capture);
  if (existing?.uploaded_hash) throw relayError('KW_CLIP_EXISTS', { capture: input.capture });
  const uploadedHash = toHex(clipHash(fromHex(d.id), input.capture, frames));
  const dir = clipDir(ctx, d.id, input.capture);
  const tmp = dir + '.tmp-' + process.pid + '-' + Date.now();
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  frames.forEach((f, i) => writeFileSync(path.join(tmp, frameName(i, types[i])), f, { mode: 0o600 }));
  let row: ClipRow;
  try {
    row = await ctx.store.tx((q) => recordUpload(q, {
      deviceId: d.id, siteId: d.site_id, capture: input.capture, cameraId: camera.id, frames: frames.length, frameTypes: types,
      bytes: frames.reduce((n, f) => n + f.length, 0), uploadedHash
    }, ctx.now(), (lockHash, hadEvent) => (hadEvent ? compare(lockHash, uploadedHash) : 'pending')));
    if (row.uploaded_hash !== uploadedHash) throw relayError('KW_CLIP_EXISTS', { capture: input.capture });
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  ctx.metrics.clipsUploaded.inc();
  await afterChange(ctx, ctx.store.q, existing?.status, row);
  return clipView(row);
}

// ---- files ----

function clipDir(ctx: RelayContext, deviceId: string, capture: number): string {
  return path.join(ctx.opts.clips.dir, deviceId, String(capture));
}

function frameName(i: number, t: FrameType): string {
  return String(i + 1) + (t === 'png' ? '.png' : '.jpg');
}

function removeFrames(ctx: RelayContext, row: ClipRow): void {
  rmSync(clipDir(ctx, row.device_id, row.capture), { recursive: true, force: true });
}

// ---- views and owner actions ----

export function clipView(r: ClipRow) {
  const types = JSON.parse(r.frame_types) as FrameType[];
  const stored = r.deleted_at === null && r.uploaded_hash !== null;
  const base = '/v1/devices/' + r.device_id + '/clips/' + r.capture;
  return {
    ref: clipRefOf(r.device_id, r.capture), deviceId: r.device_id, capture: r.capture, eventSeq: r.event_seq, status: r.status,
    frames: r.frames, frameUrls: stored ? types.map((_t, i) => base + '/frames/' + (i + 1)) : [],
    lockHash: r.lock_hash, uploadedHash: r.uploaded_hash, createdAt: new Date(r.created_at).toISOString(),
    uploadedAt: r.uploaded_at ? new Date(r.uploaded_at).toISOString() : null,
    deleted: r.deleted_at ? { at: new Date(r.deleted_at).toISOString(), by: r.deleted_by } : null
  };
}

/** Only the owner of the lock's site: not couriers, backends or guests, and not the relay's admin either. */
async function ownedClip(ctx: RelayContext, p: Principal, deviceId: string, capture: number): Promise<ClipRow> {
  if (p.kind !== 'owner') throw relayError('KW_FORBIDDEN', { kind: p.kind });
  const d = await deviceForOwner(ctx, ctx.store.q, p, deviceId);
  const row = await clipByCapture(ctx.store.q, d.id, capture);
  if (!row) throw relayError('KW_NOT_FOUND');
  return row;
}

export async function clipForOwner(ctx: RelayContext, p: Principal, deviceId: string, capture: number): Promise<ReturnType<typeof clipView>> {
  return clipView(await ownedClip(ctx, p, deviceId, capture));
}

/** The clips behind the given refs (the feed asks for the clips it shows), skipping others' and unknown ones. */
export async function clipsForOwner(ctx: RelayContext, p: Principal, refs: string[]): Promise<Array<ReturnType<typeof clipView>>> {
  if (p.kind !== 'owner') throw relayError('KW_FORBIDDEN', { kind: p.kind });
  const byDevice = new Map<string, number[]>();
  for (const ref of refs) {
    const c = parseClipRef(ref);
    if (c) byDevice.set(c.deviceId, [...(byDevice.get(c.deviceId) ?? []), c.capture]);
  }
  const out: Array<ReturnType<typeof clipView>> = [];
  for (const [deviceId, captures] of byDevice) {
    try {
      await deviceForOwner(ctx, ctx.store.q, p, deviceId);
    } catch {
      continue;
    }
    for (const r of await clipsByCaptures(ctx.store.q, deviceId, captures)) out.push(clipView(r));
  }
  return out;
}

export async function frameForOwner(ctx: RelayContext, p: Principal, deviceId: string, capture: number, n: number): Promise<{ bytes: Buffer; contentType: string; etag: string }> {
  const row = await ownedClip(ctx, p, deviceId, capture);
  const types = JSON.parse(row.frame_types) as FrameType[];
  if (row.deleted_at !== null || n < 1 || n > types.length) throw relayError('KW_NOT_FOUND');
  const t = types[n - 1];
  try {
    const bytes = readFileSync(path.join(clipDir(ctx, row.device_id, row.capture), frameName(n - 1, t)));
    // A frame never changes once written; the upload's manifest hash and n name it.
    return { bytes, contentType: CONTENT_TYPES[t], etag: '"' + row.uploaded_hash + '-' + n + '"' };
  } catch {
    throw relayError('KW_NOT_FOUND');
  }
}

/** The owner deletes a clip's frames; the record (hashes, verification) stays, marked deleted. */
export async function deleteClip(ctx: RelayContext, p: Principal, deviceId: string, capture: number): Promise<ReturnType<typeof clipView>> {
  const row = await ownedClip(ctx, p, deviceId, capture);
  if (await markClipDeleted(ctx.store.q, row.id, 'owner', ctx.now())) {
    removeFrames(ctx, row);
    await recordActivity(ctx, ctx.store.q, { siteId: row.site_id, deviceId: row.device_id, kind: 'clip.deleted', actorKind: 'owner', actorId: p.subjectId, clip: clipRefOf(row.device_id, row.capture) });
  }
  const after = (await clipByCapture(ctx.store.q, row.device_id, row.capture))!;
  ctx.live.emit(['site:' + row.site_id], 'clip', clipView(after));
  return clipView(after);
}

/** Maintenance: frames older than the retention period are deleted; returns how many clips. */
export async function sweepClipRetention(ctx: RelayContext): Promise<number> {
  const old = await clipsOlderThan(ctx.store.q, ctx.now() - ctx.opts.clips.retentionMs, RETENTION_BATCH);
  let n = 0;
  for (const row of old) {
    if (await markClipDeleted(ctx.store.q, row.id, 'retention', ctx.now())) {
      removeFrames(ctx, row);
      n++;
    }
  }
  return n;
}
