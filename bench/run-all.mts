/**
 * Runs every benchmark in bench/ (each `*.mts` file but this one), one after another, each in
 * its own process so none inherits another's warm JIT or memory. Arguments after `--` are
 * passed to every benchmark; `--quick` is passed to those that take it (signing, relay, scaleout).
 *
 * Run: npx tsx bench/run-all.mts [--quick] [--only signing,relay] [-- extra flags]
 * Exit code: the first non-zero one, after all have run. Benchmarks print; they never assert.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags } from './lib/report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dash = process.argv.indexOf('--');
const own = parseFlags(process.argv.slice(2, dash < 0 ? undefined : dash));
const passThrough = dash < 0 ? [] : process.argv.slice(dash + 1);
const TAKES_QUICK = new Set(['signing', 'relay', 'scaleout']);
const only = own.get('only')?.split(',').map((s) => s.trim());

const benches = readdirSync(here)
  .filter((f) => f.endsWith('.mts') && f !== path.basename(fileURLToPath(import.meta.url)))
  .map((f) => f.slice(0, -4))
  .filter((name) => !only || only.includes(name))
  // The cheap ones first.
  .sort((a, b) => (a === 'relay' ? 1 : 0) - (b === 'relay' ? 1 : 0) || a.localeCompare(b));

let status = 0;
const results: string[] = [];
for (const name of benches) {
  const args = [...(own.has('quick') && TAKES_QUICK.has(name) ? ['--quick'] : []), ...passThrough];
  console.log('\n======== bench/' + name + '.mts ' + args.join(' '));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, name + '.mts'), ...args], { stdio: 'inherit', cwd: path.dirname(here) });
  const code = r.status ?? 1;
  results.push(`${name}: exit ${code}, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  if (code !== 0 && status === 0) status = code;
}
console.log('\n======== done: ' + results.join(' · '));
process.exit(status);
