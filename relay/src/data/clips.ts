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

/** Records an upload on a new row (status pending) or on the row the lock's event made; returns the row. */
export function recordUpload(ctx: RelayContext, u: UploadFields, statusFor: (lockHash: string | null, hadEvent: boolean) => ClipStatus): ClipRow {
  const existing = clipByCapture(ctx, u.deviceId, u.capture);
  const status = statusFor(existing?.lock_hash ?? null, existing?.event_seq != null);
  if (existing) {
    ctx.db.prepare(`UPDATE clips SET camera_id = ?, frames = ?, frame_types = ?, bytes = ?, uploaded_hash = ?, status = ?, uploaded_at = ?
      WHERE id = ? AND uploaded_hash IS NULL`)
      .run(u.cameraId, u.frames, JSON.stringify(u.frameTypes), u.bytes, u.uploadedHash, status, ctx.now(), existing.id);
  } else {
    ctx.db.prepare(`INSERT INTO clips (device_id, site_id, capture, camera_id, frames, frame_types, bytes, uploaded_hash, status, created_at, uploaded_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(u.deviceId, u.siteId, u.capture, u.cameraId, u.frames, JSON.stringify(u.frameTypes), u.bytes, u.uploadedHash, status, ctx.now(), ctx.now());
  }
  return clipByCapture(ctx, u.deviceId, u.capture)!;
}

/** Records the lock's CAMERA event on the capture's row (creating it as awaiting the upload); returns the row. */
export function recordLockEvent(ctx: RelayContext, deviceId: string, siteId: number, capture: number, seq: number, lockHash: string | null,
  statusFor: (uploadedHash: string | null) => ClipStatus): ClipRow {
  const existing = clipByCapture(ctx, deviceId, capture);
  const status = statusFor(existing?.uploaded_hash ?? null);
  if (existing) {
    ctx.db.prepare('UPDATE clips SET lock_hash = ?, event_seq = ?, status = ? WHERE id = ?').run(lockHash, seq, status, existing.id);
  } else {
    ctx.db.prepare('INSERT INTO clips (device_id, site_id, capture, lock_hash, event_seq, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(deviceId, siteId, capture, lockHash, seq, status, ctx.now());
  }
  return clipByCapture(ctx, deviceId, capture)!;
}

export function markClipDeleted(ctx: RelayContext, id: number, by: 'owner' | 'retention'): boolean {
  return ctx.db.prepare('UPDATE clips SET deleted_at = ?, deleted_by = ? WHERE id = ? AND deleted_at IS NULL').run(ctx.now(), by, id).changes === 1;
}

/** Clips with frames still stored, created before `before` (the retention horizon). */
export function clipsOlderThan(ctx: RelayContext, before: number, limit: number): ClipRow[] {
  return ctx.db.prepare('SELECT * FROM clips WHERE deleted_at IS NULL AND created_at < ? ORDER BY created_at LIMIT ?').all(before, limit) as ClipRow[];
}
