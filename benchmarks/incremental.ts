/**
 * Incremental linkage against the person spine (issue 13) against a full relink, in the same
 * run, on the linkage benchmark's Belgian generator: `npm run bench -- incremental [--spine N]
 * [--new M]`.
 *
 * The previous quarter is two sources (vdab, rsz) whose people make a spine of about N persons;
 * it is linked once, untimed, as the previous job did. The new quarter's delivery is a third
 * source (riziv) of about M records. Timed: the full relink of all three sources, and the
 * incremental run (only pairs with a new record; the spine's probabilistic links replayed; its
 * threshold carried over) plus the person continuity of the job (person-continuity.ts). Both
 * are scored against the generator's truth on the links each job stores (the incremental job
 * stores its new links and the carried spine links).
 *
 * Engine only, in memory: encoding, files and SQLite are the same for both and left out. At a
 * spine of 500k persons or more the figures are one run each (a national-size run takes
 * minutes and gigabytes); below, the median of `--runs`. `KOPPEL_BENCH_STAGES=1` prints both
 * runs' time per engine stage (and the incremental run's person continuity) and their candidate
 * pairs to stderr.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BELGIAN_JOB_FIELDS, generateBelgian, type BelgianSource } from './data/belgian.js';
import { median, type Benchmark, type BenchOptions, type BenchResult } from './harness.js';
import { quality } from './linkage-eval.js';
import type { FieldType } from '../src/model.js';
import { dictionaryOfStrings } from '../src/pseudonymise/encode-dictionary.js';
import { encodeSource, encodingKeysFrom } from '../src/pseudonymise/encode-source.js';
import type { EncodedSource } from '../src/pseudonymise/encoded-source.js';
import { linkRecords, type LinkResult } from '../src/link/link-records.js';
import { LINK_PROBABILISTIC } from '../src/link/link-method.js';
import { linkSettings } from '../src/link/link-settings.js';
import { personContinuity } from '../src/pipeline/person-continuity.js';

/**
 * A full garbage collection before each timed run, so neither run pays for the other's garbage
 * (the incremental run follows the full relink, whose arrays are gigabytes at 500k persons).
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const MASTER = Uint8Array.from({ length: 32 }, (_, i) => (i * 53 + 3) & 0xff);
/** Shares of the population in vdab and rsz (the generator's defaults): the spine is their union. */
const COVERAGE = [0.8, 0.685];
const SPINE_SHARE = 1 - (1 - COVERAGE[0]) * (1 - COVERAGE[1]);

function encode(sources: readonly BelgianSource[]): EncodedSource[] {
  const keys = encodingKeysFrom(MASTER);
  const fields = BELGIAN_JOB_FIELDS.map((f) => ({ ...f, type: f.type as FieldType }));
  return sources.map((s) => encodeSource({
    name: s.name, unique: true, size: s.rows.length,
    columns: new Map(fields.map((f) => {
      const at = s.header.indexOf(f.name);
      return [f.name, dictionaryOfStrings(s.rows.map((r) => (r[at] === '' ? null : r[at])))];
    })),
  }, fields, keys));
}

/** A source's name and record ids: all the scoring needs of the generated rows. */
interface Scored { readonly name: string; readonly ids: readonly string[]; readonly person: Int32Array }

/** Stored links as `source|id|source|id` keys. */
function linkKeys(result: LinkResult, data: readonly Scored[], extra?: { a: Int32Array; b: Int32Array; length: number }): string[] {
  const { offsets } = result;
  const name = (g: number) => { let s = 0; while (offsets[s + 1] <= g) s++; return `${data[s].name}|${data[s].ids[g - offsets[s]]}`; };
  const out: string[] = [];
  for (let i = 0; i < result.links.length; i++) out.push(`${name(result.links.left[i])}|${name(result.links.right[i])}`);
  for (let i = 0; i < (extra?.length ?? 0); i++) out.push(`${name(extra!.a[i])}|${name(extra!.b[i])}`);
  return out;
}

function truthOf(data: readonly Scored[]): Set<string> {
  const out = new Set<string>();
  for (let l = 0; l < data.length; l++) {
    const byPerson = new Map<number, string>();
    data[l].person.forEach((p, i) => byPerson.set(p, data[l].ids[i]));
    for (let r = l + 1; r < data.length; r++) {
      data[r].person.forEach((p, i) => { const left = byPerson.get(p); if (left !== undefined) out.add(`${data[l].name}|${left}|${data[r].name}|${data[r].ids[i]}`); });
    }
  }
  return out;
}

export interface IncrementalCase {
  readonly spinePersons: number;
  readonly newRecords: number;
  readonly full: { ms: number[]; f1: number; clusters: Int32Array };
  readonly incremental: { ms: number[]; f1: number; clusters: Int32Array };
}

