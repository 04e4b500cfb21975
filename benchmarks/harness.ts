/**
 * Shared timing and reporting for `npm run bench` (the issue 4 contract).
 *
 * Every figure is the median of at least 5 timed runs after warm-up runs, so one GC pause or
 * a neighbour's burst on a shared machine does not decide the number. Each benchmark reports
 * against the obvious alternative (`peer`), because an absolute rate says little alone.
 * With `--json` every result is one JSON object per line with exactly the keys
 * `bench, metric, value, unit, peer, peer_value, ratio` (ratio = value / peer_value).
 */

export interface BenchOptions {
  /** Problem size (rows, ids); each benchmark has its own default. */
  readonly n: number | undefined;
  /** Timed runs per figure (>= 5). */
  readonly runs: number;
  /** Untimed runs before timing, so the JIT has compiled the hot path. */
  readonly warmup: number;
  /** The incremental benchmark's spine persons and new records (`--spine N --new M`). */
  readonly spine?: number;
  readonly new?: number;
  /** The incremental benchmark's data source (`--data belgian|turnaround`). */
  readonly data?: string;
}

export interface BenchResult {
  readonly bench: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly peer: string | null;
  readonly peer_value: number | null;
  readonly ratio: number | null;
}

export interface Benchmark {
  readonly name: string;
  readonly description: string;
  run(opts: BenchOptions): BenchResult[] | Promise<BenchResult[]>;
}

export const MIN_RUNS = 5;

export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError('median of no samples');
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >>> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Median wall times of several competitors, timed round-robin (one run of each per round)
 * so that a burst of load from elsewhere on the machine hits all of them alike and the
 * ratios stay meaningful.
 */
export function timeMediansInterleaved<K extends string>(
  fns: Readonly<Record<K, () => void>>, opts: Pick<BenchOptions, 'runs' | 'warmup'>,
): Record<K, number> {
  const names = Object.keys(fns) as K[];
  for (let i = 0; i < opts.warmup; i++) for (const k of names) fns[k]();
  const samples = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < Math.max(MIN_RUNS, opts.runs); i++) {
    for (const k of names) {
      const start = process.hrtime.bigint();
      fns[k]();
      samples[k].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  return Object.fromEntries(names.map((k) => [k, median(samples[k])])) as Record<K, number>;
}

export interface AsyncCompetitor {
  /** Untimed, before each run (e.g. dropping the previous run's output). */
  readonly setup?: () => Promise<void> | void;
  readonly run: () => Promise<void> | void;
}

/**
 * `timeMediansInterleaved` for competitors that await (DuckDB, streams): one run
 * of each per round, so a burst of load elsewhere on the shared machine hits all alike.
 */
export async function timeAsyncMediansInterleaved<K extends string>(
  competitors: Readonly<Record<K, AsyncCompetitor>>, opts: Pick<BenchOptions, 'runs' | 'warmup'>,
): Promise<Record<K, number>> {
  const names = Object.keys(competitors) as K[];
  const samples = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  const rounds = opts.warmup + Math.max(MIN_RUNS, opts.runs);
  for (let round = 0; round < rounds; round++) {
    for (const k of names) {
      await competitors[k].setup?.();
      const start = process.hrtime.bigint();
      await competitors[k].run();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (round >= opts.warmup) samples[k].push(ms);
    }
  }
  return Object.fromEntries(names.map((k) => [k, median(samples[k])])) as Record<K, number>;
}

/** Items per second, in millions, for `items` items done in `ms` milliseconds. */
export function millionsPerSecond(items: number, ms: number): number {
  return items / ms / 1000;
}

/** A result comparing `value` with a peer's figure on the same metric and unit. */
export function compared(
  bench: string, metric: string, unit: string, value: number, peer?: { name: string; value: number },
): BenchResult {
  return {
    bench, metric, value: round(value), unit,
    peer: peer?.name ?? null,
    peer_value: peer === undefined ? null : round(peer.value),
    ratio: peer === undefined || peer.value === 0 ? null : round(value / peer.value),
  };
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}

export function formatJsonLines(results: readonly BenchResult[]): string {
  return results.map((r) => JSON.stringify({
    bench: r.bench, metric: r.metric, value: r.value, unit: r.unit,
    peer: r.peer, peer_value: r.peer_value, ratio: r.ratio,
  })).join('\n');
}

export function formatTable(results: readonly BenchResult[]): string {
  const header = ['bench', 'metric', 'value', 'unit', 'peer', 'peer value', 'ratio'];
  const rows = results.map((r) => [
    r.bench, r.metric, String(r.value), r.unit, r.peer ?? '-',
    r.peer_value === null ? '-' : String(r.peer_value), r.ratio === null ? '-' : `${r.ratio}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
