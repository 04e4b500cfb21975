/**
 * The linkage report (report.json; rendered by `report-html.ts`): counts per stage and method,
 * the estimated model, the match-weight histogram, the model's own estimate of precision and
 * recall, null and invalid counts per field, time per stage. Counts and parameters only: no
 * record id, name, number or date.
 */

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
