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
import type { BlockingRule, PairList } from './blocking.js';
import type { ComparisonSpec } from './comparison.js';
import { initialM, priorWeight, runEm, weightTable, type FsParams } from './fellegi-sunter.js';
import { PatternCounter, type PatternHistogram } from './pattern-histogram.js';
import { uFromHistogram, type USample } from './u-sampling.js';

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

export interface EstimationInput {
  readonly specs: readonly ComparisonSpec[];
  readonly rules: readonly BlockingRule[];
  /** ruleKeys[rule][source][record]. */
  readonly ruleKeys: readonly Int32Array[][];
  /** Per rule, the blocks it skipped for size (then its pairs may be anywhere in the lists). */
  readonly skippedBlocks?: readonly number[];
  readonly lists: readonly PairList[];
  readonly listLevels: readonly Uint8Array[][];
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
}

export function estimateModel(input: EstimationInput): ModelEstimate {
  const { specs, rules, fixedM } = input;
  const levelCounts = specs.map((s) => s.levels.length);
  const F = specs.length;
  const start = input.startM ?? initialM(levelCounts);
  const params: FsParams = { m: start.map((m) => m.slice()), u: input.uSample.u.map((u) => u.slice()), lambda: 0.01 };

  const ruleHistograms = rulePatternHistograms(input);
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

/**
 * Per rule, the histogram of the patterns of the pairs it selects, with the rule's own fields
 * set to level 0. Each pair's full pattern is looked up once for all rules; a rule then only
 * counts full patterns (a small array) and folds them into masked patterns at the end, over a
 * few thousand patterns instead of millions of pairs. Patterns keep the order of their first
 * pair, so the histograms are exactly those of counting the masked pairs one by one.
 */
function rulePatternHistograms(input: EstimationInput): { hist: PatternHistogram; pairs: number }[] {
  const { specs, rules, lists, listLevels } = input;
  const levelCounts = specs.map((s) => s.levels.length);
  const F = specs.length;
  const all = new PatternCounter(levelCounts);
  const patternOf = lists.map((list, i) => {
    const out = new Int32Array(list.length);
    all.addPairs(listLevels[i], list.length, out);
    return out;
  });
  const full = all.histogram();
  const seen = new Int32Array(full.size);
  const counts = new Float64Array(full.size);
  return rules.map((rule, r) => {
    const masked = new Set(rule.map((k) => k.field));
    seen.fill(0);
    counts.fill(0);
    const firstSeen: number[] = [];
    let pairs = 0;
    // Only the pairs of this rule and earlier ones can agree on its keys (see PairList.ruleEnd),
    // unless it skipped blocks; the biggest rules come last, so this skips most pairs.
    const bounded = (input.skippedBlocks?.[r] ?? 1) === 0;
    lists.forEach((list, i) => {
      const kl = input.ruleKeys[r][list.left];
      const kr = input.ruleKeys[r][list.right];
      const pattern = patternOf[i];
      const { a, b } = list;
      const end = bounded && list.ruleEnd !== undefined ? list.ruleEnd[r] : list.length;
      for (let p = 0; p < end; p++) {
        const k = kl[a[p]];
        if (k < 0 || k !== kr[b[p]]) continue;
        const id = pattern[p];
        if (seen[id] === 0) { seen[id] = 1; firstSeen.push(id); }
        counts[id]++;
        pairs++;
      }
    });
    const n = firstSeen.length;
    const levels = Array.from({ length: F }, (_, f) => {
      const out = new Uint8Array(n);
      if (!masked.has(f)) for (let j = 0; j < n; j++) out[j] = full.levels[firstSeen[j] * F + f];
      return out;
    });
    const weights = Float64Array.from(firstSeen, (id) => counts[id]);
    const counter = new PatternCounter(levelCounts);
    counter.addPairs(levels, n, null, weights);
    return { hist: counter.histogram(), pairs };
  });
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
