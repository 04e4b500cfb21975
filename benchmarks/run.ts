/**
 * `npm run bench [-- NAME ...] [--json] [--n N | --people N] [--runs R] [--warmup W] [--spine N --new M [--data D]]`
 *
 * Runs every registered benchmark (or the named ones) and prints a table, or with `--json`
 * one JSON object per result line (see harness.ts). Register a new benchmark by importing
 * its default export into BENCHMARKS below.
 */
import { parseArgs } from 'node:util';
import { MIN_RUNS, formatJsonLines, formatTable, type Benchmark, type BenchResult } from './harness.js';
import hmac from './hmac.js';
import linkage from './linkage.js';
import join from './join.js';
import csvIngest from './csv-ingest.js';
import serverResponsiveness from './server-responsiveness.js';
import linkNationalId from './link-national-id.js';
import anonymise from './anonymise.js';
import sqlEngine from './sql-engine.js';
import tables from './tables.js';
import turnaround from './turnaround.js';
import keyRotation from './key-rotation.js';
import incremental from './incremental.js';
import blockingChoice from './blocking-choice.js';

const BENCHMARKS: readonly Benchmark[] = [hmac, linkage, join, csvIngest, serverResponsiveness, linkNationalId, anonymise, sqlEngine, tables, turnaround, keyRotation, incremental, blockingChoice];

function positiveInt(name: string, raw: string | undefined, fallback: number | undefined): number | undefined {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      n: { type: 'string' },
      // `--people N` reads better for the turnaround benchmark; it is --n by another name.
      people: { type: 'string' },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      spine: { type: 'string' },
      new: { type: 'string' },
      data: { type: 'string' },
      list: { type: 'boolean', default: false },
    },
  });
  if (values.list) {
    for (const b of BENCHMARKS) process.stdout.write(`${b.name}\t${b.description}\n`);
    return 0;
  }
  const unknown = positionals.filter((p) => !BENCHMARKS.some((b) => b.name === p));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`);
    return 2;
  }
  const selected = positionals.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => positionals.includes(b.name));
  const opts = {
    n: positiveInt(values.n === undefined && values.people !== undefined ? 'people' : 'n', values.n ?? values.people, undefined),
    runs: Math.max(MIN_RUNS, positiveInt('runs', values.runs, MIN_RUNS) ?? MIN_RUNS),
    warmup: positiveInt('warmup', values.warmup, 1) ?? 1,
    spine: positiveInt('spine', values.spine, undefined),
    new: positiveInt('new', values.new, undefined),
    data: values.data,
  };
  const results: BenchResult[] = [];
  for (const b of selected) {
    const res = await b.run(opts);
    results.push(...res);
    // JSON lines stream out per benchmark so a long suite shows progress to a pipe.
    if (values.json) process.stdout.write(`${formatJsonLines(res)}\n`);
  }
  if (!values.json) process.stdout.write(`${formatTable(results)}\n`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
