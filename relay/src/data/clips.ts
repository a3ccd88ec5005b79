/**
 * Camera evidence storage (docs/relay.md "Camera evidence"): every SQL statement about cameras
 * and clips, and nothing else. The rules (verification, file store, who may see what) are in
 * domain/camera-clips.ts.
 */
import type { Selectable } from 'kysely';
import type { CamerasTable, ClipsTable } from './schema';
import { changedRows, firstRow, prepared } from './prepared';
import type { Q } from './store';

export type ClipStatus = ClipsTable['status'];
export type ClipRow = Selectable<ClipsTable>;
export type CameraRow = Omit<Selectable<CamerasTable>, 'token_hash'>;

const CAMERA_COLUMNS = ['id', 'device_id', 'created_at', 'revoked_at'] as const;

export async function insertCamera(q: Q, deviceId: string, tokenHash: string, at: number): Promise<number> {
  const r = await q.insertInto('cameras').values({ device_id: deviceId, token_hash: tokenHash, created_at: at }).returning('id').executeTakeFirstOrThrow();
  return r.id;
}

/** Revokes the lock's cameras; returns how many were active. */
export async function revokeCameras(q: Q, deviceId: string, at: number): Promise<number> {
  const r = await q.updateTable('cameras').set({ revoked_at: at }).where('device_id', '=', deviceId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export function activeCameraByToken(q: Q, tokenHash: string): Promise<CameraRow | undefined> {
  return q.selectFrom('cameras').select(CAMERA_COLUMNS).where('token_hash', '=', tokenHash).where('revoked_at', 'is', null).executeTakeFirst();
}

export function activeCameraOf(q: Q, deviceId: string): Promise<CameraRow | undefined> {
  return q.selectFrom('cameras').select(CAMERA_COLUMNS).where('device_id', '=', deviceId).where('revoked_at', 'is', null).orderBy('id', 'desc').limit(1)
    .executeTakeFirst();
}

// A lock's CAMERA event and every upload run these: compiled once (prepared.ts).
const clipByCaptureQuery = prepared((q: Q, deviceId: string, capture: number) =>
  q.selectFrom('clips').selectAll().where('device_id', '=', deviceId).where('capture', '=', capture));

export function clipByCapture(q: Q, deviceId: string, capture: number): Promise<ClipRow | undefined> {
  return firstRow(clipByCaptureQuery(q, deviceId, capture));
}

export async function clipsByCaptures(q: Q, deviceId: string, captures: number[]): Promise<ClipRow[]> {
  if (captures.length === 0) return [];
  return q.selectFrom('clips').selectAll().where('device_id', '=', deviceId).where('capture', 'in', captures).execute();
}

export interface UploadFields {
  deviceId: string;
  siteId: number;
  capture: number;
  cameraId: number;
  frames: number;
  frameTypes: string[];
  bytes: number;
  uploadedHash: string;
}

const ensureClipQuery = prepared((q: Q, deviceId: string, siteId: number, capture: number, status: ClipStatus, at: number) =>
  q.insertInto('clips').values({ device_id: deviceId, site_id: siteId, capture, status, created_at: at })
    .onConflict((oc) => oc.columns(['device_id', 'capture']).doNothing()));

/** The capture's row, created with `status` if neither the upload nor the lock's event has made it yet; `created` when this call made it. */
async function ensureClip(q: Q, deviceId: string, siteId: number, capture: number, status: ClipStatus, at: number): Promise<{ row: ClipRow; created: boolean }> {
  const created = await changedRows(ensureClipQuery(q, deviceId, siteId, capture, status, at)) > 0;
  return { row: (await clipByCapture(q, deviceId, capture))!, created };
}

/**
 * Records an upload on the capture's row (created if the lock's event has not made it yet),
 * unless frames were already recorded for it; returns the row as it stands.
 */
export async function recordUpload(q: Q, u: UploadFields, at: number, statusFor: (lockHash: string | null, hadEvent: boolean) => ClipStatus): Promise<ClipRow> {
  const { row } = await ensureClip(q, u.deviceId, u.siteId, u.capture, 'pending', at);
  if (row.uploaded_hash !== null) return row;
  await q.updateTable('clips').set({
    camera_id: u.cameraId, frames: u.frames, frame_types: JSON.stringify(u.frameTypes), bytes: u.bytes, uploaded_hash: u.uploadedHash,
    status: statusFor(row.lock_hash, row.event_seq !== null), uploaded_at: at
  }).where('id', '=', row.id).where('uploaded_hash', 'is', null).execute();
  return (await clipByCapture(q, u.deviceId, u.capture))!;
}

// Every CAMERA event a lock logs runs these three (a courier entry's batch among them): compiled once.
const lockEventQuery = prepared((q: Q, id: number, lockHash: string | null, seq: number, status: ClipStatus) =>
  q.updateTable('clips').set({ lock_hash: lockHash, event_seq: seq, status }).where('id', '=', id).returningAll());

/**
 * Records the lock's CAMERA event on the capture's row (created as awaiting the upload); returns
 * the row as it stands and its status before (undefined when this call created it).
 */
export async function recordLockEvent(q: Q, deviceId: string, siteId: number, capture: number, seq: number, lockHash: string | null, at: number,
  statusFor: (uploadedHash: string | null) => ClipStatus): Promise<{ row: ClipRow; before: ClipStatus | undefined }> {
  const { row, created } = await ensureClip(q, deviceId, siteId, capture, 'awaiting', at);
  const after = (await firstRow(lockEventQuery(q, row.id, lockHash, seq, statusFor(row.uploaded_hash))))!;
  return { row: after, before: created ? undefined : row.status };
}

export async function markClipDeleted(q: Q, id: number, by: 'owner' | 'retention', at: number): Promise<boolean> {
  const r = await q.updateTable('clips').set({ deleted_at: at, deleted_by: by }).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Clips with frames still stored, created before `before` (the retention horizon). */
export function clipsOlderThan(q: Q, before: number, limit: number): Promise<ClipRow[]> {
  return q.selectFrom('clips').selectAll().where('deleted_at', 'is', null).where('created_at', '<', before).orderBy('created_at').limit(limit).execute();
}
