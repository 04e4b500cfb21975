/**
 * The Fellegi–Sunter model: per field and level, m = P(level | match) and u = P(level | non-match);
 * a pair's match weight is the sum of log2(m/u) over its fields (level 0, null, weighs nothing),
 * plus the prior log-odds. Weights live in one flat Float64Array so scoring is table lookups.
 *
 * m and the match share are estimated by EM over the pattern histogram (conditional independence
 * across fields); u comes from random pairs (`u-sampling.ts`) and is held fixed, which keeps EM
 * from mistaking "same family" or "same street" clusters for the match class.
 */
import type { PatternHistogram } from './pattern-histogram.js';

export interface FsParams {
  /** m[f][level], u[f][level]; index 0 (null) unused. */
  readonly m: Float64Array[];
  readonly u: Float64Array[];
  /** Share of matches among the pairs EM ran on. */
  lambda: number;
}

export interface EmOutcome {
  readonly iterations: number;
  readonly converged: boolean;
}

/** Starting m: most matches agree exactly, a few land in each partial level, fewer disagree. */
export function initialM(levelCounts: readonly number[]): Float64Array[] {
  return levelCounts.map((L) => {
    const m = new Float64Array(L);
    const k = L - 1; // non-null levels
    if (k === 2) { m[1] = 0.95; m[2] = 0.05; return m; }
    m[1] = 0.85;
    for (let l = 2; l < L - 1; l++) m[l] = 0.12 / (k - 2);
    m[L - 1] = 0.03;
    return m;
  });
}

/** Floors keep every weight finite: a level never seen is rare, not impossible. */
const FLOOR = 1e-6;
/** The least share of matches EM leaves at any level. */
export const MIN_M = 0.001;

export function weightTable(params: FsParams, levelCounts: readonly number[]): { offsets: Int32Array; weights: Float64Array } {
  const offsets = new Int32Array(levelCounts.length + 1);
  for (let f = 0; f < levelCounts.length; f++) offsets[f + 1] = offsets[f] + levelCounts[f];
  const weights = new Float64Array(offsets[levelCounts.length]);
  for (let f = 0; f < levelCounts.length; f++) {
    for (let l = 1; l < levelCounts[f]; l++) {
      weights[offsets[f] + l] = Math.log2(Math.max(params.m[f][l], FLOOR) / Math.max(params.u[f][l], FLOOR));
    }
  }
  return { offsets, weights };
}

/**
 * EM for m and lambda (u fixed) over distinct patterns. `fixed` marks fields whose m is not
 * re-estimated (e.g. taken from deterministic matches).
 */
export function runEm(
  hist: PatternHistogram,
  params: FsParams,
  levelCounts: readonly number[],
  options: { maxIterations?: number; tolerance?: number; fixedM?: readonly boolean[] } = {},
): EmOutcome {
  const { maxIterations = 100, tolerance = 1e-6 } = options;
  const F = hist.fieldCount;
  const D = hist.size;
  const posterior = new Float64Array(D);
  const mNum = levelCounts.map((L) => new Float64Array(L));
  let iterations = 0;
  let converged = false;
  for (; iterations < maxIterations && !converged; iterations++) {
    const { offsets, weights } = weightTable(params, levelCounts);
    const prior = Math.log2(params.lambda / (1 - params.lambda));
    let matched = 0;
    let total = 0;
    for (const a of mNum) a.fill(0);
    for (let d = 0; d < D; d++) {
      let w = prior;
      for (let f = 0; f < F; f++) w += weights[offsets[f] + hist.levels[d * F + f]];
      const p = 1 / (1 + Math.pow(2, -w));
      posterior[d] = p;
      const c = hist.counts[d];
      matched += c * p;
      total += c;
      for (let f = 0; f < F; f++) mNum[f][hist.levels[d * F + f]] += c * p;
    }
    let delta = 0;
    for (let f = 0; f < F; f++) {
      if (options.fixedM?.[f]) continue;
      let denom = 0;
      for (let l = 1; l < levelCounts[f]; l++) denom += mNum[f][l];
      if (denom <= 0) continue;
      // A level no match showed in this data is rare, not impossible: floor it, so one unusual
      // disagreement (a sex coding error) cannot outweigh every other field.
      let norm = 0;
      for (let l = 1; l < levelCounts[f]; l++) norm += Math.max(mNum[f][l] / denom, MIN_M);
      for (let l = 1; l < levelCounts[f]; l++) {
        const next = Math.max(mNum[f][l] / denom, MIN_M) / norm;
        delta = Math.max(delta, Math.abs(next - params.m[f][l]));
        params.m[f][l] = next;
      }
    }
    const lambda = Math.min(Math.max(matched / total, 1e-9), 1 - 1e-9);
    delta = Math.max(delta, Math.abs(lambda - params.lambda));
    params.lambda = lambda;
    converged = delta < tolerance;
  }
  return { iterations, converged };
}

/** Log-odds prior (log2) from a match share. */
export function priorWeight(lambda: number): number {
  const l = Math.min(Math.max(lambda, 1e-15), 1 - 1e-15);
  return Math.log2(l / (1 - l));
}
