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
import type { FsParams } from './fellegi-sunter.js';
import type { FieldIndex } from './field-index.js';

/** Field types whose exact agreement is term-frequency adjusted. */
const TF_TYPES = new Set(['given_name', 'surname', 'name', 'text', 'code', 'postcode', 'municipality', 'date']);

export interface ScoringModel {
  /** Flat weights: weights[offsets[f] + level]. */
  readonly offsets: Int32Array;
  readonly weights: Float64Array;
  /** Per field: exact-agreement weight by whole-value token id, or null (no adjustment). */
  readonly tfWeights: (Float64Array | null)[];
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
