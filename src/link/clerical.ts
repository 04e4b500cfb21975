/**
 * Clerical review inside a run: the decisions reviewers made earlier (must-link, cannot-link)
 * and the uncertain band of candidate pairs that goes to the review queue.
 *
 * Decisions name records by source and record number (the caller maps its own record
 * references to those). A decided match is a must-link: joined right after the deterministic
 * pass, within the one-to-one rules. A decided non-match is a cannot-link: no union, direct or
 * through other records, ever puts the two records in one person again (assignment.ts).
 *
 * The queue: every candidate pair whose match weight lies in the band [lower, upper], unless
 * decided already or joined by the deterministic pass, as typed arrays:
 * ```
 * leftSource, leftRecord, rightSource, rightRecord  Int32Array(n)
 * levels        Uint8Array(n * F)    levels[q * F + f]: the comparison level field f reached
 * fieldWeights  Float64Array(n * F)  the weight that level gave (term-frequency adjusted)
 * weight, probability  Float64Array(n)   total match weight (prior included), its probability
 * linked        Uint8Array(n)        1 when the run put the two records in one person
 * base          Int32Array(records)  per record, its person's first record after the deterministic pass
 * ```
 */
import type { PairList } from './blocking.js';
import type { ConstrainedUnionFind } from './assignment.js';
import type { ClericalDecisions, ReviewBand } from './clerical-decisions.js';
import type { DeterministicOutcome } from './deterministic.js';
import type { LinkFrame } from './link-frame.js';
import type { ScoringModel } from './scoring.js';

export interface ReviewQueue {
  readonly band: ReviewBand;
  readonly fields: readonly { readonly name: string; readonly levels: readonly string[] }[];
  readonly length: number;
  /** Band pairs left out because the queue was full (the first in pair order are kept). */
  readonly truncated: number;
  readonly leftSource: Int32Array;
  readonly leftRecord: Int32Array;
  readonly rightSource: Int32Array;
  readonly rightRecord: Int32Array;
  readonly levels: Uint8Array;
  readonly fieldWeights: Float64Array;
  readonly weight: Float64Array;
  readonly probability: Float64Array;
  readonly linked: Uint8Array;
  /**
   * Per global record, the first record of its person after the deterministic pass (itself
   * when alone): what a decision re-derives persons from, with the links and the decisions.
   */
  readonly base: Int32Array;
}

/** Default band: match probability 0.2 to 0.9, widened to hold the threshold. */
export const DEFAULT_REVIEW_PROBABILITIES = { lower: 0.2, upper: 0.9 } as const;

export const weightOf = (p: number): number => Math.log2(p / (1 - p));

export function defaultBand(threshold: number): ReviewBand {
  return {
    lower: weightOf(Math.min(DEFAULT_REVIEW_PROBABILITIES.lower, threshold)),
    upper: weightOf(Math.max(DEFAULT_REVIEW_PROBABILITIES.upper, threshold)),
  };
}

/** Numeric key of an unordered pair of global records (exact below 2^26 records). */
function pairKey(x: number, y: number, total: number): number {
  return x < y ? x * total + y : y * total + x;
}

/** The decided pairs, by key (for the queue to leave them out). */
export function decidedKeys(decisions: ClericalDecisions | null, offsets: Int32Array): Set<number> {
  const keys = new Set<number>();
  if (decisions === null) return keys;
  const total = offsets[offsets.length - 1];
  for (let i = 0; i < decisions.verdict.length; i++) {
    keys.add(pairKey(offsets[decisions.leftSource[i]] + decisions.leftRecord[i], offsets[decisions.rightSource[i]] + decisions.rightRecord[i], total));
  }
  return keys;
}

export interface QueueInput {
  readonly frame: LinkFrame;
  readonly det: DeterministicOutcome | null;
  readonly lists: readonly PairList[];
  readonly levels: readonly Uint8Array[][];
  readonly weights: readonly Float64Array[];
  readonly model: ScoringModel;
  readonly band: ReviewBand;
  readonly decided: Set<number>;
  readonly persons: ConstrainedUnionFind;
  readonly max: number;
}

/** The band's pairs, two passes over the weights: count, then fill preallocated arrays. */
export function reviewQueue(input: QueueInput): ReviewQueue {
  const { frame, det, lists, weights, band, decided, max } = input;
  const { offsets, totalRecords: total, specs } = frame;
  const wanted = (i: number, p: number) => {
    const w = weights[i][p];
    if (w < band.lower || w > band.upper) return false;
    const x = offsets[lists[i].left] + lists[i].a[p];
    const y = offsets[lists[i].right] + lists[i].b[p];
    if (det !== null && det.rep[x] === det.rep[y]) return false;
    return decided.size === 0 || !decided.has(pairKey(x, y, total));
  };
  let inBand = 0;
  for (let i = 0; i < lists.length; i++) for (let p = 0; p < lists[i].length; p++) if (wanted(i, p)) inBand++;
  const n = Math.min(inBand, max);
  const F = specs.length;
  const q = {
    leftSource: new Int32Array(n), leftRecord: new Int32Array(n), rightSource: new Int32Array(n), rightRecord: new Int32Array(n),
    levels: new Uint8Array(n * F), fieldWeights: new Float64Array(n * F), weight: new Float64Array(n), probability: new Float64Array(n), linked: new Uint8Array(n),
  };
  let k = 0;
  for (let i = 0; i < lists.length && k < n; i++) {
    const list = lists[i];
    for (let p = 0; p < list.length && k < n; p++) {
      if (!wanted(i, p)) continue;
      q.leftSource[k] = list.left; q.leftRecord[k] = list.a[p]; q.rightSource[k] = list.right; q.rightRecord[k] = list.b[p];
      q.weight[k] = weights[i][p];
      q.probability[k] = 1 / (1 + Math.pow(2, -weights[i][p]));
      q.linked[k] = input.persons.find(offsets[list.left] + list.a[p]) === input.persons.find(offsets[list.right] + list.b[p]) ? 1 : 0;
      for (let f = 0; f < F; f++) {
        const level = input.levels[i][f][p];
        q.levels[k * F + f] = level;
        const tf = input.model.tfWeights[f];
        q.fieldWeights[k * F + f] = tf !== null && level === specs[f].exactLevel
          ? tf[frame.index[f].ids[0][list.left][list.a[p]]]
          : input.model.weights[input.model.offsets[f] + level];
      }
      k++;
    }
  }
  const base = det === null ? Int32Array.from({ length: total }, (_, g) => g) : Int32Array.from(det.rep);
  return { band, fields: specs.map((s) => ({ name: s.name, levels: s.levels })), length: n, truncated: inBand - n, ...q, base };
}