/**
 * The three sources encoded, with their record ids and persons for scoring. The generated rows
 * (millions of strings) are left behind: held through the timed runs, every full collection the
 * runs' typed arrays set off would mark them, a cost no link worker has (it holds no cleartext).
 */
function generate(people: number, fresh: number, seed: number): { sources: EncodedSource[]; data: Scored[] } {
  const generated = generateBelgian({ people, seed, sources: 3, coverage: [...COVERAGE, Math.min(1, fresh / people)] });
  return {
    sources: encode(generated.sources),
    data: generated.sources.map((s) => ({ name: s.name, ids: s.rows.map((r) => r[0]), person: s.person })),
  };
}

/** Links a spine of ~`spine` persons and ~`fresh` new records both ways, `runs` times each. */
export function compareIncremental(spine: number, fresh: number, runs = 1, seed = 7): IncrementalCase {
  const people = Math.round(spine / SPINE_SHARE);
  const { sources, data } = generate(people, fresh, seed);
  // The previous quarter's job: the spine's persons, links and threshold.
  const previous = linkRecords(sources.slice(0, 2), linkSettings());
  const keep: number[] = [];
  for (let i = 0; i < previous.links.length; i++) if (previous.links.method[i] === LINK_PROBABILISTIC) keep.push(i);
  const prior = { a: Int32Array.from(keep, (i) => previous.links.left[i]), b: Int32Array.from(keep, (i) => previous.links.right[i]), length: keep.length };
  const total = sources.reduce((n, s) => n + s.size, 0);
  const priorPerson = new Float64Array(total).fill(Number.NaN);
  for (let g = 0; g < previous.clusters.length; g++) priorPerson[g] = previous.clusters[g] + 1;
  const newSources = [false, false, true];
  const startM = previous.report.model.fields.map((f) => f.levels.map((l) => l.m));

  const full = { ms: [] as number[], result: null as LinkResult | null };
  const incremental = { ms: [] as number[], result: null as LinkResult | null };
  for (let run = 0; run < runs; run++) {
    full.result = null;
    collectGarbage();
    let t = performance.now();
    full.result = linkRecords(sources, linkSettings());
    full.ms.push(performance.now() - t);
    incremental.result = null;
    collectGarbage();
    t = performance.now();
    const result = linkRecords(sources, linkSettings({ threshold: previous.report.settings.threshold, startM }), {}, { newSources, prior });
    const linked = performance.now();
    personContinuity({ result, prior: priorPerson, newSources, fields: [], deliveries: data.map((s) => s.name) });
    incremental.ms.push(performance.now() - t);
    if (process.env.KOPPEL_BENCH_STAGES === '1') {
      const stages = (r: LinkResult) => ({ ...r.report.timings_ms, candidate_pairs: r.report.blocking.candidate_pairs });
      const continuity = Math.round(performance.now() - linked);
      process.stderr.write(`${JSON.stringify({ full: stages(full.result), incremental: { ...stages(result), continuity } })}\n`);
    }
    incremental.result = result;
  }
  const truth = truthOf(data);
  return {
    spinePersons: previous.clusterCount,
    newRecords: sources[2].size,
    full: { ms: full.ms, f1: quality(linkKeys(full.result!, data), truth).f1, clusters: full.result!.clusters },
    incremental: { ms: incremental.ms, f1: quality(linkKeys(incremental.result!, data, prior), truth).f1, clusters: incremental.result!.clusters },
  };
}

const bench: Benchmark = {
  name: 'incremental',
  description: 'incremental linkage of new records against a person spine vs a full relink (--spine N persons, --new M records)',
  run(opts: BenchOptions): BenchResult[] {
    const spine = opts.spine ?? 200_000;
    const fresh = opts.new ?? Math.round(spine / 6);
    const runs = spine >= 500_000 ? 1 : opts.runs;
    const c = compareIncremental(spine, fresh, runs);
    const full = median(c.full.ms); const incr = median(c.incremental.ms);
    const tag = `spine ${c.spinePersons} persons, ${c.newRecords} new records`;
    return [
      { bench: 'incremental', metric: `link time, ${tag}`, value: Math.round(incr), unit: 'ms', peer: 'full relink', peer_value: Math.round(full), ratio: incr / full },
      { bench: 'incremental', metric: `F1, ${tag}`, value: Number(c.incremental.f1.toFixed(5)), unit: 'F1', peer: 'full relink', peer_value: Number(c.full.f1.toFixed(5)), ratio: c.incremental.f1 / c.full.f1 },
    ];
  },
};

export default bench;
