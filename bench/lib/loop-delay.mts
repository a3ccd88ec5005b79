/**
 * A preload for a measured child (`startChild(…, { imports: ['bench/lib/loop-delay.mts'] })`):
 * records the process's event-loop delay with perf_hooks.monitorEventLoopDelay. On SIGUSR2 it
 * prints one JSON line `{"loopDelay":{seq,n,p50,p99,max}}` (milliseconds) on stdout with what
 * it recorded since the last one, then starts over; `readLoopDelay` in the bench sends the
 * signal and waits for that line. Nothing else in the process changes.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** How often the monitor's timer samples the loop (Node's default is 10 ms). */
const RESOLUTION_MS = 10;
const NS_PER_MS = 1e6;

const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
h.enable();
let seq = 0;
process.on('SIGUSR2', () => {
  seq++;
  const line = { loopDelay: { seq, n: h.count, p50: h.percentile(50) / NS_PER_MS, p99: h.percentile(99) / NS_PER_MS, max: h.max / NS_PER_MS } };
  h.reset();
  process.stdout.write(JSON.stringify(line) + '\n');
});
