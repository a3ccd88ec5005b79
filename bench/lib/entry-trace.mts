/**
 * The courier entry's critical path (`bench/relay.mts --entry-trace`, docs/benchmarks.md): joins
 * three records of the same entries on one wall clock (performance.timeOrigin + now(), shared by
 * the processes of one machine): the bench's HTTP request and answer, the lock's trace
 * (lock-fleet.mts `trace`: reveal received, each event logged, written as a PUBLISH, seen
 * acknowledged, each status written) and the relay's step trace (relay/src/locks/intake-trace.ts,
 * the file the relay writes when it closes: each HTTP request's head parsed, each lock message
 * handed over by the broker, batch started and committed, PUBACK released; and the courier
 * entry's own steps, relay/src/domain/entry.ts traceEntryStep).
 * Prints, per event of the entry up to OPERATION, the median and p90 of each step.
 */
import { readFileSync } from 'node:fs';
import { EV_ACK, EV_ALARM, EV_CAMERA, EV_DENIAL, EV_OPERATION, EV_STATE } from '@keyway/shared';
import { fmt, summarize, table } from './report.mjs';

export interface TracedEvent {
  seq: number;
  type: number;
  logged: number;
  published: number;
  acked: number;
}

export interface TracedEntry {
  deviceId: string;
  received: number;
  others: number[];
  events: TracedEvent[];
  statuses: number[];
}

/** One entry's HTTP request as the bench sent it and got its answer, wall-clock ms. */
export interface EntrySpan {
  start: number;
  end: number;
}

interface RelayLine {
  msg: string;
  deviceId: string;
  kind?: string;
  eventSeq?: number;
  messages?: string[];
  together?: boolean;
  startedAt?: number;
  takenAt?: number;
  storedAt?: number;
  step?: string;
  at: number;
}

const TYPE_NAMES: Record<number, string> = { [EV_STATE]: 'STATE', [EV_OPERATION]: 'OPERATION', [EV_CAMERA]: 'CAMERA', [EV_ACK]: 'ACK', [EV_ALARM]: 'ALARM', [EV_DENIAL]: 'DENIAL' };

