/**
 * The camera node (an ESP32-CAM-class module beside the lock, docs/protocol.md §6.1): it listens
 * on the camera link for the lock's CAPTURE, takes its frames, answers CLIP with the clip hash
 * (so the lock writes it into its log before the bolt moves), then uploads the frames to the
 * relay with its own credential. Uploads are retried; the lock's answer never waits for them.
 */
import net from 'node:net';
import { clipLine, fromHex, parseCaptureLine, toHex } from '@keyway/shared';
import { clipHash } from '@keyway/shared/node';
import { renderDoorwayFrame } from './doorway-frame';

export const CLIP_FRAMES = 3;
export const FRAME_INTERVAL_MS = 120;
export const UPLOAD_ATTEMPTS = 5;
export const UPLOAD_BACKOFF_MS = 500;
export const RECONNECT_MS = 500;
export const UPLOAD_PATH = '/v1/camera/clips';

export interface CameraNodeOptions {
  /** The lock this camera is wired to (hex device id). */
  deviceId: string;
  /** The lock's camera connector. */
  link: { host: string; port: number };
  /** The relay's HTTP base URL and this camera's credential (kw_camera_…). */
  relay: string;
  token: string;
  frames?: number;
  intervalMs?: number;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

export interface CameraNode {
  /** Resolves once the link to the lock is up (the first time). */
  linked: Promise<void>;
  /** Captures answered so far and uploads that reached the relay. */
  stats: { captures: number; uploads: number; failures: number };
  stop(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function startCameraNode(o: CameraNodeOptions): CameraNode {
  const log = o.log ?? (() => undefined);
  const frames = o.frames ?? CLIP_FRAMES;
  const interval = o.intervalMs ?? FRAME_INTERVAL_MS;
  const device = fromHex(o.deviceId);
  const stats = { captures: 0, uploads: 0, failures: 0 };
  const pending = new Set<Promise<void>>();
  let stopped = false;
  let sock: net.Socket | null = null;
  let onLinked: () => void = () => undefined;
  const linked = new Promise<void>((r) => (onLinked = r));

  const upload = async (capture: number, shots: Buffer[]): Promise<void> => {
    const body = JSON.stringify({ capture, frames: shots.map((s) => s.toString('base64')) });
    for (let attempt = 1; attempt <= UPLOAD_ATTEMPTS && !stopped; attempt++) {
      try {
        const r = await fetch(o.relay + UPLOAD_PATH, {
          method: 'POST', headers: { authorization: 'Bearer ' + o.token, 'content-type': 'application/json' }, body
        });
        const text = await r.text();
        if (r.ok) {
          stats.uploads++;
          log('uploaded', { capture, status: r.status, body: text });
          return;
        }
        // A refusal (bad credential, a clip already stored) will not change on retry.
        if (r.status < 500 && r.status !== 429) {
          stats.failures++;
          log('upload-refused', { capture, status: r.status, body: text });
          return;
        }
        log('upload-retry', { capture, status: r.status, attempt });
      } catch (e) {
        log('upload-retry', { capture, error: String((e as Error).message ?? e), attempt });
      }
      await sleep(UPLOAD_BACKOFF_MS * attempt);
    }
    stats.failures++;
  };

  const capture = async (n: number): Promise<void> => {
    const shots: Buffer[] = [];
    for (let i = 1; i <= frames; i++) {
      if (i > 1) await sleep(interval);
      shots.push(renderDoorwayFrame({ at: Date.now(), frame: i, frames, capture: n }));
    }
    const hash = toHex(clipHash(device, n, shots));
    if (sock && !sock.destroyed) sock.write(clipLine(n, hash), 'latin1');
    stats.captures++;
    log('captured', { capture: n, frames, clipHash: hash });
    await upload(n, shots);
  };

  const connect = () => {
    if (stopped) return;
    let buf = '';
    const s = net.connect(o.link.port, o.link.host, () => {
      log('linked', { deviceId: o.deviceId });
      onLinked();
    });
    sock = s;
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const n = parseCaptureLine(line);
        if (n < 0) continue;
        const p = capture(n).finally(() => pending.delete(p));
        pending.add(p);
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      if (sock === s) sock = null;
      if (!stopped) setTimeout(connect, RECONNECT_MS);
    });
  };
  connect();

  return {
    linked, stats,
    async stop() {
      stopped = true;
      sock?.destroy();
      await Promise.allSettled([...pending]);
    }
  };
}
