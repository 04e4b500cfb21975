/**
 * Estimating the model (m, u and the number of matches) without labels.
 *
 * Candidate pairs are not random pairs: under the rule `surname & postcode` every pair agrees on
 * surname and postcode, matches or not, so an EM over all candidates with u from random pairs
 * mistakes nearly every candidate for a match. As Splink does, m is therefore estimated once
 * per blocking rule over the pairs that rule selects, with the rule's own fields left out of the
 * patterns (they carry no information there), and the per-rule estimates are pooled per field,
 * weighted by the matches each rule found. u comes from random pairs; the number of matches
 * follows from each rule's matches divided by the rule's estimated recall (the product over its
 * fields of the share of matches that agree on them).
 */
import type { Blocked, PairList, RuleSet } from './blocking.js';
import type { Compared, ComparisonSpec } from './comparison.js';
import type { DeterministicOutcome } from './deterministic.js';
import { initialM, MIN_M, priorWeight, runEm, weightTable, type FsParams } from './fellegi-sunter.js';
import type { LinkFrame } from './link-frame.js';
import type { LinkSettings } from './link-settings.js';
import { rulePatternHistograms, type RulePairs } from './pattern-histogram.js';
import { sampleU, uFromHistogram, type USample } from './u-sampling.js';

export interface RuleEstimate {
  /** Pairs satisfying the rule (outside skipped blocks). */
  readonly pairs: number;
  /** Estimated matches among them. */
  readonly matches: number;
  /** Estimated share of all matches the rule selects. */
  readonly recall: number;
  readonly iterations: number;
}

export interface ModelEstimate {
  readonly params: FsParams;
  /** Expected matches among the pairs the probabilistic pass may link. */
  readonly matches: number;
  readonly rules: RuleEstimate[];
  readonly iterations: number;
  readonly converged: boolean;
  readonly distinctPatterns: number;
}

export interface EstimationInput extends RulePairs {
  readonly specs: readonly ComparisonSpec[];
  readonly uSample: USample;
  /** Starting m (e.g. measured on deterministic links), or null for the generic start. */
  readonly startM: Float64Array[] | null;
  /** Fields whose m is given, never estimated (the national id). */
  readonly fixedM: readonly boolean[];
  /** Comparable pairs the probabilistic pass covers (not both settled deterministically). */
  readonly comparablePairs: number;
  /** All comparable pairs, and the matches among them already known (deterministic links). */
  readonly allPairs: number;
  readonly knownMatches: number;
  /** Per rule, its masked pattern histogram, when the engine counted them; else counted here from the pairs. */
  readonly ruleHistograms?: RuleHistograms;
}

/** Per rule: the histogram of the patterns of its pairs with its own fields masked, and its pairs. */
export type RuleHistograms = ReturnType<typeof rulePatternHistograms>;

export function estimateModel(input: EstimationInput): ModelEstimate {
  const { specs, rules, fixedM } = input;
  const levelCounts = specs.map((s) => s.levels.length);
  const F = specs.length;
  const start = input.startM ?? initialM(levelCounts);
  const params: FsParams = { m: start.map((m) => m.slice()), u: input.uSample.u.map((u) => u.slice()), lambda: 0.01 };

  const ruleHistograms = input.ruleHistograms ?? rulePatternHistograms(input);
  const ruleEstimates: RuleEstimate[] = [];
  let iterations = 0;
  let converged = true;
  let distinctPatterns = 0;
  let matches = 0;
  // Two rounds: the second re-estimates u from random pairs weighted by their non-match
  // probability under the first round's model (a few random pairs are matches).
  for (let round = 0; round < 2; round++) {
    const pooled = levelCounts.map((L) => new Float64Array(L));
    const pooledWeight = new Float64Array(F);
    ruleEstimates.length = 0;
    distinctPatterns = 0;
    rules.forEach((rule, r) => {
      const masked = new Set(rule.map((k) => k.field));
      const { hist, pairs } = ruleHistograms[r];
      distinctPatterns += hist.size;
      const local: FsParams = { m: params.m.map((m) => m.slice()), u: params.u, lambda: 0.01 };
      const fixed = specs.map((_, f) => fixedM[f] || masked.has(f));
      const outcome = hist.size > 0 ? runEm(hist, local, levelCounts, { fixedM: fixed }) : { iterations: 0, converged: true };
      iterations += outcome.iterations;
      converged &&= outcome.converged;
      const found = local.lambda * pairs;
      for (let f = 0; f < F; f++) {
        if (fixed[f]) continue;
        for (let l = 1; l < levelCounts[f]; l++) pooled[f][l] += found * local.m[f][l];
        pooledWeight[f] += found;
      }
      ruleEstimates.push({ pairs, matches: found, recall: 1, iterations: outcome.iterations });
    });
    for (let f = 0; f < F; f++) {
      if (pooledWeight[f] <= 0) continue;
      for (let l = 1; l < levelCounts[f]; l++) params.m[f][l] = pooled[f][l] / pooledWeight[f];
    }
    // Matches overall: each rule's matches over its recall, averaged weighted by matches found.
    let num = 0; let den = 0;
    rules.forEach((rule, r) => {
      let recall = 1;
      for (const key of rule) {
        const m = params.m[key.field];
        recall *= key.slot === 0 ? m[1] : Math.max(0.05, 1 - m[m.length - 1]);
      }
      recall = Math.min(1, Math.max(recall, 0.01));
      const e = ruleEstimates[r];
      ruleEstimates[r] = { ...e, recall };
      num += e.matches * (e.matches / recall);
      den += e.matches;
    });
    matches = den > 0 ? num / den : 0;
    params.lambda = clampShare(matches / Math.max(input.comparablePairs, 1));
    if (round === 0) refineU(params, input.uSample, levelCounts, clampShare((matches + input.knownMatches) / Math.max(input.allPairs, 1)));
  }
  return { params, matches, rules: ruleEstimates, iterations, converged, distinctPatterns };
}

