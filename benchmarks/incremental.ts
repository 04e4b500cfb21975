/**
 * Incremental linkage against the person spine (issue 13) against a full relink, in the same
 * run: `npm run bench -- incremental [--spine N] [--new M] [--data belgian|turnaround]`.
 *
 * The previous quarter is two sources whose people make a spine of about N persons; it is
 * linked once, untimed, as the previous job did. The new quarter's delivery is a third source of
 * about M records. Timed: the full relink of all three sources, and the incremental run (only
 * pairs with a new record; the spine's probabilistic links replayed; its threshold carried over)
 * plus the person continuity of the job (person-continuity.ts).
 *
 * Two data sources:
 * - `belgian` (the default below a spine of 2,000,000 persons): the linkage benchmark's
 *   generator (vdab, rsz, then riziv), which holds every row as strings and does not scale
 *   (3,000 surnames; national-number serials overflow past ~400 people per birth day). Scored
 *   on the links each job stores (the incremental job stores its new links and the carried
 *   spine links) against the generator's true links.
 * - `turnaround` (the default from a spine of 2,000,000 persons): the turnaround benchmark's
 *   population, which scales to 36M people (data/turnaround-sources.ts): vdab and rsz over the
 *   first N persons, then agodi, about M records, a tenth of them people seen for the first
 *   time. Generated and encoded in batches, never held as strings. Scored pairwise over each
 *   run's clusters against the truth (turnaround-f1.ts), as the turnaround benchmark scores a job.
 *
 * Engine only, in memory: encoding, files and SQLite are the same for both and left out (the
 * time to generate and encode the data is reported apart). At a spine of 500k persons or more
 * the figures are one run each (a national-size run takes many minutes and gigabytes); below,
 * the median of `--runs`. Also reported: candidate pairs of both runs and the process's peak
 * RSS (VmHWM) over the whole benchmark, data included. `KOPPEL_BENCH_STAGES=1` prints both
 * runs' time per engine stage (and the incremental run's person continuity) and their
 * candidate pairs to stderr, with the progress of the untimed steps.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BELGIAN_JOB_FIELDS, generateBelgian, type BelgianSource } from './data/belgian.js';
import { turnaroundQuarter } from './data/turnaround-sources.js';
import { median, type Benchmark, type BenchOptions, type BenchResult } from './harness.js';
import { quality } from './linkage-eval.js';
import { pairwiseQuality } from './turnaround-f1.js';
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

/** A source's name and record ids: what link-based scoring needs of the generated rows. */
interface Scored { readonly name: string; readonly ids: readonly string[]; readonly person: Int32Array }

