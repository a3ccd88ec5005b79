/**
 * The camera node as its own process (hardware/README.md): `node --import tsx
 * hardware/src/camera/camera-process.ts --device <id> --link <host:port> --relay <url>`, with
 * its credential in KEYWAY_CAMERA_TOKEN (never on the command line, where `ps` shows it).
 * Prints one JSON line per happening on stdout; SIGTERM stops it after pending uploads;
 * `--exit-with-parent` also stops it when the process that started it dies.
 */
import { parseArgs } from 'node:util';
import { startCameraNode } from './camera-node';

const { values } = parseArgs({
  options: {
    device: { type: 'string' }, link: { type: 'string' }, relay: { type: 'string' }, frames: { type: 'string' }, 'exit-with-parent': { type: 'boolean' }
  }
});
const token = process.env.KEYWAY_CAMERA_TOKEN ?? '';
const link = /^(.+):(\d+)$/.exec(values.link ?? '');
if (!values.device || !/^[0-9a-f]{16}$/.test(values.device) || !link || !values.relay || !token.startsWith('kw_camera_')) {
  process.stderr.write('usage: camera-process --device <16 hex> --link <host:port> --relay <url> [--frames n]  (KEYWAY_CAMERA_TOKEN=kw_camera_…)\n');
  process.exit(2);
}
const node = startCameraNode({
  deviceId: values.device, link: { host: link[1], port: Number(link[2]) }, relay: values.relay.replace(/\/+$/, ''), token,
  frames: values.frames ? Number(values.frames) : undefined,
  log: (event, fields) => process.stdout.write(JSON.stringify({ event, ...fields }) + '\n')
});
const stop = () => {
  void node.stop().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// Started by `keyway up`: a parent that died without stopping us (SIGKILL) leaves no orphan camera.
const PARENT_CHECK_MS = 1000;
if (values['exit-with-parent']) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, PARENT_CHECK_MS).unref();
}
