/**
 * The linkage report (report.json; rendered by `report-html.ts`): counts per stage and method,
 * the estimated model, the match-weight histogram, the model's own estimate of precision and
 * recall, null and invalid counts per field, time per stage. Counts and parameters only: no
 * record id, name, number or date.
 */

import type { BlockingRule, PairList } from './blocking.js';
import type { ComparisonSpec } from './comparison.js';
import type { DeterministicOutcome } from './deterministic.js';
import { TOKEN_SLOTS, type EncodedSource } from '../pseudonymise/encoded-source.js';
import type { FsParams } from './fellegi-sunter.js';
import type { FieldIndex } from './field-index.js';
import type { LinkSettings } from './link-settings.js';
import { usesTermFrequency } from './scoring.js';
import type { ThresholdChoice } from './threshold.js';

export const METHOD_DETERMINISTIC = 0;
export const METHOD_PROBABILISTIC = 1;

/** Accepted links in global record numbering (`offsets[s] + record`), left source first. */
export interface LinkTable {
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly probability: Float64Array;
  /** Match weight (log2 Bayes factor incl. prior); NaN for deterministic links. */
  readonly weight: Float64Array;
  readonly method: Uint8Array;
  readonly length: number;
}

export interface LevelReport {
  readonly label: string;
  readonly m: number;
  readonly u: number;
  /** log2(m / u), before term-frequency adjustment. */
  readonly weight: number;
  /** Candidate pairs at this level. */
  readonly pairs: number;
}

export interface FieldModelReport {
  readonly name: string;
  readonly type: string;
  readonly term_frequency: boolean;
  readonly levels: readonly LevelReport[];
}

export interface SourceReport {
  readonly name: string;
  readonly records: number;
  readonly unique: boolean;
  readonly fields: Readonly<Record<string, { nulls: number; invalid: number }>>;
  readonly linked_deterministic: number;
  readonly linked_probabilistic: number;
  readonly unlinked: number;
}

export interface RuleReport {
  readonly rule: string;
  readonly chosen_by: 'engine' | 'job';
  readonly pairs: number;
  readonly skipped_blocks: number;
  readonly skipped_pairs: number;
}

export interface LinkReport {
  readonly sources: SourceReport[];
  readonly settings: {
    readonly fields: readonly { name: string; type: string }[];
    readonly one_to_one: boolean;
    readonly deduplicate: boolean;
    readonly threshold: number;
    readonly threshold_chosen_by: 'engine' | 'job';
  };
  readonly deterministic: {
    readonly enabled: boolean;
    readonly links: number;
    readonly records_linked: number;
    readonly conflicts: number;
    readonly oversized_groups: number;
    readonly oversized_records: number;
    /** Deterministic links whose names or birth dates clearly disagree (a data-quality signal). */
    readonly disagreeing: { readonly names: number; readonly dates: number; readonly either: number };
  };
  /**
   * Whether the probabilistic pass ran. It is skipped, not run on nothing, when no field but the
   * national number is given: then blocking, model, scoring and assignment report zeros and the
   * model lists no field.
   */
  readonly probabilistic: {
    readonly run: boolean;
    readonly skipped_because: string | null;
  };
  readonly blocking: {
    readonly rules: RuleReport[];
    readonly candidate_pairs: number;
    readonly comparable_pairs: number;
    /** 1 - candidate / comparable pairs. */
    readonly reduction_ratio: number;
  };
  readonly model: {
    readonly em_iterations: number;
    readonly em_converged: boolean;
    readonly u_sample_pairs: number;
    readonly distinct_patterns: number;
    /** Estimated share of matches among candidate pairs. */
    readonly match_share: number;
    readonly expected_matches: number;
    readonly prior_weight: number;
    readonly m_from_deterministic_links: boolean;
    /** m measured on the deterministic links and held (EM estimated only the match share). */
    readonly m_held: boolean;
    readonly fields: FieldModelReport[];
  };
  readonly scoring: {
    /** Match-weight histogram of candidate pairs: `counts[i]` pairs in [edges[i], edges[i+1]). */
    readonly weight_histogram: { readonly edges: number[]; readonly counts: number[] };
    readonly pairs_above_floor: number;
  };
  readonly assignment: {
    readonly accepted: number;
    readonly rejected_by_uniqueness: number;
  };
  readonly links: { readonly deterministic: number; readonly probabilistic: number; readonly total: number };
  readonly clusters: { readonly count: number; readonly singletons: number; readonly multi_source: number };
  /** The model's own estimate for the probabilistic links (from match probabilities). */
  readonly estimate: {
    readonly precision: number;
    readonly recall: number;
    readonly f1: number;
    /** Estimated precision and recall at other thresholds, for the threshold curve. */
    readonly curve: readonly { threshold: number; precision: number; recall: number; links: number }[];
  };
  readonly timings_ms: Record<string, number>;
}

