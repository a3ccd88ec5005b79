/**
 * A camera module for each simulated door (docs/relay.md "Camera evidence"): its credential
 * provisioned at the relay, the lock's camera connector opened on loopback, and the camera node
 * started as its own process (hardware/src/camera/camera-process.ts), its log in
 * dataDir/camera-<deviceId>.log. Returns once every camera is plugged into its lock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { openCameraPort, type CameraPort, type FleetLock } from '@keyway/hardware';
import { relayRequest } from '../provision/relay-client';
import { REPO_ROOT } from '../repo-root';
import { pollUntil } from './poll';

/** tsx starts in about a second on a quiet machine; leave room for a busy one. */
const PLUG_TIMEOUT_MS = 30_000;
const CAMERA_ENTRY = path.join(REPO_ROOT, 'hardware/src/camera/camera-process.ts');

export interface RunningCamera {
  deviceId: string;
  port: CameraPort;
  child: ChildProcess;
  logFile: string;
}

export async function startCameras(o: { base: string; installerToken: string; dataDir: string; locks: FleetLock[] }): Promise<RunningCamera[]> {
  const out: RunningCamera[] = [];
  try {
    for (const lock of o.locks) {
      if (!lock.camera) continue;
      const deviceId = lock.spec.deviceId;
      const cred = await relayRequest<{ token: string }>(o.base, o.installerToken, 'POST', '/v1/devices/' + deviceId + '/camera', {});
      const port = await openCameraPort(lock.camera);
      const logFile = path.join(o.dataDir, 'camera-' + deviceId + '.log');
      const fd = openSync(logFile, 'a', 0o600);
      const child = spawn(process.execPath, ['--import', 'tsx', CAMERA_ENTRY, '--device', deviceId, '--link', '127.0.0.1:' + port.port, '--relay', o.base, '--exit-with-parent'], {
        cwd: REPO_ROOT, env: { ...process.env, KEYWAY_CAMERA_TOKEN: cred.token }, stdio: ['ignore', fd, fd]
      });
      closeSync(fd);
      out.push({ deviceId, port, child, logFile });
    }
    for (const c of out) await pollUntil('camera of ' + c.deviceId + ' plugged in', () => c.port.plugged() || c.child.exitCode !== null, PLUG_TIMEOUT_MS);
    const dead = out.find((c) => c.child.exitCode !== null);
    if (dead) throw new Error('camera node for ' + dead.deviceId + ' exited (' + dead.child.exitCode + '), see ' + dead.logFile);
  } catch (e) {
    await stopCameras(out);
    throw e;
  }
  return out;
}

export async function stopCameras(cams: RunningCamera[]): Promise<void> {
  await Promise.all(cams.map(async (c) => {
    if (c.child.exitCode === null && c.child.signalCode === null) {
      const exited = new Promise((r) => c.child.once('exit', r));
      c.child.kill('SIGTERM');
      await exited;
    }
    await c.port.close();
  }));
}
