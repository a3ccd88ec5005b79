/**
 * The broker's per-device credentials and ACLs (docs/protocol.md §9), probed by foreign
 * clients: Mosquitto's command-line clients and MQTT.js. Lock A is a connected scripted
 * lock; the probes use lock B's valid credentials (or wrong ones) and must never reach A.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedLock } from '../support/scripted-lock';
import { countRows, addLock, seedWorld, startRelay, waitUntil, type Harness, type World } from '../support/relay-harness';

function run(cmd: string, args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 8000 }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stderr: stderr.trim(), stdout: stdout.trim() }));
  });
}

describe('MQTT broker ACLs', () => {
  let h: Harness;
  let w: World;
  let b: { deviceId: string; password: string };
  let port: string;
  const base = () => ['-h', '127.0.0.1', '-p', port];
  const asB = () => ['-i', b.deviceId, '-u', b.deviceId, '-P', b.password];

  beforeAll(async () => {
    h = await startRelay({ tls: true, mqtt: { connectTimeoutMs: 400, maxPacketSize: 2048, keepaliveLimitS: 120 } });
    w = await seedWorld(h);
    const lb = await addLock(h, w.installer, w.site.id, 'door', {}, false);
    b = { deviceId: lb.deviceId, password: lb.registration.mqtt.password };
    port = new URL(w.registration.mqtt.urls.tcp).port;
  });
  afterAll(async () => {
    await w.lock.close();
    await h.close();
  });

  const eventsOf = (id: string) => countRows(h, 'events', { device_id: id });

  it('refuses a wrong password and a client id that is not the username (mosquitto_sub)', async () => {
    const wrong = await run('mosquitto_sub', [...base(), '-i', b.deviceId, '-u', b.deviceId, '-P', 'not-the-password', '-t', `kw/${b.deviceId}/cmd`, '-C', '1', '-W', '2']);
    expect(wrong.stderr).toMatch(/bad user name or password/);
    const unknown = await run('mosquitto_sub', [...base(), '-i', 'ffffffffffffffff', '-u', 'ffffffffffffffff', '-P', b.password, '-t', 'kw/ffffffffffffffff/cmd', '-C', '1', '-W', '2']);
    expect(unknown.stderr).toMatch(/bad user name or password/);
    const otherId = await run('mosquitto_sub', [...base(), '-i', 'probe', '-u', b.deviceId, '-P', b.password, '-t', `kw/${b.deviceId}/cmd`, '-C', '1', '-W', '2']);
    expect(otherId.stderr).toMatch(/identifier rejected/);
    const stolenId = await run('mosquitto_sub', [...base(), '-i', w.deviceId, '-u', b.deviceId, '-P', b.password, '-t', `kw/${w.deviceId}/cmd`, '-C', '1', '-W', '2']);
    expect(stolenId.stderr).toMatch(/identifier rejected/);
    expect(w.lock.online).toBe(true);
  });

  it('denies wildcard, foreign and $SYS subscriptions (mosquitto_sub)', async () => {
    for (const topic of ['kw/#', 'kw/+/cmd', '#', '$SYS/#', `kw/${w.deviceId}/cmd`, `kw/${b.deviceId}/evt`, `kw/${b.deviceId}/+`]) {
      const r = await run('mosquitto_sub', [...base(), ...asB(), '-t', topic, '-C', '1', '-W', '2']);
      expect(r.stderr, topic).toMatch(/subscription requests were denied/);
    }
    const own = await run('mosquitto_sub', [...base(), ...asB(), '-t', `kw/${b.deviceId}/cmd`, '-C', '1', '-W', '1']);
    expect(own.stderr).toMatch(/Timed out/);
  });

  it('drops a lock that publishes to another lock, to a command topic, or retains an event (mosquitto_pub)', async () => {
    const before = await eventsOf(w.deviceId);
    const commandsBefore = w.lock.commands.length + w.lock.reveals.length;
    for (const [topic, retain] of [[`kw/${w.deviceId}/evt`, false], [`kw/${w.deviceId}/state`, false], [`kw/${w.deviceId}/cmd`, false], [`kw/${b.deviceId}/cmd`, true], [`kw/${b.deviceId}/evt`, true], ['$SYS/x', false]] as const) {
      const r = await run('mosquitto_pub', [...base(), ...asB(), '-t', topic, '-m', 'forged', '-q', '1', ...(retain ? ['-r'] : [])]);
      expect(r.stderr, topic).toMatch(/connection was lost/);
    }
    const ok = await run('mosquitto_pub', [...base(), ...asB(), '-t', `kw/${b.deviceId}/evt`, '-m', 'not an event', '-q', '1']);
    expect(ok.code).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(await eventsOf(w.deviceId)).toBe(before);
    expect(w.lock.commands.length + w.lock.reveals.length).toBe(commandsBefore);
    expect(h.logs.some((l) => l.includes('malformed lock event dropped') && l.includes(b.deviceId))).toBe(true);
  });

  it('refuses a will on anything but the own state topic', async () => {
    const r = await run('mosquitto_sub', [...base(), ...asB(), '-t', `kw/${b.deviceId}/cmd`, '--will-topic', `kw/${w.deviceId}/state`, '--will-payload', 'x', '-C', '1', '-W', '2']);
    expect(r.stderr).toMatch(/not authori[sz]ed/);
    const r2 = await run('mosquitto_sub', [...base(), ...asB(), '-t', `kw/${b.deviceId}/cmd`, '--will-topic', `kw/${b.deviceId}/cmd`, '--will-payload', 'x', '--will-retain', '-C', '1', '-W', '2']);
    expect(r2.stderr).toMatch(/not authori[sz]ed/);
  });

  it('MQTT.js: negative SUBACK for kw/+/cmd, disconnect on a foreign publish, own command topic works', async () => {
    const c = await connectAsync(w.registration.mqtt.urls.tcp, { clientId: b.deviceId, username: b.deviceId, password: b.password, reconnectPeriod: 0 });
    await expect(c.subscribeAsync('kw/+/cmd', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    const granted = await c.subscribeAsync(`kw/${b.deviceId}/cmd`, { qos: 2 });
    expect(granted[0].qos).not.toBe(128);
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish(`kw/${w.deviceId}/evt`, Buffer.from('x'), { qos: 1 });
    await closed;
    await c.endAsync(true);
  });

  it('closes connections that exceed the packet size, stay silent, or ask for a long keep-alive', async () => {
    const c = await connectAsync(w.registration.mqtt.urls.tcp, { clientId: b.deviceId, username: b.deviceId, password: b.password, reconnectPeriod: 0 });
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish(`kw/${b.deviceId}/evt`, Buffer.alloc(4096, 1), { qos: 0 });
    await closed;
    await c.endAsync(true);
    expect(h.logs.some((l) => l.includes('mqtt packet too large'))).toBe(true);

    const sock = net.connect(Number(port), '127.0.0.1');
    const t0 = Date.now();
    await new Promise((r) => sock.once('close', r));
    expect(Date.now() - t0).toBeLessThan(3000);

    await expect(connectAsync(w.registration.mqtt.urls.tcp, { clientId: b.deviceId, username: b.deviceId, password: b.password, reconnectPeriod: 0, keepalive: 600, connectTimeout: 2000 }))
      .rejects.toThrow();
  });

  it('serves MQTT over WebSocket (/mqtt) and TLS with the generated certificate', async () => {
    const lb = await addLock(h, w.installer, w.site.id, 'door', {}, false);
    const ws = new ScriptedLock({ url: lb.registration.mqtt.urls.ws, deviceId: lb.deviceId, password: lb.registration.mqtt.password, trustedKeys: lb.registration.trustedKeys, now: () => h.clock.now() });
    await ws.connect();
    await waitUntil(() => ws.timeTrusted, 5000, 'TIME_SET over WebSocket');
    await ws.close();
    expect(lb.registration.mqtt.urls.tls).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(path.join(h.dir, 'tls', 'cert.pem'));
    const tls = new ScriptedLock({ url: lb.registration.mqtt.urls.tls, deviceId: lb.deviceId, password: lb.registration.mqtt.password, trustedKeys: lb.registration.trustedKeys, now: () => h.clock.now(), mqtt: { ca } });
    await tls.connect();
    await waitUntil(async () => (await h.api('GET', '/v1/devices/' + lb.deviceId, { token: w.owner.token })).body.online, 3000, 'online over TLS');
    await tls.close();
    await expect(connectAsync(lb.registration.mqtt.urls.tls, { clientId: lb.deviceId, username: lb.deviceId, password: lb.registration.mqtt.password, reconnectPeriod: 0, connectTimeout: 2000 }))
      .rejects.toThrow(/self.signed|certificate/i);
  });

  it('tracks online/offline: graceful disconnect, lost connection (last will), re-registration rotates the password (old one valid until the new one is used)', async () => {
    const l = await addLock(h, w.installer, w.site.id);
    const view = async () => (await h.api('GET', '/v1/devices/' + l.deviceId, { token: w.owner.token })).body;
    expect((await view()).online).toBe(true);
    await l.lock.drop();
    const lost = await waitUntil(async () => { const v = await view(); return v.online ? null : v; }, 3000, 'offline after drop');
    expect(lost.offlineReason).toBe('connection lost');
    await l.lock.connect();
    await waitUntil(async () => (await view()).online, 3000, 'online again');
    await l.lock.disconnect();
    const gone = await waitUntil(async () => { const v = await view(); return v.online ? null : v; }, 3000, 'offline after disconnect');
    expect(gone.offlineReason).toBe('disconnected');
    // Re-registration needs proof from the lock (install mode) or the owner: here, the owner's approval.
    expect((await h.api('POST', '/v1/devices/' + l.deviceId + '/reregistration', { token: w.owner.token, body: {} })).status).toBe(200);
    const again = await h.api('POST', '/v1/devices', { token: w.installer, body: { deviceId: l.deviceId, siteId: w.site.id, board: 'test-board', firmware: '0.1.1' } });
    expect(again.status).toBe(201);
    expect(again.body.mqtt.password).not.toBe(l.registration.mqtt.password);
    // Until the lock has used its new password, the previous one still works: a re-provisioning
    // cut short leaves the lock on its previous configuration, which must stay reachable.
    await l.lock.connect();
    await l.lock.disconnect();
    await l.lock.connect(again.body.mqtt.password);
    await l.lock.disconnect();
    // The new password was used: the previous one is retired.
    await expect(l.lock.connect(l.registration.mqtt.password)).rejects.toThrow();
    expect((await h.api('POST', '/v1/devices/' + l.deviceId + '/reregistration', { token: w.owner.token, body: {} })).status).toBe(200);
    const third = await h.api('POST', '/v1/devices', { token: w.installer, body: { deviceId: l.deviceId, siteId: w.site.id, board: 'test-board', firmware: '0.1.1' } });
    await expect(l.lock.connect(l.registration.mqtt.password)).rejects.toThrow(); // two registrations back: never valid again
    await l.lock.connect(third.body.mqtt.password);
    await l.lock.close();
  });

  it('an installer token alone never takes over a registered lock: refused, the lock stays online, the owner is told; install mode on the lock is proof', async () => {
    const l = await addLock(h, w.installer, w.site.id);
    const view = async () => (await h.api('GET', '/v1/devices/' + l.deviceId, { token: w.owner.token })).body;
    const body = { deviceId: l.deviceId, siteId: w.site.id, board: 'test-board', firmware: '0.1.1' };
    const stolen = await h.api('POST', '/v1/devices', { token: w.installer, body });
    expect(stolen.status).toBe(409);
    expect(stolen.body.error.code).toBe('KW_REREGISTER_NEEDS_PROOF');
    expect(stolen.body.mqtt).toBeUndefined();
    // Nothing changed for the real lock: still online, and its own password still works.
    await new Promise((r) => setTimeout(r, 300));
    expect((await view()).online).toBe(true);
    await l.lock.disconnect();
    await l.lock.connect();
    // The broker accepted the old password; the relay records the connection just after the CONNACK.
    await waitUntil(async () => (await view()).online, 3000, 'lock back online with its own password');
    const feed = (await h.api('GET', `/v1/sites/${w.site.id}/activity?kind=device.*`, { token: w.owner.token })).body.items as Array<{ kind: string; deviceId: string }>;
    expect(feed.some((a) => a.kind === 'device.reregister_refused' && a.deviceId === l.deviceId)).toBe(true);
    const notes = (await h.api('GET', '/v1/notifications', { token: w.owner.token })).body.items as Array<{ kind: string }>;
    expect(notes.some((n) => n.kind === 'device.reregister_refused')).toBe(true);
    // Someone holds the inside button: the lock reports install mode, which is the proof.
    l.lock.installMode = true;
    await l.lock.publishStatus();
    await waitUntil(async () => (await view()).status.flags.installMode, 3000, 'install mode seen');
    const proven = await h.api('POST', '/v1/devices', { token: w.installer, body });
    expect(proven.status, JSON.stringify(proven.body)).toBe(201);
    await l.lock.close();
  });
});