/** Histogram of `values[0..length)` over fixed-width bins covering their range. */
export function histogram(values: Float64Array, length: number, bins = 40): { edges: number[]; counts: number[] } {
  if (length === 0) return { edges: [], counts: [] };
  let lo = Infinity; let hi = -Infinity;
  for (let i = 0; i < length; i++) { const v = values[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
  lo = Math.floor(lo); hi = Math.ceil(hi);
  if (hi <= lo) hi = lo + 1;
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < length; i++) counts[Math.min(bins - 1, Math.floor((values[i] - lo) / width))]++;
  const edges = Array.from({ length: bins + 1 }, (_, i) => Math.round((lo + i * width) * 1000) / 1000);
  return { edges, counts };
}

export interface ReportInput {
  probabilistic: { run: boolean; skippedBecause: string | null };
  sources: readonly EncodedSource[]; settings: LinkSettings; specs: readonly ComparisonSpec[]; index: readonly FieldIndex[];
  params: FsParams; hist: { size: number }; listLevels: Uint8Array[][]; lists: PairList[];
  det: DeterministicOutcome | null; detLevels: Uint8Array[][]; rules: BlockingRule[]; chosenBy: 'engine' | 'job';
  outcomes: { pairs: number; skippedBlocks: number; skippedPairs: number }[]; candidatePairs: number; comparablePairs: number;
  em: { iterations: number; converged: boolean }; uPairs: number; expectedMatches: number; prior: number;
  mFromDeterministic: boolean; mHeld: boolean; allWeights: Float64Array; edgesAboveFloor: number; accepted: number; rejected: number;
  links: LinkTable; offsets: Int32Array; clusters: Int32Array; clusterCount: number;
  choice: ThresholdChoice; timings: Record<string, number>;
  table: { offsets: Int32Array; weights: Float64Array };
}

function ones(flags: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < flags.length; i++) n += flags[i];
  return n;
}

