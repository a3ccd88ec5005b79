import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_STEP_LINES, StepTrace, type StepLine } from '../../relay/src/locks/intake-trace';
import { bookDelivery, expectOk, seedWorld, startRelay, waitUntil, type Harness, type World } from '../support/relay-harness';

/** The relay's timing trace (bench/relay.mts --entry-trace; docs/benchmarks.md). */
describe('step trace', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-steps-'));
  const file = path.join(dir, 'steps.jsonl');
  let h: Harness;
  let w: World;
  beforeAll(async () => {
    h = await startRelay({ stepTraceFile: file });
    w = await seedWorld(h);
  });
  afterAll(async () => {
    await w?.lock.close();
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a courier entry\'s steps in memory, logs none of them, and writes them to its file when the relay closes', async () => {
    const d = await bookDelivery(h, w);
    const from = h.logs.length;
    const before = h.relay.ctx.steps!.lines().length;
    const opened = await expectOk(h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'steps-' + d.id } }));
    // The OPERATION's PUBACK is released at the end of the relay's turn, after the answer went out.
    const ackOf = (l: StepLine) => l.msg === 'lock event acknowledged' && l.eventSeq === opened.eventSeq;
    await waitUntil(() => h.relay.ctx.steps!.lines().some(ackOf), 2000, 'the OPERATION acknowledged');
    const lines = h.relay.ctx.steps!.lines().slice(before);
    const entry = lines.filter((l) => l.msg === 'entry step' && l.deliveryId === d.id).map((l) => l.step);
    expect(entry).toEqual(['received', 'recorded', 'publishing', 'answered', 'stored']);
    // Node parsed the request's head before the handler took it.
    const parsed = lines.find((l) => l.msg === 'http request parsed')!;
    const received = lines.find((l) => l.step === 'received')!;
    expect(parsed.at).toBeLessThanOrEqual(received.at);
    // The answer was handed to the socket after the entry stored it, and before the PUBACK of the
    // OPERATION that answered it (broker.ts releases PUBACKs after the loop's turn).
    const stored = lines.find((l) => l.step === 'stored')!;
    const answered = lines.find((l) => l.msg === 'http response written' && l.at >= stored.at)!;
    const acked = lines.find(ackOf)!;
    expect(answered.at).toBeLessThanOrEqual(acked.at);
    // The lock's OPERATION: handed over, stored in a batch, acknowledged.
    expect(lines.some((l) => l.msg === 'lock message handed over' && l.deviceId === w.deviceId && l.kind === 'event')).toBe(true);
    expect(lines.some((l) => l.msg === 'lock messages committed' && l.deviceId === w.deviceId)).toBe(true);
    expect(lines.some((l) => l.msg === 'lock event acknowledged' && l.deviceId === w.deviceId)).toBe(true);
    expect(h.logs.slice(from).filter((l) => l.includes('"at":'))).toEqual([]);

    await h.relay.close();
    const written = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as StepLine);
    expect(written.length).toBeGreaterThanOrEqual(before + lines.length);
    expect(written.filter((l) => l.msg === 'entry step' && l.deliveryId === d.id).map((l) => l.step)).toEqual(entry);
    for (const l of written) expect(typeof l.at).toBe('number');
  });

  it('closes a relay whose trace file cannot be written, and says so in its log', async () => {
    const other = await startRelay({ stepTraceFile: path.join(dir, 'no-such-directory', 'steps.jsonl') });
    await expect(other.relay.close()).resolves.toBeUndefined();
    expect(other.logs.some((l) => l.includes('step trace not written'))).toBe(true);
    await other.close();
  });

  it('keeps at most its limit of lines (MAX_STEP_LINES by default) and says how many it dropped', () => {
    expect(MAX_STEP_LINES).toBeGreaterThan(0);
    const t = new StepTrace(3);
    for (let i = 0; i < 5; i++) t.mark('x', { i });
    expect(t.lines().map((l) => l.i)).toEqual([0, 1, 2]);
    const out = path.join(dir, 'full.jsonl');
    t.writeTo(out);
    const last = JSON.parse(readFileSync(out, 'utf8').trim().split('\n').at(-1)!) as StepLine;
    expect(last).toMatchObject({ msg: 'step trace lines dropped', dropped: 2 });
  });
});

describe('step trace: several relays in one process', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-steps-two-'));
  let a: Harness;
  let b: Harness;
  beforeAll(async () => {
    a = await startRelay({ stepTraceFile: path.join(dir, 'a.jsonl') });
    b = await startRelay({ stepTraceFile: path.join(dir, 'b.jsonl') });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('traces only the HTTP requests of its own server', async () => {
    const http = (h: Harness) => h.relay.ctx.steps!.lines().filter((l) => l.msg.startsWith('http ')).length;
    const [fromA, fromB] = [http(a), http(b)];
    await expectOk(a.api('GET', '/healthz'));
    await waitUntil(() => http(a) >= fromA + 2, 2000, 'relay a traced its request');
    // Node's diagnostics channels are the process's: relay b must not count relay a's request.
    expect(http(b)).toBe(fromB);
  });
});
