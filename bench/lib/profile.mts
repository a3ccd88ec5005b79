/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof) by self time: per package or source
 * directory, and the hottest functions. Used by `bench/relay.mts --profile` to say where the
 * relay's CPU goes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  busyMs: number;
  byArea: Array<{ area: string; ms: number; share: number }>;
  byFunction: Array<{ fn: string; ms: number; share: number }>;
}

function area(url: string, fn: string): string {
  if (!url) return fn || '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return rest[0].startsWith('@') ? rest[0] + '/' + rest[1] : rest[0];
  }
  if (url.startsWith('node:')) return 'node core (' + url.slice(5).split('/').slice(0, 2).join('/') + ')';
  const m = /\/(relay|shared|firmware|hardware|tools)\/(src|node)\/([^/]+)/.exec(url);
  if (m) return m[1] + '/' + m[2] + '/' + m[3];
  return path.basename(url);
}

/** Now on the clock V8 stamps profile samples with (CLOCK_MONOTONIC, µs), the same in every process. */
export function profileClockUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

/**
 * `windows` (from profileClockUs() in any process) keep only the samples taken inside them, so
 * a summary can cover the measured sections of a run instead of start-up and seeding too.
 */
export function summarizeProfiles(dir: string, windows?: ProfileWindow[]): ProfileSummary | null {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) return null;
  const areaMs = new Map<string, number>();
  const fnMs = new Map<string, number>();
  let busy = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Profile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    let at = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      at += p.timeDeltas[i] ?? 0;
      if (windows && !windows.some((w) => at >= w.fromUs && at <= w.toUs)) continue;
      const n = byId.get(p.samples[i]);
      const dt = (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0) / 1000;
      if (!n || n.callFrame.functionName === '(idle)') continue;
      busy += dt;
      const a = area(n.callFrame.url, n.callFrame.functionName);
      areaMs.set(a, (areaMs.get(a) ?? 0) + dt);
      const fn = (n.callFrame.functionName || '(anonymous)') + ' ' + (n.callFrame.url ? area(n.callFrame.url, '') + ':' + (n.callFrame.lineNumber + 1) : '');
      fnMs.set(fn, (fnMs.get(fn) ?? 0) + dt);
    }
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    busyMs: busy,
    byArea: sorted(areaMs).map(([a, ms]) => ({ area: a, ms, share: ms / busy })),
    byFunction: sorted(fnMs).map(([fn, ms]) => ({ fn: fn.trim(), ms, share: ms / busy }))
  };
}