function round(x: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The report of one run, from the engine's intermediate results (counts and parameters only). */
export function buildReport(r: ReportInput): LinkReport {
  const S = r.sources.length;
  const F = r.specs.length;
  // Link counts per source and method.
  // The deterministic pass flagged the records of its links already (`settled`).
  const linkedDet = r.det?.settled ?? r.sources.map((s) => new Uint8Array(s.size));
  const linkedProb = r.sources.map((s) => new Uint8Array(s.size));
  const sourceOf = (g: number) => { let s = 0; while (r.offsets[s + 1] <= g) s++; return s; };
  let detLinks = 0;
  for (let i = 0; i < r.links.length; i++) {
    if (r.links.method[i] === METHOD_DETERMINISTIC) { detLinks++; continue; }
    const x = r.links.left[i]; const sx = sourceOf(x); linkedProb[sx][x - r.offsets[sx]] = 1;
    const y = r.links.right[i]; const sy = sourceOf(y); linkedProb[sy][y - r.offsets[sy]] = 1;
  }
  const levelPairs = r.specs.map((s) => new Array<number>(s.levels.length).fill(0));
  r.lists.forEach((list, i) => {
    for (let f = 0; f < F; f++) { const lv = r.listLevels[i][f]; for (let p = 0; p < list.length; p++) levelPairs[f][lv[p]]++; }
  });
  // Deterministic links whose names or dates clearly disagree.
  let nameDis = 0; let dateDis = 0; let either = 0;
  const nameFields = r.specs.filter((s) => s.type === 'given_name' || s.type === 'surname' || s.type === 'name').map((s) => s.field);
  const dateFields = r.specs.filter((s) => s.type === 'date').map((s) => s.field);
  // Only a name or date field can disagree: without one the loop has nothing to count.
  if (nameFields.length + dateFields.length > 0) (r.det?.lists ?? []).forEach((list, i) => {
    const lv = r.detLevels[i];
    for (let p = 0; p < list.length; p++) {
      const names = nameFields.length > 0 && nameFields.every((f) => lv[f][p] === r.specs[f].levels.length - 1);
      const dates = dateFields.some((f) => lv[f][p] === r.specs[f].levels.length - 1);
      if (names) nameDis++;
      if (dates) dateDis++;
      if (names || dates) either++;
    }
  });
  // Per cluster, side by side (one cache line per cluster): its size and a bitmask of the
  // sources it holds (at most 32 sources).
  const perCluster = new Int32Array(r.clusterCount * 2);
  for (let s = 0; s < S; s++) {
    const bit = 1 << s;
    for (let g = r.offsets[s]; g < r.offsets[s + 1]; g++) {
      const c = r.clusters[g] * 2;
      perCluster[c]++;
      perCluster[c + 1] |= bit;
    }
  }
  let singletons = 0; let multiSource = 0;
  for (let c = 0; c < r.clusterCount * 2; c += 2) {
    if (perCluster[c] === 1) singletons++;
    const mask = perCluster[c + 1];
    if ((mask & (mask - 1)) !== 0) multiSource++;
  }

  const ruleName = (rule: BlockingRule) => rule.map((k) => {
    const fi = r.index[k.field];
    return k.slot === 0 ? fi.name : `${fi.name}.${TOKEN_SLOTS[fi.type][k.slot]}`;
  }).join(' & ');
  const rules: RuleReport[] = r.rules.map((rule, i) => ({
    rule: ruleName(rule), chosen_by: r.chosenBy, pairs: r.outcomes[i].pairs,
    skipped_blocks: r.outcomes[i].skippedBlocks, skipped_pairs: r.outcomes[i].skippedPairs,
  }));
  const probLinks = r.links.length - detLinks;
  return {
    sources: r.sources.map((s, i) => {
      let d = 0; let p = 0; let none = 0;
      for (let x = 0; x < s.size; x++) {
        if (linkedDet[i][x]) d++; else if (linkedProb[i][x]) p++; else none++;
      }
      return {
        name: s.name, records: s.size, unique: s.unique,
        fields: Object.fromEntries(s.fields.map((f) => [f.name, { nulls: f.quality.nulls, invalid: f.quality.invalid }])),
        linked_deterministic: d, linked_probabilistic: p, unlinked: none,
      };
    }),
    settings: {
      fields: r.specs.map((s) => ({ name: s.name, type: s.type })),
      one_to_one: r.settings.oneToOne,
      deduplicate: r.settings.deduplicate,
      threshold: round(r.choice.threshold),
      threshold_chosen_by: r.settings.threshold === null ? 'engine' : 'job',
    },
    deterministic: {
      enabled: r.det !== null,
      links: r.det?.links ?? 0,
      records_linked: (r.det?.settled ?? []).reduce((s, a) => s + ones(a), 0),
      conflicts: r.det?.conflicts ?? 0,
      oversized_groups: r.det?.oversizedGroups ?? 0,
      oversized_records: r.det?.oversizedRecords ?? 0,
      disagreeing: { names: nameDis, dates: dateDis, either },
    },
    probabilistic: { run: r.probabilistic.run, skipped_because: r.probabilistic.skippedBecause },
    blocking: {
      rules,
      candidate_pairs: r.candidatePairs,
      comparable_pairs: r.comparablePairs,
      reduction_ratio: r.comparablePairs === 0 ? 0 : round(1 - r.candidatePairs / r.comparablePairs, 9),
    },
    model: {
      em_iterations: r.em.iterations,
      em_converged: r.em.converged,
      u_sample_pairs: r.uPairs,
      distinct_patterns: r.hist.size,
      match_share: round(r.params.lambda, 9),
      expected_matches: Math.round(r.expectedMatches),
      prior_weight: round(r.prior, 4),
      m_from_deterministic_links: r.mFromDeterministic,
      m_held: r.mHeld,
      fields: !r.probabilistic.run ? [] : r.specs.map((spec, f) => ({
        name: spec.name, type: spec.type, term_frequency: usesTermFrequency(spec),
        levels: spec.levels.map((label, l) => ({
          label,
          m: l === 0 ? 0 : round(r.params.m[f][l]),
          u: l === 0 ? 0 : round(r.params.u[f][l], 9),
          weight: l === 0 ? 0 : round(r.table.weights[r.table.offsets[f] + l], 4),
          pairs: levelPairs[f][l],
        })),
      })),
    },
    scoring: {
      weight_histogram: histogram(r.allWeights, r.allWeights.length),
      pairs_above_floor: r.edgesAboveFloor,
    },
    assignment: { accepted: r.accepted, rejected_by_uniqueness: r.rejected },
    links: { deterministic: detLinks, probabilistic: probLinks, total: r.links.length },
    clusters: { count: r.clusterCount, singletons, multi_source: multiSource },
    estimate: {
      precision: round(r.choice.precision, 5),
      recall: round(r.choice.recall, 5),
      f1: round(r.choice.f1, 5),
      curve: r.choice.curve.map((c) => ({ threshold: c.threshold, precision: round(c.precision, 5), recall: round(c.recall, 5), links: c.links })),
    },
    timings_ms: r.timings,
  };
}
