/**
 * The per-lock queue (relay/src/locks/per-lock-queue.ts): one lock's work in arrival order, one
 * at a time; items that queue up behind running work are taken together by batch(), never past
 * work queued after them, at most MAX_INTAKE_BATCH at once, and a failed batch fails only its own items.
 * A batch takes items until its runner takes them (take()), not merely until it starts.
 */
import { describe, expect, it } from 'vitest';
import { MAX_INTAKE_BATCH, PerLockQueue, type BatchRunner } from '../../../relay/src/locks/per-lock-queue';

function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

describe('PerLockQueue.batch', () => {
  it('takes the items that queued up behind running work together, in order, each with its own result', async () => {
    const q = new PerLockQueue();
    const seen: string[][] = [];
    const runner: BatchRunner<string, string> = async (_lock, take) => {
      const items = take();
      seen.push([...items]);
      return items.map((i) => i.toUpperCase());
    };
    const g = gate();
    const busy = q.run('L', () => g.wait);
    const results = Promise.all(['a', 'b', 'c'].map((i) => q.batch('L', i, runner)));
    g.open();
    await busy;
    expect(await results).toEqual(['A', 'B', 'C']);
    expect(seen).toEqual([['a', 'b', 'c']]);
    // The lock's entry goes once its last work settled.
    await new Promise((r) => setImmediate(r));
    expect(q.size).toBe(0);
  });

  it('never takes an item past work queued before it: work queued after a batch closes it', async () => {
    const q = new PerLockQueue();
    const order: string[] = [];
    const runner: BatchRunner<string, void> = async (_lock, take) => {
      const items = take();
      order.push(items.join('+'));
      return items.map(() => undefined);
    };
    const g = gate();
    const all = [
      q.run('L', async () => {
        await g.wait;
        order.push('first');
      }),
      q.batch('L', 'a', runner),
      q.batch('L', 'b', runner),
      q.run('L', async () => {
        order.push('between');
      }),
      q.batch('L', 'c', runner),
      // Another lock's items never join this lock's batch.
      q.batch('M', 'x', runner)
    ];
    g.open();
    await Promise.all(all);
    expect(order.filter((o) => o !== 'x')).toEqual(['first', 'a+b', 'between', 'c']);
    expect(order).toContain('x');
  });

  it('keeps separate batches for separate runners, and at most MAX_INTAKE_BATCH items in one', async () => {
    const q = new PerLockQueue();
    const sizes: string[] = [];
    const runner = (name: string): BatchRunner<number, number> => async (_lock, take) => {
      const items = take();
      sizes.push(name + items.length);
      return items;
    };
    const r1 = runner('r1:');
    const r2 = runner('r2:');
    const g = gate();
    const busy = q.run('L', () => g.wait);
    const many = Array.from({ length: MAX_INTAKE_BATCH + 2 }, (_, i) => q.batch('L', i, r1));
    const other = q.batch('L', 99, r2);
    g.open();
    await busy;
    expect(await Promise.all(many)).toEqual(Array.from({ length: MAX_INTAKE_BATCH + 2 }, (_, i) => i));
    expect(await other).toBe(99);
    expect(sizes).toEqual(['r1:' + MAX_INTAKE_BATCH, 'r1:2', 'r2:1']);
  });

  it('fails every item of a batch whose runner throws, and only those; the lock\'s later work still runs', async () => {
    const q = new PerLockQueue();
    const failing: BatchRunner<string, string> = async () => {
      throw new Error('storage down');
    };
    const fine: BatchRunner<string, string> = async (_lock, take) => take();
    const g = gate();
    const busy = q.run('L', () => g.wait);
    const a = q.batch('L', 'a', failing);
    const b = q.batch('L', 'b', failing);
    const c = q.batch('L', 'c', fine);
    g.open();
    await busy;
    await expect(a).rejects.toThrow('storage down');
    await expect(b).rejects.toThrow('storage down');
    expect(await c).toBe('c');
  });

  it('takes the items that arrive after the batch started, until its runner takes them; later ones go to the next batch', async () => {
    const q = new PerLockQueue();
    const seen: string[][] = [];
    const started = gate();
    const release = gate();
    const runner: BatchRunner<string, string> = async (_lock, take) => {
      started.open();
      // The runner waits for its turn (the store's) before it takes its items.
      await release.wait;
      const items = take();
      seen.push([...items]);
      await new Promise((r) => setImmediate(r));
      return items.map((i) => i + '!');
    };
    const a = q.batch('L', 'a', runner);
    await started.wait;
    const b = q.batch('L', 'b', runner);
    release.open();
    await new Promise((r) => setImmediate(r));
    // Taken already: c waits for the next batch.
    const c = q.batch('L', 'c', runner);
    expect(await Promise.all([a, b, c])).toEqual(['a!', 'b!', 'c!']);
    expect(seen).toEqual([['a', 'b'], ['c']]);
  });

  it('closes a batch whose runner settled without taking its items, and fails the items it gave no result', async () => {
    const q = new PerLockQueue();
    const g = gate();
    const lazy: BatchRunner<string, string> = async () => {
      await g.wait;
      return ['only one'];
    };
    const a = q.batch('L', 'a', lazy);
    await new Promise((r) => setImmediate(r));
    const b = q.batch('L', 'b', lazy);
    g.open();
    expect(await a).toBe('only one');
    await expect(b).rejects.toThrow('no result for item 1');
    // The closed batch takes nothing more: the next item runs in a batch of its own.
    expect(await q.batch('L', 'c', async (_lock, take) => take())).toBe('c');
  });
});
