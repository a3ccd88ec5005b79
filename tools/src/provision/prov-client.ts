/**
 * The host end of the provisioning console (docs/provisioning.md): frames sent as
 * `\x10kwProv("<base64>")` lines, replies read as `KWP:<base64>` lines. A reply that fails its
 * CRC or never comes is retried; after the retries, the error says whether the lock may
 * have changed.
 */
import {
  PROV_LINE_PREFIX, base64Decode, base64Encode, decodeProvFrame, encodeProvFrame, type ProvFrame
} from '@keyway/shared';
import { CliError } from '../cli-error';
import type { LineIO } from '../serial/repl';

export interface ProvClient {
  request(type: number, payload: Uint8Array, expectType: number): Promise<Uint8Array>;
  /** Lines that failed their checksum and were retried. */
  garbled: number;
  retries: number;
}

export function provClient(io: LineIO, timeoutMs = 3000, attempts = 4): ProvClient {
  let seq = Math.floor(Math.random() * 60000);
  const c: ProvClient = {
    garbled: 0,
    retries: 0,
    async request(type, payload, expectType) {
      const s = (seq = (seq + 1) & 0xffff);
      const line = '\x10kwProv("' + base64Encode(encodeProvFrame({ type, seq: s, payload })) + '")\n';
      let last: unknown = null;
      for (let attempt = 0; attempt < attempts; attempt++) {
        if (attempt > 0) c.retries++;
        await io.write(line);
        const end = Date.now() + timeoutMs;
        while (Date.now() < end) {
          let reply: string;
          try {
            reply = await io.readLine((l) => l.includes(PROV_LINE_PREFIX), Math.max(1, end - Date.now()));
          } catch (e) {
            last = e;
            break;
          }
          let f: ProvFrame;
          try {
            f = decodeProvFrame(base64Decode(reply.slice(reply.indexOf(PROV_LINE_PREFIX) + PROV_LINE_PREFIX.length).trim()));
          } catch (e) {
            c.garbled++;
            last = e;
            break; // garbled on the wire: send again
          }
          if (f.seq !== s && f.seq !== 0) continue; // a late answer to an earlier attempt
          if (f.type === expectType || f.seq === 0 || f.type === 0x82) return frameResult(f, expectType);
        }
      }
      if (last instanceof CliError) throw last;
      throw new CliError('KW_TIMEOUT', io.name + ': no valid provisioning reply' + (last ? ' (' + String((last as Error).message ?? last) + ')' : ''));
    }
  };
  return c;
}

/** A reply of the expected type, or an ACK (type 0x82) whose code the caller interprets. */
function frameResult(f: ProvFrame, expectType: number): Uint8Array {
  if (f.type !== expectType && f.type !== 0x82) throw new CliError('KW_PROV_REFUSED', 'unexpected reply type ' + f.type);
  const out = new Uint8Array(f.payload.length + 1);
  out[0] = f.type;
  out.set(f.payload, 1);
  return out;
}
