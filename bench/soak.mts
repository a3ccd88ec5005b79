/**
 * The long fault-injection soak (tests/support/soak.ts): relay and simulated locks as separate
 * processes, seeded faults and operations, invariants checked after quiesce. One row per seed,
 * then totals; violations are listed with their seed so one can be replayed with --first.
 * Run: npx tsx bench/soak.mts --locks 100 --minutes 10 --seeds 1
 *      npx tsx bench/soak.mts --seeds 20 --locks 10 --minutes 0.5 [--first 1] [--quiet] [--json results.json]
 */
import { writeFileSync } from 'node:fs';
import { FAULT_KINDS } from '../tests/support/soak-faults';
import { OP_KINDS } from '../tests/support/soak-ops';
import { percentile, runSoak, type SoakResult } from '../tests/support/soak';
import { fmt, machineLine, numberFlag, parseFlags, table } from './lib/report.mjs';

const flags = parseFlags(process.argv.slice(2));
const locks = numberFlag(flags, 'locks', 10);
const minutes = numberFlag(flags, 'minutes', 0.5);
const seeds = numberFlag(flags, 'seeds', 1);
const first = numberFlag(flags, 'first', 1);
const quiet = flags.has('quiet');
/** Every result, with every violation, as JSON (optional). */
const jsonFile = flags.get('json');
const SHOWN_VIOLATIONS = 40;

console.log(machineLine());
console.log(`soak: ${seeds} seed(s) from ${first}, ${locks} locks, ${minutes} min each`);
const results: SoakResult[] = [];
for (let seed = first; seed < first + seeds; seed++) {
  const r = await runSoak({ seed, locks, durationMs: minutes * 60_000, log: quiet ? undefined : (l) => console.error(new Date().toISOString().slice(11, 19) + ' ' + l) });
  results.push(r);
  const byInvariant = new Map<string, number>();
  for (const v of r.violations) byInvariant.set(v.invariant, (byInvariant.get(v.invariant) ?? 0) + 1);
  console.error(`seed ${seed}: ${r.violations.length} violation(s) ${JSON.stringify(Object.fromEntries(byInvariant))}; door ${JSON.stringify(r.door)}; API statuses ${JSON.stringify(r.apiStatus)}`);
}

const sum = (f: (r: SoakResult) => number) => results.reduce((a, r) => a + f(r), 0);
const allMs = results.flatMap((r) => r.convergence.ms).sort((a, b) => a - b);
const ms = (v: number | null) => (v === null ? '—' : fmt(v, 0));
table('Faults injected and operations per seed', ['seed', ...FAULT_KINDS, ...OP_KINDS], [
  ...results.map((r) => [String(r.seed), ...FAULT_KINDS.map((k) => String(r.faults[k])), ...OP_KINDS.map((k) => String(r.operations[k]))]),
  ['total', ...FAULT_KINDS.map((k) => String(sum((r) => r.faults[k]))), ...OP_KINDS.map((k) => String(sum((r) => r.operations[k])))]
]);
table('Invariants per seed', ['seed', 'checks', 'violations', 'API calls', 'unanswered', 'converged', 'p50 ms', 'p99 ms', 'not converged in 30 s', 'liveness wait ms'], [
  ...results.map((r) => [
    String(r.seed), String(Object.values(r.checks).reduce((a, b) => a + b, 0)), String(r.violations.length), String(r.apiCalls), String(r.apiUnanswered),
    String(r.convergence.samples), ms(r.convergence.p50), ms(r.convergence.p99), String(r.convergence.timedOut), String(r.livenessWaitMs)
  ]),
  [
    'total', String(sum((r) => Object.values(r.checks).reduce((a, b) => a + b, 0))), String(sum((r) => r.violations.length)), String(sum((r) => r.apiCalls)),
    String(sum((r) => r.apiUnanswered)), String(allMs.length), ms(percentile(allMs, 50)), ms(percentile(allMs, 99)), String(sum((r) => r.convergence.timedOut)), '—'
  ]
]);
table('Recovery after each fault kind (all seeds; from the fault\'s end until the relay shows the lock online, on trusted time and converged)', ['fault', 'recoveries', 'p50 ms', 'p90 ms', 'max ms', 'over 30 s'], FAULT_KINDS.map((k) => {
  const v = results.flatMap((r) => r.convergence.byKind[k] ?? []).sort((a, b) => a - b);
  return [k, String(v.length), ms(percentile(v, 50)), ms(percentile(v, 90)), ms(v.length ? v[v.length - 1] : null), String(results.reduce((a, r) => a + r.slow.filter((x) => x.kind === k).length, 0))];
}));
const slow = results.flatMap((r) => r.slow.map((x) => ({ seed: r.seed, ...x })));
if (slow.length > 0) {
  table('Recoveries slower than 30 s: the fault before each and what the relay showed at 30 s', ['seed', 'fault', 'device', 'fault ended at s', 'online', 'trusted time', 'sync', 'fresh status', 'lock\'s MQTT online', 'failed attempts in a row'],
    slow.map((x) => [String(x.seed), x.kind, x.deviceId.slice(0, 8), fmt(x.endedAt / 1000, 1), String(x.online), String(x.trustedTime), x.sync ?? '—', String(x.statusFresh), x.lockOnline === null ? '—' : String(x.lockOnline), x.attempt === null ? '—' : String(x.attempt)]));
}
const invariants = [...new Set(results.flatMap((r) => Object.keys(r.checks)))].sort();
table('Checks and violations per invariant (all seeds)', ['invariant', 'checks', 'violations', 'seeds with violations'], invariants.map((i) => [
  i, String(sum((r) => r.checks[i] ?? 0)), String(sum((r) => r.violations.filter((v) => v.invariant === i).length)),
  results.filter((r) => r.violations.some((v) => v.invariant === i)).map((r) => r.seed).join(',') || '—'
]));
const all = results.flatMap((r) => r.violations.map((v) => ({ seed: r.seed, ...v })));
const safetyFirst = [...all.filter((v) => v.invariant.startsWith('safety')), ...all.filter((v) => !v.invariant.startsWith('safety'))];
console.log('\n### Violations (safety first, first ' + SHOWN_VIOLATIONS + ')\n');
for (const v of safetyFirst.slice(0, SHOWN_VIOLATIONS)) console.log(`- seed ${v.seed} ${v.invariant} ${v.deviceId ?? ''}: ${v.details}`);
if (all.length === 0) console.log('none');
if (jsonFile) writeFileSync(jsonFile, JSON.stringify(results, null, 1) + '\n');
