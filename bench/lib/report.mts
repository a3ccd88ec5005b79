/**
 * Shared helpers for the benchmarks: command-line flags, percentiles, plain-text tables and
 * the machine description printed with every result. Benchmarks print; they never assert.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** `--name value`, `--name=value` and bare `--flag` (true). */
export function parseFlags(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out.set(a.slice(2), argv[++i]);
    else out.set(a.slice(2), 'true');
  }
  return out;
}

export function numberFlag(flags: Map<string, string>, name: string, fallback: number): number {
  const v = flags.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error('--' + name + ' wants a number, got ' + v);
  return n;
}

export function listFlag(flags: Map<string, string>, name: string, fallback: number[]): number[] {
  const v = flags.get(name);
  if (v === undefined) return fallback;
  return v.split(',').filter((s) => s.trim() !== '').map((s) => {
    const n = Number(s.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < 0) throw new Error('--' + name + ' wants a comma-separated list of integers, got ' + v);
    return n;
  });
}

/** Nearest-rank percentile of an unsorted sample (p in 0..100). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length, Math.max(1, rank)) - 1];
}

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

export function summarize(values: number[]): Summary {
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : NaN;
  return {
    n, p50: percentile(values, 50), p90: percentile(values, 90), p99: percentile(values, 99), mean,
    min: n ? Math.min(...values) : NaN, max: n ? Math.max(...values) : NaN
  };
}

/** A number with a sensible number of digits for a table cell. */
export function fmt(v: number, digits?: number): string {
  if (v === undefined || v === null || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return '∞';
  const d = digits ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
  return v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** Prints a Markdown-compatible table (so it can be pasted into docs/benchmarks.md). */
export function table(title: string, header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => (c ?? '').padEnd(widths[i])).join(' | ') + ' |';
  const out = ['', '### ' + title, '', line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)];
  const text = out.join('\n');
  console.log(text);
  return text;
}

export function cpuModel(): string {
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

export function machineLine(): string {
  return new Date().toISOString().slice(0, 10) + ' · ' + cpuModel() + ' · ' + os.cpus().length + ' cores · ' +
    Math.round(os.totalmem() / 2 ** 30) + ' GiB · Node ' + process.version + ' · ' + os.platform() + ' ' + os.release();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
