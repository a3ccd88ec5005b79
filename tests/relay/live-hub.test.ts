/** The live bus: a single relay process delivers to its own streams, several share the broker topic. */
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { LiveHub, liveBus, type LiveMessage } from '../../relay/src/live-hub';

const at = new Date('2026-12-05T03:30:00.000Z');

function world(shared: boolean) {
  const published: Buffer[] = [];
  let hub: LiveHub | null = null;
  hub = new LiveHub(liveBus(shared, () => hub, (p) => published.push(p)), shared);
  return { hub, published };
}

describe('live bus', () => {
  it('alone, hands a message to its own streams after the current step, as JSON would carry it', async () => {
    const { hub, published } = world(false);
    const got: Array<[string, unknown]> = [];
    hub.subscribe(['site:1'], (event, data) => got.push([event, data]), () => undefined);
    hub.emit(['site:1', 'site:2'], 'lock', { deviceId: 'aa', at, gone: undefined });
    expect(got).toEqual([]);
    await tick();
    expect(got).toEqual([['lock', { deviceId: 'aa', at: at.toISOString() }]]);
    expect(published).toEqual([]);
  });

  it('alone, with no stream on the topics, neither serializes nor delivers', async () => {
    const { hub, published } = world(false);
    hub.subscribe(['site:9'], () => undefined, () => undefined);
    const deliver = vi.spyOn(hub, 'deliver');
    const stringify = vi.spyOn(JSON, 'stringify');
    hub.emit(['site:1'], 'activity', { id: 1 });
    await tick();
    expect(deliver).not.toHaveBeenCalled();
    expect(stringify).not.toHaveBeenCalled();
    stringify.mockRestore();
    expect(published).toEqual([]);
  });

  it('shared, publishes every message for all processes and delivers nothing directly', async () => {
    const { hub, published } = world(true);
    const deliver = vi.spyOn(hub, 'deliver');
    hub.emit(['site:1'], 'activity', { id: 1 });
    await tick();
    expect(published.map((p) => JSON.parse(p.toString('utf8')) as LiveMessage)).toEqual([{ topics: ['site:1'], event: 'activity', data: { id: 1 } }]);
    expect(deliver).not.toHaveBeenCalled();
  });

  it('a message is wanted alone only by a stream on its topics, shared always (another process may hold one)', () => {
    const alone = world(false).hub;
    expect(alone.wanted(['site:1'])).toBe(false);
    const stop = alone.subscribe(['site:1'], () => undefined, () => undefined);
    expect(alone.wanted(['site:2', 'site:1'])).toBe(true);
    stop();
    expect(alone.wanted(['site:1'])).toBe(false);
    expect(world(true).hub.wanted(['site:1'])).toBe(true);
  });

  it('a message emitted after the hub is gone (relay closing) is dropped', async () => {
    const published: Buffer[] = [];
    const hub = new LiveHub(liveBus(false, () => null, (p) => published.push(p)));
    const got: unknown[] = [];
    hub.subscribe(['site:1'], (_e, d) => got.push(d), () => undefined);
    hub.emit(['site:1'], 'lock', {});
    await tick();
    expect(got).toEqual([]);
  });
});
