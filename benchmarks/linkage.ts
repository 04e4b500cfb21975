/**
 * Linkage quality and time: `koppel link` end to end (CSV files in, links.csv out) on two
 * generated benchmarks, scored against their ground truth.
 *
 * - febrl: a FEBRL-4-like pair of 5,000 originals and 5,000 corrupted duplicates (the public
 *   benchmark's shape and corruption model; recordlinkage's expert configuration reaches F1 0.998
 *   on the real files, on cleartext). Peer: exact agreement on soc_sec_id and date of birth.
 * - belgian: Belgian-style extracts of `--n` people (default 20,000) with 30% of the second
 *   source's national numbers missing or mistyped. Peer: exact matching on the national number
 *   alone (Koppel's deterministic pass by itself), run in the same process.
 *
 * Figures are medians of `--runs` runs (>= 5) after `--warmup` runs; F1 is the same every run
 * (seeded data, seeded sampling, one fixed key), time varies.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLocalLink } from '../src/pipeline/local-link.js';
import { belgianCsv, belgianTruth, generateBelgian, BELGIAN_JOB_FIELDS } from './data/belgian.js';
import { febrlCsv, generateFebrlLike, FEBRL_JOB_FIELDS } from './data/febrl-like.js';
import { compared, median, type Benchmark, type BenchOptions, type BenchResult } from './harness.js';
import { quality } from './linkage-eval.js';

/** One fixed key: the Bloom filters' bit positions depend on it, so F1 is the same on every run. */
const BENCH_MASTER_KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 53 + 3) & 0xff);

interface Case {
  readonly name: string;
  readonly dir: string;
  readonly truth: Set<string>;
  readonly job: object;
  readonly peerJob: object;
}

/** links.csv as `left_source|left_id|right_source|right_id` keys (ids never contain `,` here). */
export function readLinks(file: string): string[] {
  const lines = readFileSync(file, 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => { const [a, b, c, d] = l.split(','); return `${a}|${b}|${c}|${d}`; });
}

function febrlCase(root: string): Case {
  const dir = join(root, 'febrl');
  const data = generateFebrlLike({ records: 5000, seed: 42 });
  writeFileSync(join(root, 'febrl-a.csv'), febrlCsv(data.a));
  writeFileSync(join(root, 'febrl-b.csv'), febrlCsv(data.b));
  const sources = [{ name: 'a', path: 'febrl-a.csv', id: 'rec_id' }, { name: 'b', path: 'febrl-b.csv', id: 'rec_id' }];
  return {
    name: 'febrl', dir,
    truth: new Set(data.truth.map(([x, y]) => `a|${x}|b|${y}`)),
    job: { sources, fields: FEBRL_JOB_FIELDS },
    // The peer: records that agree exactly on soc_sec_id and date of birth.
    peerJob: { sources, fields: [{ name: 'soc_sec_id', type: 'code' }, { name: 'date_of_birth', type: 'date', format: 'YYYYMMDD' }], blocking: [['soc_sec_id', 'date_of_birth']], threshold: 0.5 },
  };
}

function belgianCase(root: string, people: number): Case {
  const dir = join(root, 'belgian');
  const data = generateBelgian({ people, seed: 7 });
  for (const s of data.sources) writeFileSync(join(root, `${s.name}.csv`), belgianCsv(s));
  const sources = data.sources.map((s) => ({ name: s.name, path: `${s.name}.csv`, id: 'record_id' }));
  return {
    name: 'belgian', dir,
    truth: new Set(belgianTruth(data).map((t) => t.join('|'))),
    job: { sources, fields: BELGIAN_JOB_FIELDS },
    peerJob: { sources, fields: [{ name: 'insz', type: 'national_id' }], blocking: [['insz']], threshold: 0.99 },
  };
}

async function measure(root: string, c: Case, job: object, tag: string, opts: BenchOptions): Promise<{ f1: number; precision: number; recall: number; ms: number }> {
  const config = join(root, `${c.name}-${tag}.json`);
  writeFileSync(config, JSON.stringify(job));
  const out = join(c.dir, tag);
  const times: number[] = [];
  let q = quality([], new Set());
  for (let i = 0; i < opts.warmup + Math.max(5, opts.runs); i++) {
    const t = performance.now();
    await runLocalLink({ config, outDir: out, masterKey: BENCH_MASTER_KEY });
    const ms = performance.now() - t;
    if (i >= opts.warmup) times.push(ms);
    q = quality(readLinks(join(out, 'links.csv')), c.truth);
  }
  return { f1: q.f1, precision: q.precision, recall: q.recall, ms: median(times) };
}

const bench: Benchmark = {
  name: 'linkage',
  description: 'koppel link end to end: F1, precision, recall and time on FEBRL-4-like and Belgian-style generated data',
  async run(opts: BenchOptions): Promise<BenchResult[]> {
    const root = mkdtempSync(join(tmpdir(), 'koppel-bench-linkage-'));
    const results: BenchResult[] = [];
    try {
      for (const c of [febrlCase(root), belgianCase(root, opts.n ?? 20_000)]) {
        const k = await measure(root, c, c.job, 'koppel', opts);
        const p = await measure(root, c, c.peerJob, 'peer', { ...opts, runs: 5, warmup: 0 });
        const peerName = c.name === 'febrl' ? 'exact soc_sec_id+dob' : 'exact national id';
        results.push(compared('linkage', `${c.name} F1`, 'F1', k.f1, { name: peerName, value: p.f1 }));
        results.push(compared('linkage', `${c.name} precision`, 'share', k.precision, { name: peerName, value: p.precision }));
        results.push(compared('linkage', `${c.name} recall`, 'share', k.recall, { name: peerName, value: p.recall }));
        results.push(compared('linkage', `${c.name} time`, 'ms', k.ms, { name: peerName, value: p.ms }));
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    return results;
  },
};

export default bench;
