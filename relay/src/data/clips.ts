/**
 * Camera evidence storage (docs/relay.md "Camera evidence"): every SQL statement about cameras
 * and clips, and nothing else. The rules (verification, file store, who may see what) are in
 * domain/camera-clips.ts.
 */
import type { RelayContext } from '../context';

export type ClipStatus = 'awaiting' | 'pending' | 'verified' | 'mismatch' | 'unbound';

export interface ClipRow {
  id: number;
  device_id: string;
  site_id: number;
  capture: number;
  camera_id: number | null;
  frames: number;
  frame_types: string;
  bytes: number;
  uploaded_hash: string | null;
  lock_hash: string | null;
  event_seq: number | null;
  status: ClipStatus;
  created_at: number;
  uploaded_at: number | null;
  deleted_at: number | null;
  deleted_by: 'owner' | 'retention' | null;
}

export interface CameraRow {
  id: number;
  device_id: string;
  created_at: number;
  revoked_at: number | null;
}

export function insertCamera(ctx: RelayContext, deviceId: string, tokenHash: string): number {
  return Number(ctx.db.prepare('INSERT INTO cameras (device_id, token_hash, created_at) VALUES (?, ?, ?)').run(deviceId, tokenHash, ctx.now()).lastInsertRowid);
}

/** Revokes the lock's cameras; returns how many were active. */
export function revokeCameras(ctx: RelayContext, deviceId: string): number {
  return ctx.db.prepare('UPDATE cameras SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL').run(ctx.now(), deviceId).changes;
}

export function activeCameraByToken(ctx: RelayContext, tokenHash: string): CameraRow | undefined {
  return ctx.db.prepare('SELECT id, device_id, created_at, revoked_at FROM cameras WHERE token_hash = ? AND revoked_at IS NULL').get(tokenHash) as CameraRow | undefined;
}

export function activeCameraOf(ctx: RelayContext, deviceId: string): CameraRow | undefined {
  return ctx.db.prepare('SELECT id, device_id, created_at, revoked_at FROM cameras WHERE device_id = ? AND revoked_at IS NULL ORDER BY id DESC LIMIT 1')
    .get(deviceId) as CameraRow | undefined;
}

export function clipByCapture(ctx: RelayContext, deviceId: string, capture: number): ClipRow | undefined {
  return ctx.db.prepare('SELECT * FROM clips WHERE device_id = ? AND capture = ?').get(deviceId, capture) as ClipRow | undefined;
}

export function clipsByCaptures(ctx: RelayContext, deviceId: string, captures: number[]): ClipRow[] {
  if (captures.length === 0) return [];
  return ctx.db.prepare('SELECT * FROM clips WHERE device_id = ? AND capture IN (' + captures.map(() => '?').join(',') + ')')
    .all(deviceId, ...captures) as ClipRow[];
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

/**
 * Records an upload on the capture's row (created if the lock's event has not made it yet),
 * unless frames were already recorded for it; returns the row as it stands.
 */
export function recordUpload(ctx: RelayContext, u: UploadFields, statusFor: (lockHash: string | null, hadEvent: boolean) => ClipStatus): ClipRow {
  ctx.db.prepare("INSERT OR IGNORE INTO clips (device_id, site_id, capture, status, created_at) VALUES (?, ?, ?, 'pending', ?)")
    .run(u.deviceId, u.siteId, u.capture, ctx.now());
  const row = clipByCapture(ctx, u.deviceId, u.capture)!;
  if (row.uploaded_hash !== null) return row;
  ctx.db.prepare(`UPDATE clips SET camera_id = ?, frames = ?, frame_types = ?, bytes = ?, uploaded_hash = ?, status = ?, uploaded_at = ?
    WHERE id = ? AND uploaded_hash IS NULL`)
    .run(u.cameraId, u.frames, JSON.stringify(u.frameTypes), u.bytes, u.uploadedHash, statusFor(row.lock_hash, row.event_seq !== null), ctx.now(), row.id);
  return clipByCapture(ctx, u.deviceId, u.capture)!;
}

/** Records the lock's CAMERA event on the capture's row (created as awaiting the upload); returns the row. */
export function recordLockEvent(ctx: RelayContext, deviceId: string, siteId: number, capture: number, seq: number, lockHash: string | null,
  statusFor: (uploadedHash: string | null) => ClipStatus): ClipRow {
  ctx.db.prepare("INSERT OR IGNORE INTO clips (device_id, site_id, capture, status, created_at) VALUES (?, ?, ?, 'awaiting', ?)")
    .run(deviceId, siteId, capture, ctx.now());
  const row = clipByCapture(ctx, deviceId, capture)!;
  ctx.db.prepare('UPDATE clips SET lock_hash = ?, event_seq = ?, status = ? WHERE id = ?').run(lockHash, seq, statusFor(row.uploaded_hash), row.id);
  return clipByCapture(ctx, deviceId, capture)!;
}

export function markClipDeleted(ctx: RelayContext, id: number, by: 'owner' | 'retention'): boolean {
  return ctx.db.prepare('UPDATE clips SET deleted_at = ?, deleted_by = ? WHERE id = ? AND deleted_at IS NULL').run(ctx.now(), by, id).changes === 1;
}

/** Clips with frames still stored, created before `before` (the retention horizon). */
export function clipsOlderThan(ctx: RelayContext, before: number, limit: number): ClipRow[] {
  return ctx.db.prepare('SELECT * FROM clips WHERE deleted_at IS NULL AND created_at < ? ORDER BY created_at LIMIT ?').all(before, limit) as ClipRow[];
}
