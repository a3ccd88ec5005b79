/**
 * The lock's camera connector in simulation (docs/protocol.md §6.1): a TCP listener on loopback
 * carrying the camera link's bytes both ways, so a camera module running as its own process
 * (hardware/src/camera) is wired to a simulated lock the way a UART cable wires a real one.
 * One camera at a time: a second connection is refused while one is plugged in.
 */
import net from 'node:net';
import type { CameraWire } from './fleet';

export interface CameraPort {
  port: number;
  /** True while a camera is connected. */
  plugged(): boolean;
  close(): Promise<void>;
}

export async function openCameraPort(wire: CameraWire, host = '127.0.0.1', port = 0): Promise<CameraPort> {
  let current: net.Socket | null = null;
  const server = net.createServer((sock) => {
    if (current) {
      sock.destroy();
      return;
    }
    current = sock;
    sock.setEncoding('latin1');
    wire.fromLock = (text) => {
      if (!sock.destroyed) sock.write(text, 'latin1');
    };
    sock.on('data', (text: string) => wire.toLock(text));
    const unplug = () => {
      if (current !== sock) return;
      current = null;
      wire.fromLock = null;
    };
    sock.on('close', unplug);
    sock.on('error', unplug);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    plugged: () => current !== null,
    close: () => new Promise<void>((resolve) => {
      if (current) current.destroy();
      server.close(() => resolve());
    })
  };
}
