/**
 * Checks a `--port` before anything is opened or built: `tcp://host:port` must be a valid
 * URL; a path must exist and be a character device (a serial adapter, or a pseudo-terminal in
 * tests). A regular file or a directory is reported as "not a serial port", not as a lost
 * connection later on.
 */
import { statSync } from 'node:fs';
import { CliError } from '../cli-error';

export function checkPortPath(port: string): void {
  if (port.startsWith('tcp://')) {
    let u: URL;
    try {
      u = new URL(port);
    } catch {
      throw new CliError('KW_USAGE', '--port ' + port + ' is not a valid tcp://host:port URL');
    }
    if (!u.hostname || !u.port) throw new CliError('KW_USAGE', '--port ' + port + ' needs a host and a port (tcp://host:port)');
    return;
  }
  let st;
  try {
    st = statSync(port);
  } catch {
    throw new CliError('KW_PORT_NOT_FOUND', port);
  }
  if (!st.isCharacterDevice()) {
    throw new CliError('KW_NOT_A_SERIAL_PORT', port + ' is ' + (st.isDirectory() ? 'a directory' : st.isFile() ? 'a regular file' : 'not a character device'));
  }
}
