/**
 * The link stage's SQL plan on DuckDB against the in-process engine, as `koppel link` runs them
 * (job setting `engine`) on the same generated data as the linkage benchmark: F1 against the
 * generator's truth (the same for both: the conformance test requires identical links), the
 * whole run's time, and the time of the part the engine runs (pseudonym join, blocking and
 * comparison; from report.json's timings).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLocalLink } from '../src/pipeline/local-link.js';
import { belgianCsv, belgianTruth, generateBelgian, BELGIAN_JOB_FIELDS } from './data/belgian.js';
import { febrlCsv, generateFebrlLike, FEBRL_JOB_FIELDS } from './data/febrl-like.js';
import { compared, median, type Benchmark, type BenchOptions, type BenchResult } from './harness.js';
import { quality } from './linkage-eval.js';
import { readLinks } from './linkage.js';

const BENCH_MASTER_KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 53 + 3) & 0xff);

/** Stages the engine runs (in-process: blocking and comparison apart; duckdb: together). */
const ENGINE_STAGES = ['deterministic', 'blocking', 'comparison', 'blocking and comparison'];

interface Case { readonly name: string; readonly truth: Set<string>; readonly job: object }

function cases(root: string, people: number): Case[] {
  const febrl = generateFebrlLike({ records: Math.min(people, 5000), seed: 42 });
  writeFileSync(join(root, 'febrl-a.csv'), febrlCsv(febrl.a));
  writeFileSync(join(root, 'febrl-b.csv'), febrlCsv(febrl.b));
  const belgian = generateBelgian({ people, seed: 7 });
  for (const s of belgian.sources) writeFileSync(join(root, `${s.name}.csv`), belgianCsv(s));
  return [
    {
      name: 'febrl', truth: new Set(febrl.truth.map(([x, y]) => `a|${x}|b|${y}`)),
      job: { sources: [{ name: 'a', path: 'febrl-a.csv', id: 'rec_id' }, { name: 'b', path: 'febrl-b.csv', id: 'rec_id' }], fields: FEBRL_JOB_FIELDS },
    },
    {
      name: 'belgian', truth: new Set(belgianTruth(belgian).map((t) => t.join('|'))),
      job: { sources: belgian.sources.map((s) => ({ name: s.name, path: `${s.name}.csv`, id: 'record_id' })), fields: BELGIAN_JOB_FIELDS },
    },
  ];
}

async function measure(root: string, c: Case, engine: string, opts: BenchOptions): Promise<{ f1: number; ms: number; engineMs: number }> {
  const config = join(root, `${c.name}-${engine}.json`);
  writeFileSync(config, JSON.stringify({ ...c.job, engine }));
  const out = join(root, c.name, engine);
  const times: number[] = []; const engineTimes: number[] = [];
  let f1 = 0;
  for (let i = 0; i < opts.warmup + opts.runs; i++) {
    const t = performance.now();
    await runLocalLink({ config, outDir: out, masterKey: BENCH_MASTER_KEY });
    const ms = performance.now() - t;
    const timings = (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { timings_ms: Record<string, number> }).timings_ms;
    if (i >= opts.warmup) { times.push(ms); engineTimes.push(ENGINE_STAGES.reduce((s, k) => s + (timings[k] ?? 0), 0)); }
    f1 = quality(readLinks(join(out, 'links.csv')), c.truth).f1;
  }
  return { f1, ms: median(times), engineMs: median(engineTimes) };
}

const bench: Benchmark = {
  name: 'sql-engine',
  description: 'koppel link with the link stage as a SQL plan on DuckDB vs in-process: F1 and time on FEBRL-like and Belgian data',
  async run(opts: BenchOptions): Promise<BenchResult[]> {
    const root = mkdtempSync(join(tmpdir(), 'koppel-bench-sql-engine-'));
    const results: BenchResult[] = [];
    try {
      for (const c of cases(root, opts.n ?? 20_000)) {
        const sql = await measure(root, c, 'duckdb', opts);
        const peer = await measure(root, c, 'in-process', opts);
        results.push(compared('sql-engine', `${c.name} F1`, 'F1', sql.f1, { name: 'in-process', value: peer.f1 }));
        results.push(compared('sql-engine', `${c.name} time`, 'ms', sql.ms, { name: 'in-process', value: peer.ms }));
        results.push(compared('sql-engine', `${c.name} join+blocking+comparison`, 'ms', sql.engineMs, { name: 'in-process', value: peer.engineMs }));
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    return results;
  },
};

export default bench;