/** Stored links as `source|id|source|id` keys. */
function linkKeys(result: LinkResult, data: readonly Scored[], extra?: PriorLinks): string[] {
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

/** The previous job's probabilistic links, replayed by the incremental run. */
interface PriorLinks { readonly a: Int32Array; readonly b: Int32Array; readonly length: number }

export type IncrementalData = 'belgian' | 'turnaround';
export const INCREMENTAL_DATA: readonly IncrementalData[] = ['belgian', 'turnaround'];

/** Spine size from which the turnaround population is the default (the Belgian generator breaks). */
export const TURNAROUND_FROM_SPINE = 2_000_000;

export function defaultData(spine: number): IncrementalData {
  return spine >= TURNAROUND_FROM_SPINE ? 'turnaround' : 'belgian';
}

/** The three sources encoded, the generated person of each record, and how to score a run. */
interface Quarter {
  readonly sources: EncodedSource[];
  readonly persons: readonly Int32Array[];
  /** F1 of a run against the truth; `prior`: the spine links an incremental run carries. */
  f1(result: LinkResult, prior?: PriorLinks): number;
}

/**
 * The generated rows (millions of strings) are left behind: held through the timed runs, every
 * full collection the runs' typed arrays set off would mark them, a cost no link worker has (it
 * holds no cleartext).
 */
function belgianQuarter(spine: number, fresh: number, seed: number): Quarter {
  const people = Math.round(spine / SPINE_SHARE);
  const generated = generateBelgian({ people, seed, sources: 3, coverage: [...COVERAGE, Math.min(1, fresh / people)] });
  const data: Scored[] = generated.sources.map((s) => ({ name: s.name, ids: s.rows.map((r) => r[0]), person: s.person }));
  return {
    sources: encode(generated.sources),
    persons: data.map((d) => d.person),
    f1: (result, prior) => quality(linkKeys(result, data, prior), truthOf(data)).f1,
  };
}

/** Pairwise over clusters: a run's clusters cover every record, the carried links' included. */
function turnaroundQuarterOf(spine: number, fresh: number, seed: number): Quarter {
  const q = turnaroundQuarter(spine, fresh, seed, encodingKeysFrom(MASTER));
  const truthCounts = new Uint16Array(q.people);
  for (const t of q.truth) for (let i = 0; i < t.length; i++) truthCounts[t[i]]++;
  return {
    sources: q.sources,
    persons: q.truth,
    f1: (result) => {
      const keys = new Float64Array(result.clusters.length);
      let g = 0;
      for (const t of q.truth) for (let i = 0; i < t.length; i++, g++) keys[g] = result.clusters[g] * q.people + t[i];
      return pairwiseQuality(keys, q.people, truthCounts).f1;
    },
  };
}

/** One way of linking the new quarter: its time per run, and of its last run F1 and candidate pairs. */
export interface RunFigures {
  readonly ms: number[];
  readonly f1: number;
  readonly candidatePairs: number;
}

export interface IncrementalCase {
  readonly data: IncrementalData;
  readonly spinePersons: number;
  readonly newRecords: number;
  /** New records whose person has no record in the spine's sources. */
  readonly firstTimeRecords: number;
  readonly records: number;
  /** Generating and encoding the three sources (untimed in the comparison). */
  readonly prepareMs: number;
  /** Linking the previous quarter, which makes the spine (untimed in the comparison). */
  readonly previousMs: number;
  readonly full: RunFigures;
  readonly incremental: RunFigures;
}

const stagesOn = (): boolean => process.env.KOPPEL_BENCH_STAGES === '1';
const progress = (text: string): void => { if (stagesOn()) process.stderr.write(`incremental: ${text}\n`); };

/** New records of source 2 whose person has no record in sources 0 and 1. */
function firstTimeRecords(persons: readonly Int32Array[]): number {
  let max = 0;
  for (const p of persons) for (let i = 0; i < p.length; i++) max = Math.max(max, p[i]);
  const known = new Uint8Array(max + 1);
  for (const p of persons.slice(0, 2)) for (let i = 0; i < p.length; i++) known[p[i]] = 1;
  let n = 0;
  for (let i = 0; i < persons[2].length; i++) if (known[persons[2][i]] === 0) n++;
  return n;
}

/**
 * The previous quarter's job on the spine's two sources: its persons, its probabilistic links and
 * model, all the incremental run takes from it (its result is dropped here, not held through the
 * timed runs).
 */
function previousQuarter(sources: readonly EncodedSource[]) {
  const previous = linkRecords(sources.slice(0, 2), linkSettings());
  const keep: number[] = [];
  for (let i = 0; i < previous.links.length; i++) if (previous.links.method[i] === LINK_PROBABILISTIC) keep.push(i);
  const prior: PriorLinks = { a: Int32Array.from(keep, (i) => previous.links.left[i]), b: Int32Array.from(keep, (i) => previous.links.right[i]), length: keep.length };
  const total = sources.reduce((n, s) => n + s.size, 0);
  const priorPerson = new Float64Array(total).fill(Number.NaN);
  for (let g = 0; g < previous.clusters.length; g++) priorPerson[g] = previous.clusters[g] + 1;
  return {
    prior, priorPerson, persons: previous.clusterCount,
    threshold: previous.report.settings.threshold,
    startM: previous.report.model.fields.map((f) => f.levels.map((l) => l.m)),
  };
}

/** Links a spine of ~`spine` persons and ~`fresh` new records both ways, `runs` times each. */
export function compareIncremental(spine: number, fresh: number, runs = 1, seed = 7, data: IncrementalData = defaultData(spine)): IncrementalCase {
  let t = performance.now();
  const quarter = data === 'turnaround' ? turnaroundQuarterOf(spine, fresh, seed) : belgianQuarter(spine, fresh, seed);
  const { sources } = quarter;
  const records = sources.reduce((n, s) => n + s.size, 0);
  const prepareMs = performance.now() - t;
  progress(`${data} data: ${sources.map((s) => `${s.name} ${s.size}`).join(', ')} records generated and encoded in ${(prepareMs / 1000).toFixed(1)} s`);
  t = performance.now();
  const previous = previousQuarter(sources);
  const previousMs = performance.now() - t;
  progress(`previous quarter linked in ${(previousMs / 1000).toFixed(1)} s: ${previous.persons} persons`);
  const newSources = [false, false, true];

  const full = { ms: [] as number[], f1: Number.NaN, candidatePairs: 0 };
  const incremental = { ms: [] as number[], f1: Number.NaN, candidatePairs: 0 };
  for (let run = 0; run < runs; run++) {
    const last = run === runs - 1;
    collectGarbage();
    t = performance.now();
    let fullResult: LinkResult | null = linkRecords(sources, linkSettings());
    full.ms.push(performance.now() - t);
    progress(`full relink ${run + 1} of ${runs}: ${(full.ms[run] / 1000).toFixed(1)} s`);
    const stages = (r: LinkResult) => ({ ...r.report.timings_ms, candidate_pairs: r.report.blocking.candidate_pairs });
    const fullStages = stages(fullResult);
    full.candidatePairs = fullResult.report.blocking.candidate_pairs;
    // Scored now, untimed, so that the incremental run does not carry the full relink's result.
    if (last) full.f1 = quarter.f1(fullResult);
    fullResult = null;
    collectGarbage();
    t = performance.now();
    const result = linkRecords(sources, linkSettings({ threshold: previous.threshold, startM: previous.startM }), {}, { newSources, prior: previous.prior });
    const linked = performance.now();
    personContinuity({ result, prior: previous.priorPerson, newSources, fields: [], deliveries: sources.map((s) => s.name) });
    incremental.ms.push(performance.now() - t);
    if (stagesOn()) {
      const continuity = Math.round(performance.now() - linked);
      process.stderr.write(`${JSON.stringify({ full: fullStages, incremental: { ...stages(result), continuity } })}\n`);
    }
    incremental.candidatePairs = result.report.blocking.candidate_pairs;
    if (last) incremental.f1 = quarter.f1(result, previous.prior);
    progress(`incremental run ${run + 1} of ${runs}: ${(incremental.ms[run] / 1000).toFixed(1)} s`);
  }
  return {
    data,
    spinePersons: previous.persons,
    newRecords: sources[2].size,
    firstTimeRecords: firstTimeRecords(quarter.persons),
    records,
    prepareMs,
    previousMs,
    full,
    incremental,
  };
}

/** The process's peak resident set (VmHWM) in bytes, or null where /proc is not there. */
function peakRss(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m === null ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}

const bench: Benchmark = {
  name: 'incremental',
  description: 'incremental linkage of new records against a person spine vs a full relink (--spine N persons, --new M records, --data belgian|turnaround)',
  run(opts: BenchOptions): BenchResult[] {
    const spine = opts.spine ?? 200_000;
    const fresh = opts.new ?? Math.round(spine / 6);
    const data = opts.data ?? defaultData(spine);
    if (!INCREMENTAL_DATA.includes(data as IncrementalData)) throw new Error(`--data must be one of ${INCREMENTAL_DATA.join(', ')}`);
    const runs = spine >= 500_000 ? 1 : opts.runs;
    const c = compareIncremental(spine, fresh, runs, 7, data as IncrementalData);
    const full = median(c.full.ms); const incr = median(c.incremental.ms);
    const scoredOn = c.data === 'turnaround' ? 'pairwise over clusters' : 'on stored links';
    const tag = `spine ${c.spinePersons} persons, ${c.newRecords} new records (${c.firstTimeRecords} of first-time persons), ${c.data} data`;
    const hwm = peakRss();
    return [
      { bench: 'incremental', metric: `link time, ${tag}`, value: Math.round(incr), unit: 'ms', peer: 'full relink', peer_value: Math.round(full), ratio: incr / full },
      { bench: 'incremental', metric: `F1 ${scoredOn}, ${tag}`, value: Number(c.incremental.f1.toFixed(5)), unit: 'F1', peer: 'full relink', peer_value: Number(c.full.f1.toFixed(5)), ratio: c.incremental.f1 / c.full.f1 },
      { bench: 'incremental', metric: `candidate pairs, ${tag}`, value: c.incremental.candidatePairs, unit: 'pairs', peer: 'full relink', peer_value: c.full.candidatePairs, ratio: c.incremental.candidatePairs / c.full.candidatePairs },
      { bench: 'incremental', metric: `untimed: ${c.records} records generated and encoded, ${tag}`, value: Math.round(c.prepareMs), unit: 'ms', peer: null, peer_value: null, ratio: null },
      { bench: 'incremental', metric: `untimed: the previous quarter linked (the spine), ${tag}`, value: Math.round(c.previousMs), unit: 'ms', peer: null, peer_value: null, ratio: null },
      ...(hwm === null ? [] : [{ bench: 'incremental', metric: `peak RSS (VmHWM) of the process, data included, ${tag}`, value: Number((hwm / 1e9).toFixed(2)), unit: 'GB', peer: null, peer_value: null, ratio: null }]),
    ];
  },
};

export default bench;
