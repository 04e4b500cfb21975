/**
 * The linkage report (report.json; rendered by `report-html.ts`): counts per stage and method,
 * the estimated model, the match-weight histogram, the model's own estimate of precision and
 * recall, null and invalid counts per field, time per stage. Counts and parameters only: no
 * record id, name, number or date.
 */

import type { Assigned } from './assignment.js';
import type { Blocked, BlockingRule, RuleSet } from './blocking.js';
import { clusterShapes, type Linked } from './clusters.js';
import { disagreeingLinks, type Compared, type ComparisonSpec } from './comparison.js';
import type { DeterministicOutcome } from './deterministic.js';
import { TOKEN_SLOTS } from '../pseudonymise/encoded-source.js';
import type { Estimated } from './estimation.js';
import type { LinkFrame } from './link-frame.js';
import { LINK_DETERMINISTIC } from './link-method.js';
import type { LinkSettings } from './link-settings.js';
import { usesTermFrequency, weightHistogram, type Scored } from './scoring.js';
import { chooseThreshold } from './threshold.js';

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

/** The results of the probabilistic pass's stages, in the order they ran. */
export interface ProbabilisticStages {
  readonly ruleSet: RuleSet;
  readonly blocked: Blocked;
  readonly compared: Compared;
  readonly estimated: Estimated;
  readonly scored: Scored;
  readonly assigned: Assigned;
}

