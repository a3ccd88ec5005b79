/**
 * A relay set's address lists on the tools side (docs/provisioning.md#a-relay-set): the lock's MQTT
 * address list is checked before anything is sent, and the relay client tries the next HTTP base
 * URL only when a request could not be delivered (or was a read), never re-sending a write that
 * may have run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { MAX_BROKERS } from '@keyway/firmware';
import { brokerList, splitUrls } from '../../tools/src/provision/broker-list';
import { parseRelayBases, relayRequest } from '../../tools/src/provision/relay-client';
import { CliError } from '../../tools/src/cli-error';

const servers: Array<net.Server> = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    (s as http.Server).closeAllConnections?.();
    await new Promise((r) => s.close(r));
  }
});

async function listen(s: net.Server): Promise<string> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return 'http://127.0.0.1:' + (s.address() as net.AddressInfo).port;
}

/** A port nobody listens on (bound, then closed). */
async function deadBase(): Promise<string> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return 'http://127.0.0.1:' + port;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof CliError ? e.code : 'not a CliError: ' + String(e);
  }
  return 'no error';
}

describe('the lock\'s MQTT address list from URLs', () => {
  it('keeps the order, fills default ports, and takes one TLS flag', () => {
    const l = brokerList(splitUrls('mqtt://10.0.0.1:1884, mqtt://relay-b.example ,mqtt://[fd00::3]:1885'));
    expect(l.tls).toBe(false);
    expect(l.brokers.map((b) => new TextDecoder().decode(b.host) + ':' + b.port)).toEqual(['10.0.0.1:1884', 'relay-b.example:1883', 'fd00::3:1885']);
    expect(brokerList(['mqtts://a.example']).brokers[0].port).toBe(8883);
    expect(brokerList(['mqtts://a.example']).tls).toBe(true);
  });

  it('refuses what the lock would not hold, with KW_USAGE', () => {
    expect(code(() => brokerList([]))).toBe('KW_USAGE');
    expect(code(() => brokerList(['mqtt://a', 'mqtts://b']))).toBe('KW_USAGE');
    expect(code(() => brokerList(['http://a']))).toBe('KW_USAGE');
    expect(code(() => brokerList(['not a url']))).toBe('KW_USAGE');
    expect(code(() => brokerList(['mqtt://' + 'h'.repeat(65)]))).toBe('KW_USAGE');
    expect(code(() => brokerList(Array.from({ length: MAX_BROKERS + 1 }, (_, i) => 'mqtt://10.0.0.' + i)))).toBe('KW_USAGE');
    expect(code(() => parseRelayBases('http://a, ftp://b'))).toBe('KW_USAGE');
    expect(code(() => parseRelayBases(' , '))).toBe('KW_USAGE');
  });
});

describe('the relay client with a list of base URLs', () => {
  it('moves past a relay that refuses connections, to the first that answers', async () => {
    const seen: string[] = [];
    const live = await listen(http.createServer((req, res) => {
      seen.push(req.method + ' ' + req.url);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true }));
    }));
    const dead = await deadBase();
    expect(await relayRequest<{ ok: boolean }>([dead, live], 't', 'POST', '/v1/x', { a: 1 })).toEqual({ ok: true });
    expect(seen).toEqual(['POST /v1/x']);
  });

  it('an answer ends it, even an error: a refusal is never retried elsewhere', async () => {
    const hits: string[] = [];
    const mk = (name: string, status: number) => http.createServer((_req, res) => {
      hits.push(name);
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error: { code: 'NOPE', message: name } }));
    });
    const a = await listen(mk('a', 409));
    const b = await listen(mk('b', 200));
    await expect(relayRequest([a, b], 't', 'POST', '/v1/x', {})).rejects.toMatchObject({ code: 'KW_RELAY' });
    expect(hits).toEqual(['a']);
  });

  it('a write whose connection breaks after it was sent is reported, not sent to the next relay', async () => {
    const hits: string[] = [];
    const breaking = await listen(net.createServer((sock) => {
      sock.once('data', () => {
        hits.push('breaking');
        sock.destroy();
      });
    }));
    const b = await listen(http.createServer((_req, res) => {
      hits.push('b');
      res.end('{}');
    }));
    await expect(relayRequest([breaking, b], 't', 'POST', '/v1/x', {})).rejects.toMatchObject({ code: 'KW_RELAY_UNREACHABLE' });
    expect(hits).toEqual(['breaking']);
    // A read changes nothing: it may go on.
    expect(await relayRequest([breaking, b], 't', 'GET', '/v1/x')).toEqual({});
    expect(hits).toEqual(['breaking', 'breaking', 'b']);
  });

  it('every relay down: one error naming each address', async () => {
    const d1 = await deadBase();
    const d2 = await deadBase();
    const err = await relayRequest([d1, d2], 't', 'GET', '/v1/me').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).code).toBe('KW_RELAY_UNREACHABLE');
    expect((err as CliError).message).toContain(d1);
    expect((err as CliError).message).toContain(d2);
    expect((err as CliError).message).toContain('ECONNREFUSED');
  });
});