/** The relay's step trace lines from the file it wrote (JSON lines; other lines are skipped). */
export function readRelayTrace(file: string): RelayLine[] {
  const out: RelayLine[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{') || !line.includes('"at":')) continue;
    try {
      const v = JSON.parse(line) as RelayLine;
      if (typeof v.at === 'number') out.push(v);
    } catch {
      // not a log line
    }
  }
  return out;
}

interface Step {
  name: string;
  values: number[];
}

/**
 * Adds the time from each mark to the next to its step. A mark the relay did not log (steps done
 * in one: the key claimed, checks and the request recorded in one transaction; the answer built
 * and stored with the OPERATION) adds nothing; the next step then spans from the last mark logged.
 */
function spanMarks(steps: Step[], marks: number[]): void {
  let from = marks[0];
  for (let i = 0; i < steps.length; i++) {
    const x = marks[i + 1] - from;
    if (Number.isFinite(x)) steps[i].values.push(x);
    if (Number.isFinite(marks[i + 1])) from = marks[i + 1];
  }
}

/** Prints the breakdown; returns the number of entries joined. */
export function printEntryTrace(lockEntries: TracedEntry[], spans: EntrySpan[], relay: RelayLine[]): number {
  const handed = new Map<string, number>();
  const acked = new Map<string, number>();
  const batchOf = new Map<string, { startedAt: number; takenAt: number; storedAt: number; at: number; size: number; statuses: number }>();
  const statusHanded: number[] = [];
  for (const l of relay) {
    const key = l.deviceId + ':' + l.eventSeq;
    if (l.msg === 'lock message handed over') {
      if (l.kind === 'event' && !handed.has(key)) handed.set(key, l.at);
      if (l.kind === 'state') statusHanded.push(l.at);
    } else if (l.msg === 'lock event acknowledged' && !acked.has(key)) acked.set(key, l.at);
    else if (l.msg === 'lock messages committed' && l.messages) {
      const statuses = l.messages.filter((m) => m === 's').length;
      for (const m of l.messages) {
        if (m !== 's' && !batchOf.has(l.deviceId + ':' + m.slice(1))) batchOf.set(l.deviceId + ':' + m.slice(1), {
          startedAt: l.startedAt ?? l.at, takenAt: l.takenAt ?? NaN, storedAt: l.storedAt ?? NaN, at: l.at, size: l.messages.length, statuses
        });
      }
    }
  }
  const entryMarks = relay.filter((l) => l.msg === 'entry step');
  const relaySteps: Step[] = ['request → its head parsed (the way in, Node\'s HTTP parser)', 'parsed → handler (Fastify: routing, auth, validation)', 'handler → key claimed (committed)', 'claimed → checks done (reads)', 'checks → request recorded (committed; from the handler if in one transaction)',
    'recorded → reveal handed to the broker', 'handed to the broker → reveal at the lock'].map((name) => ({ name, values: [] }));
  const answerSteps: Step[] = ['OPERATION committed → lock\'s answer in the handler', 'answer in the handler → answer built (reads)', 'built → answer stored with its key (committed; kept with the OPERATION: not logged)',
    'stored → response written (Fastify: serialization, hooks)', 'written → HTTP answer (the way back, the bench\'s HTTP parser)'].map((name) => ({ name, values: [] }));
  const byPosition: Array<{ types: Map<string, number>; steps: Step[]; sizes: number[]; before: number[] }> = [];
  const entrySteps: Step[] = ['request → reveal at the lock', 'reveal → OPERATION logged', 'OPERATION logged → its batch committed', 'committed → HTTP answer', 'request → HTTP answer']
    .map((name) => ({ name, values: [] }));
  const counts = { statuses: [] as number[], statusesAtRelay: [] as number[], others: [] as number[], batches: [] as number[], waitedForAck: 0, events: 0 };
  let joined = 0;
  for (const e of lockEntries) {
    const span = spans.find((s) => s.start <= e.received && e.received <= s.end);
    const opAt = e.events.findIndex((x) => x.type === EV_OPERATION);
    if (!span || opAt < 0) continue;
    joined++;
    const events = e.events.slice(0, opAt + 1);
    const batches = new Set<number>();
    events.forEach((ev, k) => {
      const key = e.deviceId + ':' + ev.seq;
      const h = handed.get(key) ?? NaN;
      const b = batchOf.get(key);
      const a = acked.get(key) ?? NaN;
      if (b) batches.add(b.at);
      const p = (byPosition[k] ??= {
        types: new Map(), sizes: [], before: [],
        steps: ['logged (from reveal received)', 'logged → PUBLISH written', 'PUBLISH written → handed to the relay', 'handed over → its batch starts',
          'batch starts → committed', '(of which: waits for the store)', '(storing)', '(stored → committed)', 'committed → PUBACK released',
          'PUBACK released → the lock sees it acknowledged'].map((name) => ({ name, values: [] }))
      });
      const name = TYPE_NAMES[ev.type] ?? String(ev.type);
      p.types.set(name, (p.types.get(name) ?? 0) + 1);
      const v = [ev.logged - e.received, ev.published - ev.logged, h - ev.published, (b?.startedAt ?? NaN) - h, b ? b.at - b.startedAt : NaN,
        b ? b.takenAt - b.startedAt : NaN, b ? b.storedAt - b.takenAt : NaN, b ? b.at - b.storedAt : NaN, a - (b?.at ?? NaN), ev.acked - a];
      v.forEach((x, i) => {
        if (Number.isFinite(x)) p.steps[i].values.push(x);
      });
      if (b) p.sizes.push(b.size);
      // Logged before the previous event of the entry was acknowledged: the lock did not wait.
      if (k > 0) {
        counts.events++;
        if (events[k - 1].acked && events[k - 1].acked <= ev.logged) counts.waitedForAck++;
      }
    });
    const op = events[opAt];
    const opAcked = acked.get(e.deviceId + ':' + op.seq) ?? NaN;
    // The answer goes out once the OPERATION's batch has committed; its PUBACK after that turn of the relay's loop (broker.ts).
    const opCommitted = batchOf.get(e.deviceId + ':' + op.seq)?.at ?? NaN;
    [e.received - span.start, op.logged - e.received, opCommitted - op.logged, span.end - opCommitted, span.end - span.start].forEach((x, i) => {
      if (Number.isFinite(x)) entrySteps[i].values.push(x);
    });
    const mark = (step: string) => entryMarks.find((l) => l.step === step && l.at >= span.start && l.at <= span.end)?.at ?? NaN;
    const received = mark('received');
    const parsed = relay.find((l) => l.msg === 'http request parsed' && l.at >= span.start && l.at <= received)?.at ?? NaN;
    spanMarks(relaySteps, [span.start, parsed, received, mark('started'), mark('checked'), mark('recorded'), mark('publishing'), e.received]);
    const written = relay.find((l) => l.msg === 'http response written' && l.at >= mark('stored') && l.at <= span.end)?.at ?? NaN;
    spanMarks(answerSteps, [opCommitted, mark('answered'), mark('built'), mark('stored'), written, span.end]);
    counts.statuses.push(e.statuses.filter((t) => t <= op.logged).length);
    counts.statusesAtRelay.push(statusHanded.filter((t) => t >= span.start && t <= opAcked).length);
    counts.others.push(e.others.length);
    counts.batches.push(batches.size);
  }
  const cell = (values: number[]) => (values.length ? fmt(summarize(values).p50, 2) + ' / ' + fmt(summarize(values).p90, 2) : '—');
  table('Entry trace: the courier entry\'s critical path (--entry-trace; ' + joined + ' entries at 1 connected lock; ms, p50 / p90)',
    ['step', ...entrySteps.map((s) => s.name)], [['ms', ...entrySteps.map((s) => cell(s.values))]]);
  if (relaySteps.some((s) => s.values.length > 0)) {
    table('Entry trace: request → reveal at the lock, in the relay (relay/src/domain/entry.ts trace steps; ms, p50 / p90)',
      ['step', ...relaySteps.map((s) => s.name)], [['ms', ...relaySteps.map((s) => cell(s.values))]]);
  }
  if (answerSteps.some((s) => s.values.length > 0)) {
    table('Entry trace: the OPERATION committed → HTTP answer, in the relay (relay/src/domain/entry.ts trace steps; ms, p50 / p90)',
      ['step', ...answerSteps.map((s) => s.name)], [['ms', ...answerSteps.map((s) => cell(s.values))]]);
  }
  const header = ['event (position: types seen)', ...byPosition[0]?.steps.map((s) => s.name) ?? [], 'messages in its batch p50'];
  table('Entry trace: each event the lock logs up to OPERATION, in order (ms, p50 / p90)', header, byPosition.map((p, k) => [
    (k + 1) + ': ' + [...p.types.entries()].map(([t, n]) => t + ' ' + n).join(', '), ...p.steps.map((s) => cell(s.values)), p.sizes.length ? fmt(summarize(p.sizes).p50, 0) : '—'
  ]));
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0);
  console.log('per entry (mean): statuses the lock wrote before OPERATION ' + fmt(mean(counts.statuses), 2) + ', statuses handed to the relay before the OPERATION\'s PUBACK ' +
    fmt(mean(counts.statusesAtRelay), 2) + ', relay batches holding its events ' + fmt(mean(counts.batches), 2) + ', other command-topic messages to the lock during it ' + fmt(mean(counts.others), 2) +
    '; events logged only after the previous one was acknowledged: ' + counts.waitedForAck + ' of ' + counts.events);
  return joined;
}