/** u again from the random pairs, each weighted by its probability of being a non-match. */
function refineU(params: FsParams, sample: USample, levelCounts: readonly number[], share: number): void {
  const F = levelCounts.length;
  const table = weightTable(params, levelCounts);
  const prior = priorWeight(share);
  const hist = sample.histogram;
  const nonMatch = new Float64Array(hist.size);
  for (let d = 0; d < hist.size; d++) {
    let w = prior;
    for (let f = 0; f < F; f++) w += table.weights[table.offsets[f] + hist.levels[d * F + f]];
    nonMatch[d] = 1 - 1 / (1 + Math.pow(2, -w));
  }
  const refined = uFromHistogram(hist, levelCounts, nonMatch);
  for (let f = 0; f < F; f++) params.u[f].set(refined[f]);
}

function clampShare(x: number): number {
  return Math.min(0.5, Math.max(1e-12, x));
}

/** Deterministic links from which m is measured on them and not re-estimated by EM. */
const M_FROM_LINKS_MIN = 1000;
/** Deterministic links from which m starts from them (EM still moves it). */
const M_START_LINKS_MIN = 30;

/** The estimation stage's result: the model, and where its m came from. */
export interface Estimated {
  readonly estimate: ModelEstimate;
  /** Random pairs u was estimated on. */
  readonly uPairs: number;
  /** log2 of the prior odds of a match among the pairs the pass may link. */
  readonly prior: number;
  readonly mFromDeterministic: boolean;
  /** m measured on the deterministic links and held (EM estimated only the match share). */
  readonly mHeld: boolean;
}

/**
 * The estimation stage of a run: u from random pairs, m per blocking rule by EM (started from,
 * or held at, m measured on the deterministic links), the number of matches.
 */
export function estimateStage(
  frame: LinkFrame, settings: LinkSettings, det: DeterministicOutcome | null, ruleSet: RuleSet, blocked: Blocked, compared: Compared,
  saturated: (s: number, t: number) => Uint8Array | null, ruleHistograms?: RuleHistograms,
): Estimated {
  const { sources, sourcePairs, index, specs } = frame;
  const uSample = sampleU(sources, sourcePairs, index, specs, settings.uSamplePairs);
  // With enough deterministic links (equal valid national numbers: known matches), m of every
  // field is measured on them and held: EM over one blocking rule's pairs can otherwise take a
  // cluster of look-alike non-matches (namesakes in one postcode) for the matches.
  const mKnown = det !== null && det.links >= M_FROM_LINKS_MIN;
  const fixedM = specs.map((s) => mKnown || s.type === 'national_id');
  const startM = startingM(frame, det, blocked, compared, mKnown, carriedM(settings.startM, frame.levelCounts));
  const estimate = estimateModel({
    specs, rules: ruleSet.rules, ruleKeys: ruleSet.keys, skippedBlocks: blocked.outcomes.map((o) => o.skippedBlocks),
    lists: blocked.lists, listLevels: compared.candidates, uSample, startM, fixedM,
    comparablePairs: Math.max(openPairs(frame, saturated), 1), allPairs: frame.comparablePairs, knownMatches: det?.links ?? 0,
    ruleHistograms,
  });
  return {
    estimate, uPairs: uSample.pairs, prior: priorWeight(estimate.params.lambda),
    mFromDeterministic: startM !== null && det !== null && det.links >= M_START_LINKS_MIN, mHeld: mKnown,
  };
}

