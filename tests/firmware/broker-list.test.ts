/**
 * The lock's relay address list (docs/firmware.md#relay-address-list): the MQTT client dials the
 * addresses in order and moves to the next one after a refused attempt, an attempt with no CONNACK
 * within the connect timeout, or a dropped connection, always after the usual back-off, never
 * faster. The same scenarios run in Node and, bundled to ES5, in Duktape (and Espruino when
 * ESPRUINO is set): the traces must be identical.
 */
import { describe, expect, it } from 'vitest';
import { MQTT_BACKOFF_MAX_MS, MQTT_CONNECT_TIMEOUT_MS } from '@keyway/firmware';
import { bundleEs5 } from '../../tools/src/firmware/es5-bundle';
import { availableEngines } from '../support/engines';
import { runBrokerScenario, type BrokerScenario } from './broker-list.scenario';

/** The firmware's back-off floor (connectivity.ts): the first retry waits [500, 1000) ms. */
const BACKOFF_MIN_MS = 1000;
/** The scenario's simulated network: a refusal or a CONNACK arrives this long after the dial. */
const LINK_MS = 5;
const MINUTE_MS = 60_000;

const lockRules = { backoffMinMs: BACKOFF_MIN_MS, backoffMaxMs: MQTT_BACKOFF_MAX_MS, connectTimeoutMs: MQTT_CONNECT_TIMEOUT_MS };

const SCENARIOS: Record<string, BrokerScenario> = {
  refusedThenSilentThenUp: { behaviours: ['refuse', 'silent', 'ok'], runMs: 2 * MINUTE_MS, ...lockRules },
  dropMovesOn: { behaviours: ['die:5000', 'ok'], runMs: 2 * MINUTE_MS, ...lockRules },
  wrapsAround: { behaviours: ['die:5000', 'die:20000'], runMs: 5 * MINUTE_MS, ...lockRules },
  allDown: { behaviours: ['refuse', 'refuse', 'refuse'], runMs: 30 * MINUTE_MS, ...lockRules },
  singleAddress: { behaviours: ['die:5000'], runMs: MINUTE_MS, ...lockRules }
};

interface Step {
  t: number;
  what: string;
}

/** The trace up to the end of the run (stopping the client afterwards is not part of it). */
function steps(trace: string[]): Step[] {
  return trace.slice(0, trace.findIndex((l) => l.endsWith(' end'))).map((l) => {
    const sp = l.indexOf(' ');
    return { t: Number(l.slice(0, sp)), what: l.slice(sp + 1) };
  });
}

const dials = (s: Step[]) => s.filter((x) => x.what.startsWith('dial '));
const host = (s: Step) => s.what.split(' ')[1].split(':')[0];

/** The wait before attempt n (0-based since the last success), as connectivity.ts sets it: [base/2, base). */
function backoffBounds(n: number): [number, number] {
  const base = Math.min(MQTT_BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, n));
  return [base / 2, base];
}

function expectGap(from: number, to: number, lo: number, hi: number): void {
  expect(to - from).toBeGreaterThanOrEqual(lo);
  expect(to - from).toBeLessThan(hi);
}

