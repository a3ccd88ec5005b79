/**
 * TLS material for MQTT on 8883. With `tls: true` and no files given, a self-signed P-256
 * certificate for localhost/127.0.0.1 is generated once with the openssl CLI into
 * dataDir/tls (key 0600) and reused on every start.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
}

export function loadOrCreateTls(keyPath: string, certPath: string, generate: boolean, host: string): TlsMaterial {
  if (generate && !(existsSync(keyPath) && existsSync(certPath))) {
    mkdirSync(path.dirname(keyPath), { recursive: true, mode: 0o700 });
    const san = ['DNS:localhost', 'IP:127.0.0.1'];
    if (/^\d+\.\d+\.\d+\.\d+$/.test(host) && host !== '127.0.0.1' && host !== '0.0.0.0') san.push('IP:' + host);
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '825', '-subj', '/CN=keyway-relay',
      '-addext', 'subjectAltName=' + san.join(',')
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    chmodSync(keyPath, 0o600);
  }
  return { key: readFileSync(keyPath), cert: readFileSync(certPath) };
}
