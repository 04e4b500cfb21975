/**
 * Primary suppression: which cells are sensitive, and the protection interval each needs
 * (sdc.md, Tables; the rules and defaults of tau-Argus and sdcTable). For a cell with total
 * X and contributions x1 >= x2 >= ... over its n contributors:
 *
 *  - threshold rule: 0 < n < T is sensitive (default T = 10 persons, ONS practice);
 *  - (n,k) dominance (magnitude tables): x1 + ... + xn > (k/100) X (default (2,85));
 *  - p% rule (magnitude tables): X - x1 - x2 < (p/100) x1, the second-largest contributor
 *    could estimate the largest within p% (default p = 10);
 *  - zero cells are published unless the policy suppresses them.
 *
 * Protection levels (the interval the attacker must not be able to narrow):
 *  - threshold, counts: upper T - n (nobody can prove the cell is below the threshold), lower
 *    min(n, T - n);  magnitudes: (p/100) X both ways (p of the p% rule, else 10);
 *  - dominance: upper (100/k)(x1 + ... + xn) - X, the amount the cell must look larger for its
 *    n largest contributors to stay within k%;
 *  - p%: upper (p/100) x1 - (X - x1 - x2) (tau-Argus);
 *  - the lower level of a magnitude cell is its upper level, capped at X (values are >= 0).
 */
import type { CellStats } from './table-cells.js';

export interface SuppressionPolicy {
  /** Threshold rule: cells with 0 < contributors < minFrequency are sensitive. */
  readonly minFrequency: number;
  /** (n,k) dominance for magnitude tables; null: not applied. */
  readonly dominance: { readonly n: number; readonly k: number } | null;
  /** p% rule for magnitude tables; null: not applied. */
  readonly pPercent: number | null;
  /** Empty cells: published (the default) or suppressed as sensitive. */
  readonly zeroCells: 'publish' | 'suppress';
}

export const DEFAULT_TABLE_POLICY: SuppressionPolicy = Object.freeze({
  minFrequency: 10,
  dominance: Object.freeze({ n: 2, k: 85 }),
  pPercent: 10,
  zeroCells: 'publish',
});

/** Cell status codes, also the CSV flag column's values. */
export const PUBLISHED = 0;
export const PRIMARY = 1;
export const SECONDARY = 2;

/** Reasons a cell is primary, as bits. */
export const REASON_THRESHOLD = 1;
export const REASON_DOMINANCE = 2;
export const REASON_P_PERCENT = 4;
export const REASON_ZERO = 8;

export interface PrimarySuppression {
  /** Per cell, PUBLISHED or PRIMARY. */
  readonly status: Uint8Array;
  readonly reasons: Uint8Array;
  /** Per cell, the upper and lower protection levels (0 for published cells). */
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  readonly primaries: number;
}

/** How many top contributions the rules of `policy` need per cell. */
export function topContributionsNeeded(policy: SuppressionPolicy, magnitude: boolean): number {
  if (!magnitude) return 0;
  return Math.max(policy.pPercent === null ? 0 : 2, policy.dominance?.n ?? 0);
}

export function policyProblems(policy: SuppressionPolicy): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(policy.minFrequency) || policy.minFrequency < 1) problems.push('minFrequency must be an integer >= 1');
  const dom = policy.dominance;
  if (dom !== null && (!Number.isInteger(dom.n) || dom.n < 1 || !(dom.k > 0 && dom.k < 100))) {
    problems.push('dominance needs an integer n >= 1 and 0 < k < 100');
  }
  if (policy.pPercent !== null && !(policy.pPercent > 0 && policy.pPercent <= 100)) problems.push('pPercent must lie in (0, 100]');
  if (policy.zeroCells !== 'publish' && policy.zeroCells !== 'suppress') problems.push('zeroCells must be "publish" or "suppress"');
  return problems;
}

/**
 * The primary suppression of a table. `values` is the published value per cell (a count, or a
 * sum for magnitude tables); `stats` holds the contributors behind it.
 */
export function primarySuppression(values: Float64Array, stats: CellStats, policy: SuppressionPolicy, magnitude: boolean): PrimarySuppression {
  const cells = values.length;
  const status = new Uint8Array(cells);
  const reasons = new Uint8Array(cells);
  const upper = new Float64Array(cells);
  const lower = new Float64Array(cells);
  const T = policy.minFrequency;
  const K = stats.topK;
  const p = policy.pPercent;
  const dom = magnitude ? policy.dominance : null;
  let primaries = 0;
  for (let cell = 0; cell < cells; cell++) {
    const n = stats.contributors[cell];
    const X = values[cell];
    let why = 0;
    let up = 0;
    let down = 0;
    if (n === 0) {
      if (policy.zeroCells === 'suppress') {
        why |= REASON_ZERO;
        up = T;
      }
    } else if (n < T) {
      why |= REASON_THRESHOLD;
      if (magnitude) {
        up = ((p ?? 10) / 100) * X;
        down = up;
      } else {
        up = T - n;
        down = Math.min(n, T - n);
      }
    }
    if (magnitude && n > 0) {
      const base = cell * K;
      if (dom !== null) {
        let topN = 0;
        for (let i = 0; i < dom.n; i++) topN += stats.top[base + i];
        if (topN > (dom.k / 100) * X) {
          why |= REASON_DOMINANCE;
          up = Math.max(up, (100 / dom.k) * topN - X);
        }
      }
      if (p !== null) {
        const x1 = stats.top[base];
        const rest = X - x1 - stats.top[base + 1];
        if (rest < (p / 100) * x1) {
          why |= REASON_P_PERCENT;
          up = Math.max(up, (p / 100) * x1 - rest);
        }
      }
      down = Math.min(X, Math.max(down, up));
    }
    if (why !== 0) {
      status[cell] = PRIMARY;
      reasons[cell] = why;
      upper[cell] = up;
      lower[cell] = down;
      primaries++;
    }
  }
  return { status, reasons, upper, lower, primaries };
}
