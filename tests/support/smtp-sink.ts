/**
 * A local SMTP sink for notification tests: a real SMTP server on loopback (node:net,
 * RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) that
 * keeps every message it accepts. It offers no STARTTLS and no AUTH, like a local relay.
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface SinkMessage {
  from: string;
  to: string[];
  /** The message as received (headers and body), dot-unstuffed, CRLF line ends. */
  data: string;
  headers: Record<string, string>;
  body: string;
}

export interface SmtpSink {
  port: number;
  messages: SinkMessage[];
  /** Every command line the server received, for assertions on the exchange. */
  transcript: string[];
  close(): Promise<void>;
}

/** Unfolds the header block and decodes RFC 2047 words (B and Q encodings) in header values. */
function parseMessage(data: string): { headers: Record<string, string>; body: string } {
  const split = data.indexOf('\r\n\r\n');
  const head = split < 0 ? data : data.slice(0, split);
  const body = split < 0 ? '' : data.slice(split + 4);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = decodeWords(line.slice(i + 1).trim());
  }
  return { headers, body };
}

function decodeWords(v: string): string {
  return v.replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_m, enc: string, text: string) => enc.toLowerCase() === 'b'
    ? Buffer.from(text, 'base64').toString('utf8')
    : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'));
}

/** Decodes a quoted-printable body (nodemailer uses it for non-ASCII text). */
export function decodeQuotedPrintable(s: string): string {
  return Buffer.from(s.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
}

function session(socket: Socket, sink: SmtpSink): void {
  let buf = '';
  let from = '';
  let to: string[] = [];
  let inData = false;
  let data: string[] = [];
  const say = (line: string) => socket.write(line + '\r\n');
  say('220 keyway-test-sink ESMTP');
  socket.on('data', (chunk) => {
    buf += chunk.toString('latin1');
    let nl: number;
    while ((nl = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 2);
      if (inData) {
        if (line === '.') {
          inData = false;
          const raw = Buffer.from(data.join('\r\n'), 'latin1').toString('utf8');
          sink.messages.push({ from, to, data: raw, ...parseMessage(raw) });
          from = '';
          to = [];
          say('250 2.0.0 queued');
        } else data.push(line.startsWith('..') ? line.slice(1) : line);
        continue;
      }
      sink.transcript.push(line);
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'EHLO') socket.write('250-keyway-test-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n');
      else if (verb === 'HELO') say('250 keyway-test-sink');
      else if (verb === 'MAIL') { from = /<([^>]*)>/.exec(line)?.[1] ?? ''; say('250 2.1.0 ok'); }
      else if (verb === 'RCPT') { to.push(/<([^>]*)>/.exec(line)?.[1] ?? ''); say('250 2.1.5 ok'); }
      else if (verb === 'DATA') {
        if (to.length === 0) { say('554 5.5.1 no valid recipients'); continue; }
        inData = true;
        data = [];
        say('354 end with <CRLF>.<CRLF>');
      } else if (verb === 'RSET') { from = ''; to = []; say('250 2.0.0 ok'); }
      else if (verb === 'NOOP') say('250 2.0.0 ok');
      else if (verb === 'QUIT') { say('221 2.0.0 bye'); socket.end(); }
      else say('502 5.5.2 command not implemented');
    }
  });
  socket.on('error', () => undefined);
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const sockets = new Set<Socket>();
  const sink: SmtpSink = { port: 0, messages: [], transcript: [], close: () => Promise.resolve() };
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    session(s, sink);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.port = (server.address() as { port: number }).port;
  sink.close = () => new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  return sink;
}