describe('relay address list: the lock MQTT client moves on after a failure', () => {
  it('a refused address, then one that never answers, then one that does: tried in order, each after its back-off', () => {
    const s = steps(runBrokerScenario(SCENARIOS.refusedThenSilentThenUp));
    const d = dials(s);
    expect(d.map(host)).toEqual(['relay-a', 'relay-b', 'relay-c']);
    // Refused after one link delay, then the first back-off.
    expectGap(d[0].t, d[1].t, LINK_MS + backoffBounds(0)[0], LINK_MS + backoffBounds(0)[1]);
    // No CONNACK: the attempt is abandoned after the connect timeout, then the second back-off.
    expectGap(d[1].t, d[2].t, MQTT_CONNECT_TIMEOUT_MS + backoffBounds(1)[0], MQTT_CONNECT_TIMEOUT_MS + backoffBounds(1)[1]);
    expect(s.filter((x) => x.what.startsWith('online')).map((x) => x.what)).toEqual(['online relay-c']);
    expect(s.some((x) => x.what.startsWith('error'))).toBe(false);
  });

  it('a dropped connection moves to the next address and stays there while it serves', () => {
    const s = steps(runBrokerScenario(SCENARIOS.dropMovesOn));
    expect(s.map((x) => x.what)).toEqual(['dial relay-a:1', 'online relay-a', 'offline', 'dial relay-b:2', 'online relay-b']);
    const off = s[2];
    expect(off.t).toBe(5000);
    expectGap(off.t, s[3].t, backoffBounds(0)[0], backoffBounds(0)[1]);
  });

  it('wraps around the list, and the back-off keeps growing across addresses', () => {
    const s = steps(runBrokerScenario(SCENARIOS.wrapsAround));
    const online = s.filter((x) => x.what.startsWith('online')).map((x) => x.what);
    expect(online).toEqual(['online relay-a', 'online relay-b']);
    const lastDrop = s.filter((x) => x.what === 'offline')[1].t;
    expect(lastDrop).toBe(20_000);
    const after = dials(s).filter((x) => x.t > lastDrop);
    // Both dead now: a, b, a, b … each one attempt after the other, never back-to-back.
    after.forEach((x, i) => expect(host(x)).toBe(i % 2 === 0 ? 'relay-a' : 'relay-b'));
    let prev = lastDrop;
    after.forEach((x, i) => {
      const [lo, hi] = backoffBounds(i);
      // Each earlier attempt was refused one link delay after its dial.
      expectGap(prev, x.t, lo + (i === 0 ? 0 : LINK_MS), hi + (i === 0 ? 0 : LINK_MS));
      prev = x.t;
    });
    expect(after.length).toBeGreaterThan(4);
  });

  it('with every relay down it cycles the list at the back-off\'s pace, at most one attempt per 30–60 s in the long run', () => {
    const s = steps(runBrokerScenario(SCENARIOS.allDown));
    const d = dials(s);
    d.forEach((x, i) => expect(host(x)).toBe(['relay-a', 'relay-b', 'relay-c'][i % 3]));
    for (let i = 1; i < d.length; i++) {
      const [lo, hi] = backoffBounds(i - 1);
      expectGap(d[i - 1].t, d[i].t, lo + LINK_MS, hi + LINK_MS);
    }
    // 30 minutes: 7 growing waits (~63 s in all) then one per [30, 60) s.
    expect(d.length).toBeLessThanOrEqual(7 + Math.ceil((30 * MINUTE_MS) / (MQTT_BACKOFF_MAX_MS / 2)));
    expect(s.some((x) => x.what.startsWith('online'))).toBe(false);
  });

  it('a list of one (a configuration from before the list) keeps dialling its one address', () => {
    const d = dials(steps(runBrokerScenario(SCENARIOS.singleAddress)));
    expect(d.length).toBeGreaterThan(3);
    expect(new Set(d.map(host))).toEqual(new Set(['relay-a']));
  });

  it('the bundled firmware client gives the same traces in a non-Node engine', async () => {
    const list = Object.values(SCENARIOS);
    const want: string[] = [];
    list.forEach((sc, i) => runBrokerScenario(sc).forEach((l) => want.push('S' + i + ' ' + l)));
    want.push('DONE');
    const bundle = await bundleEs5({ entry: 'tests/firmware/broker-list.entry.ts', banner: 'var KW_SCENARIOS = ' + JSON.stringify(list) + ';' });
    for (const engine of availableEngines()) {
      const run = await engine.run(bundle.code, 120_000);
      expect(run.lines, engine.name + ': ' + run.stderr).toEqual(want);
    }
  }, 180_000);
});