export interface ReportInput {
  readonly frame: LinkFrame;
  readonly settings: LinkSettings;
  readonly det: DeterministicOutcome | null;
  /** The probabilistic pass's stages, or why it was skipped (then it compared no pair). */
  readonly probabilistic: { readonly stages: ProbabilisticStages } | { readonly skippedBecause: string };
  readonly linked: Linked;
  readonly timings: Record<string, number>;
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

/** The report of one run, from its stages' results (counts and parameters only). */
export function buildReport(r: ReportInput): LinkReport {
  const stages = 'stages' in r.probabilistic ? r.probabilistic.stages : null;
  const choice = stages?.assigned.choice ?? chooseThreshold(new Float64Array(0), r.settings.threshold, r.settings.probabilityFloor);
  const { singletons, multiSource } = clusterShapes(r.frame.offsets, r.linked);
  const { links } = r.linked;
  let detLinks = 0;
  for (let i = 0; i < links.length; i++) if (links.method[i] === LINK_DETERMINISTIC) detLinks++;
  const candidatePairs = stages?.blocked.candidatePairs ?? 0;
  const comparablePairs = r.frame.comparablePairs;
  return {
    sources: sourceReports(r),
    settings: {
      fields: r.frame.specs.map((s) => ({ name: s.name, type: s.type })),
      one_to_one: r.settings.oneToOne,
      deduplicate: r.settings.deduplicate,
      threshold: round(choice.threshold),
      threshold_chosen_by: r.settings.threshold === null ? 'engine' : 'job',
    },
    deterministic: deterministicReport(r.det, r.frame.specs, stages?.compared.deterministic ?? null),
    probabilistic: { run: stages !== null, skipped_because: 'skippedBecause' in r.probabilistic ? r.probabilistic.skippedBecause : null },
    blocking: {
      rules: stages === null ? [] : ruleReports(r.frame, stages),
      candidate_pairs: candidatePairs,
      comparable_pairs: comparablePairs,
      reduction_ratio: comparablePairs === 0 ? 0 : round(1 - candidatePairs / comparablePairs, 9),
    },
    model: modelReport(r.frame, stages),
    scoring: {
      weight_histogram: weightHistogram(stages?.scored.all ?? new Float64Array(0)),
      pairs_above_floor: stages?.assigned.edges.order.length ?? 0,
    },
    assignment: { accepted: stages?.assigned.accepted ?? 0, rejected_by_uniqueness: stages?.assigned.rejected ?? 0 },
    links: { deterministic: detLinks, probabilistic: links.length - detLinks, total: links.length },
    clusters: { count: r.linked.clusterCount, singletons, multi_source: multiSource },
    estimate: {
      precision: round(choice.precision, 5),
      recall: round(choice.recall, 5),
      f1: round(choice.f1, 5),
      curve: choice.curve.map((c) => ({ threshold: c.threshold, precision: round(c.precision, 5), recall: round(c.recall, 5), links: c.links })),
    },
    timings_ms: r.timings,
  };
}

/** Per source: records, nulls and invalid values per field, records linked by each method. */
function sourceReports(r: ReportInput): SourceReport[] {
  const { sources, offsets } = r.frame;
  const { links } = r.linked;
  // The deterministic pass flagged the records of its links already (`settled`).
  const linkedDet = r.det?.settled ?? sources.map((s) => new Uint8Array(s.size));
  const linkedProb = sources.map((s) => new Uint8Array(s.size));
  const sourceOf = (g: number) => { let s = 0; while (offsets[s + 1] <= g) s++; return s; };
  for (let i = 0; i < links.length; i++) {
    if (links.method[i] === LINK_DETERMINISTIC) continue;
    const x = links.left[i]; const sx = sourceOf(x); linkedProb[sx][x - offsets[sx]] = 1;
    const y = links.right[i]; const sy = sourceOf(y); linkedProb[sy][y - offsets[sy]] = 1;
  }
  return sources.map((s, i) => {
    let d = 0; let p = 0; let none = 0;
    for (let x = 0; x < s.size; x++) {
      if (linkedDet[i][x]) d++; else if (linkedProb[i][x]) p++; else none++;
    }
    return {
      name: s.name, records: s.size, unique: s.unique,
      fields: Object.fromEntries(s.fields.map((f) => [f.name, { nulls: f.quality.nulls, invalid: f.quality.invalid }])),
      linked_deterministic: d, linked_probabilistic: p, unlinked: none,
    };
  });
}

/** The deterministic pass's counts, with its links whose names or dates clearly disagree. */
function deterministicReport(det: DeterministicOutcome | null, specs: readonly ComparisonSpec[], detLevels: readonly Uint8Array[][] | null): LinkReport['deterministic'] {
  // Without levels the probabilistic pass was skipped: the job has no name or date field either.
  const disagreeing = det === null || detLevels === null ? { names: 0, dates: 0, either: 0 } : disagreeingLinks(specs, det.lists, detLevels);
  return {
    enabled: det !== null,
    links: det?.links ?? 0,
    records_linked: (det?.settled ?? []).reduce((s, a) => s + ones(a), 0),
    conflicts: det?.conflicts ?? 0,
    oversized_groups: det?.oversizedGroups ?? 0,
    oversized_records: det?.oversizedRecords ?? 0,
    disagreeing,
  };
}

function ruleReports(frame: LinkFrame, stages: ProbabilisticStages): RuleReport[] {
  const ruleName = (rule: BlockingRule) => rule.map((k) => {
    const fi = frame.index[k.field];
    return k.slot === 0 ? fi.name : `${fi.name}.${TOKEN_SLOTS[fi.type][k.slot]}`;
  }).join(' & ');
  const { outcomes } = stages.blocked;
  return stages.ruleSet.rules.map((rule, i) => ({
    rule: ruleName(rule), chosen_by: stages.ruleSet.chosenBy, pairs: outcomes[i].pairs,
    skipped_blocks: outcomes[i].skippedBlocks, skipped_pairs: outcomes[i].skippedPairs,
  }));
}

/** The estimated model: m, u and weight per field and level, with the candidate pairs at each. */
function modelReport(frame: LinkFrame, stages: ProbabilisticStages | null): LinkReport['model'] {
  if (stages === null) {
    return {
      em_iterations: 0, em_converged: false, u_sample_pairs: 0, distinct_patterns: 0, match_share: 0, expected_matches: 0,
      prior_weight: 0, m_from_deterministic_links: false, m_held: false, fields: [],
    };
  }
  const { estimate, uPairs, prior, mFromDeterministic, mHeld } = stages.estimated;
  const { params } = estimate;
  const { table } = stages.scored;
  const { specs } = frame;
  const levelPairs = specs.map((s) => new Array<number>(s.levels.length).fill(0));
  stages.blocked.lists.forEach((list, i) => {
    for (let f = 0; f < specs.length; f++) { const lv = stages.compared.candidates[i][f]; for (let p = 0; p < list.length; p++) levelPairs[f][lv[p]]++; }
  });
  return {
    em_iterations: estimate.iterations,
    em_converged: estimate.converged,
    u_sample_pairs: uPairs,
    distinct_patterns: estimate.distinctPatterns,
    match_share: round(params.lambda, 9),
    expected_matches: Math.round(estimate.matches),
    prior_weight: round(prior, 4),
    m_from_deterministic_links: mFromDeterministic,
    m_held: mHeld,
    fields: specs.map((spec, f) => ({
      name: spec.name, type: spec.type, term_frequency: usesTermFrequency(spec),
      levels: spec.levels.map((label, l) => ({
        label,
        m: l === 0 ? 0 : round(params.m[f][l]),
        u: l === 0 ? 0 : round(params.u[f][l], 9),
        weight: l === 0 ? 0 : round(table.weights[table.offsets[f] + l], 4),
        pairs: levelPairs[f][l],
      })),
    })),
  };
}