/** m to start EM from: measured on the deterministic links where there are enough, else null (the generic start). */
function startingM(frame: LinkFrame, det: DeterministicOutcome | null, blocked: Blocked, compared: Compared, mKnown: boolean, carried: Float64Array[] | null): Float64Array[] | null {
  const { levelCounts, specs } = frame;
  let startM: Float64Array[] | null = null;
  if (det !== null && det.links >= M_START_LINKS_MIN) startM = mFromPairs(initialM(levelCounts), det.lists, compared.deterministic, levelCounts);
  // Held m keeps EM's floor: a level no known match showed is rare, not impossible.
  if (mKnown && startM !== null) for (const m of startM) floorM(m);
  const nid = frame.index.findIndex((fi) => fi.type === 'national_id');
  if (nid >= 0) {
    startM ??= carried ?? initialM(levelCounts);
    // A true match with two valid, different national numbers is rare (a valid-looking typo, a
    // BIS number replaced by a national register number): measured where the data allows it.
    const different = nationalIdDifferentShare(specs, nid, blocked.lists, compared.candidates, det, compared.deterministic) ?? NATIONAL_ID_DIFFERENT_DEFAULT;
    startM[nid][1] = 1 - different; startM[nid][2] = different;
  }
  return startM ?? carried;
}

/** A carried model's m as EM's start, when it has this run's fields and levels; else null. */
function carriedM(m: LinkSettings['startM'], levelCounts: readonly number[]): Float64Array[] | null {
  if (m === null || m.length !== levelCounts.length) return null;
  if (m.some((levels, f) => levels.length !== levelCounts[f] || levels.some((x) => !Number.isFinite(x) || x < 0 || x > 1))) return null;
  return m.map((levels) => Float64Array.from(levels));
}

/** Pairs the probabilistic pass can still link: neither side saturated towards the other's source. */
function openPairs(frame: LinkFrame, saturated: (s: number, t: number) => Uint8Array | null): number {
  const { sources } = frame;
  return frame.sourcePairs.reduce((sum, sp) => {
    const a = sources[sp.left].size - count(saturated(sp.left, sp.right));
    const b = sources[sp.right].size - count(saturated(sp.right, sp.left));
    return sum + (sp.left === sp.right ? (a * (a - 1)) / 2 : a * b);
  }, 0);
}

function count(flags: Uint8Array | null): number {
  if (flags === null) return 0;
  let n = 0;
  for (let i = 0; i < flags.length; i++) n += flags[i];
  return n;
}

/** m measured on deterministic links (known matches), with half a pair of smoothing per level. */
function mFromPairs(m: Float64Array[], lists: readonly PairList[], levels: readonly Uint8Array[][], levelCounts: readonly number[]): Float64Array[] {
  levelCounts.forEach((L, f) => {
    const c = new Float64Array(L);
    lists.forEach((list, i) => { const lv = levels[i][f]; for (let p = 0; p < list.length; p++) c[lv[p]]++; });
    let sum = 0;
    for (let l = 1; l < L; l++) sum += c[l] + 0.5;
    if (sum <= 0.5 * (L - 1)) return; // never present together: keep the prior
    for (let l = 1; l < L; l++) m[f][l] = (c[l] + 0.5) / sum;
  });
  return m;
}

/** m of "two valid, different national numbers" where the data cannot measure it. */
const NATIONAL_ID_DIFFERENT_DEFAULT = 0.01;
/** Pairs agreeing exactly on every other field, with equal numbers, needed to measure it. */
const NATIONAL_ID_EVIDENCE_MIN = 100;

/**
 * The share of near-certain matches whose valid national numbers differ: among pairs that
 * agree exactly on every other field, those with different numbers (candidate pairs) over all
 * of them (deterministic links have equal numbers). Twins alike in every other field count as
 * such matches, so the estimate errs high, never low. Null without enough such pairs.
 */
function nationalIdDifferentShare(
  specs: readonly ComparisonSpec[], nid: number, lists: readonly PairList[], listLevels: readonly Uint8Array[][],
  det: DeterministicOutcome | null, detLevels: readonly Uint8Array[][],
): number | null {
  const others = specs.map((_, f) => f).filter((f) => f !== nid);
  if (others.length === 0 || det === null) return null;
  const allExact = (levels: readonly Uint8Array[], p: number) => {
    for (const f of others) if (levels[f][p] !== 1) return false;
    return true;
  };
  let same = 0;
  det.lists.forEach((list, i) => { for (let p = 0; p < list.length; p++) if (allExact(detLevels[i], p)) same++; });
  if (same < NATIONAL_ID_EVIDENCE_MIN) return null;
  let different = 0;
  lists.forEach((list, i) => {
    const lv = listLevels[i];
    for (let p = 0; p < list.length; p++) if (lv[nid][p] === 2 && allExact(lv, p)) different++;
  });
  return Math.min(0.5, Math.max(MIN_M, different / (same + different)));
}

/** At least `MIN_M` at every non-null level, as EM leaves it, the levels summing to 1 again. */
function floorM(m: Float64Array): void {
  let norm = 0;
  for (let l = 1; l < m.length; l++) norm += Math.max(m[l], MIN_M);
  for (let l = 1; l < m.length; l++) m[l] = Math.max(m[l], MIN_M) / norm;
}
