/**
 * Match weights per candidate pair: table lookups over the pair's levels, with term-frequency
 * adjustment on exact agreement.
 *
 * Term frequencies need no cleartext: they are counts of dense token ids. Agreeing on a value
 * held by many records (`Peeters`, a default date) is weaker evidence than agreeing on a rare
 * one, so exact agreement on value t weighs log2(m_exact / u_t), with u_t the share of records
 * holding t. A value seen only once or twice gives a noisy share, so for those u_t never exceeds
 * the field's average exact-agreement u (rarity can raise the weight, chance cannot lower it).
 */
import type { PairList } from './blocking.js';
import type { ComparisonSpec } from './comparison.js';
import { weightTable, type FsParams } from './fellegi-sunter.js';
import type { FieldIndex } from './field-index.js';
import type { LinkFrame } from './link-frame.js';

/** Field types whose exact agreement is term-frequency adjusted. */
const TF_TYPES = new Set(['given_name', 'surname', 'name', 'text', 'code', 'postcode', 'municipality', 'date']);

export interface ScoringModel {
  /** Flat weights: weights[offsets[f] + level]. */
  readonly offsets: Int32Array;
  readonly weights: Float64Array;
  /** Per field: exact-agreement weight by whole-value token id, or null (no adjustment). */
  readonly tfWeights: (Float64Array | null)[];
}

/** The scoring stage's result: the weight table and every candidate pair's match weight. */
export interface Scored {
  /** log2(m / u) per field and level: weights[offsets[f] + level]. */
  readonly table: { readonly offsets: Int32Array; readonly weights: Float64Array };
  /** Match weight per candidate pair, per list (as blocking's lists). */
  readonly weights: Float64Array[];
  /** The same weights, list after list, in one array (for the report's histogram). */
  readonly all: Float64Array;
  /** The model the weights came from (the review queue reads each field's weight from it). */
  readonly model: ScoringModel;
}

/** The scoring stage of a run: the match weight of every candidate pair under the estimated model. */
export function scoreStage(frame: LinkFrame, params: FsParams, prior: number, lists: readonly PairList[], levels: readonly Uint8Array[][]): Scored {
  const { specs, index } = frame;
  const table = weightTable(params, frame.levelCounts);
  const model = scoringModel(specs, index, params, table);
  const weights = lists.map((list, i) => {
    const w = new Float64Array(list.length);
    scorePairs(list, levels[i], model, specs, index, prior, w);
    return w;
  });
  const all = new Float64Array(weights.reduce((s, w) => s + w.length, 0));
  let at = 0;
  for (const w of weights) { all.set(w, at); at += w.length; }
  return { table, weights, all, model };
}

export function usesTermFrequency(spec: ComparisonSpec): boolean {
  return TF_TYPES.has(spec.type);
}

export function termFrequencyWeights(fi: FieldIndex, mExact: number, uExact: number): Float64Array {
  const counts = fi.wholeCounts;
  const out = new Float64Array(counts.length);
  const total = Math.max(fi.present, 1);
  for (let id = 0; id < counts.length; id++) {
    let u = counts[id] / total;
    if (counts[id] < 3) u = Math.min(u, uExact);
    out[id] = Math.log2(Math.max(mExact, 1e-6) / Math.max(u, 1e-9));
  }
  return out;
}

export function scoringModel(
  specs: readonly ComparisonSpec[],
  index: readonly FieldIndex[],
  params: FsParams,
  table: { offsets: Int32Array; weights: Float64Array },
): ScoringModel {
  const tfWeights = specs.map((spec, f) => (usesTermFrequency(spec)
    ? termFrequencyWeights(index[f], params.m[f][spec.exactLevel], params.u[f][spec.exactLevel])
    : null));
  return { offsets: table.offsets, weights: table.weights, tfWeights };
}

/** weights[p] = prior + sum over fields of the level weight (term-frequency adjusted on exact). */
export function scorePairs(
  list: PairList,
  levels: readonly Uint8Array[],
  model: ScoringModel,
  specs: readonly ComparisonSpec[],
  index: readonly FieldIndex[],
  prior: number,
  out: Float64Array,
): void {
  const n = list.length;
  out.fill(prior, 0, n);
  for (let f = 0; f < specs.length; f++) {
    const lv = levels[f];
    const base = model.offsets[f];
    const w = model.weights;
    const tf = model.tfWeights[f];
    if (tf === null) {
      for (let p = 0; p < n; p++) out[p] += w[base + lv[p]];
      continue;
    }
    const exact = specs[f].exactLevel;
    const ids = index[f].ids[0][list.left];
    const a = list.a;
    for (let p = 0; p < n; p++) {
      const l = lv[p];
      out[p] += l === exact ? tf[ids[a[p]]] : w[base + l];
    }
  }
}

/** Histogram of match weights over fixed-width bins covering their range (the report's). */
export function weightHistogram(values: Float64Array, bins = 40): { edges: number[]; counts: number[] } {
  const length = values.length;
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
