/**
 * u probabilities from random pairs: among pairs drawn uniformly from all comparable pairs,
 * almost none are matches, so the share at each level estimates P(level | non-match).
 * The draw is seeded: the same sources give the same model and the same links.
 */
import type { PairList, SourcePair } from './blocking.js';
import { seededRandom } from '../util/seeded-random.js';
import { compareField, type ComparisonSpec } from './comparison.js';
import type { EncodedSource } from '../pseudonymise/encoded-source.js';
import type { FieldIndex } from './field-index.js';
import { PatternCounter, type PatternHistogram } from './pattern-histogram.js';


export function pairsOf(sources: readonly EncodedSource[], sp: SourcePair): number {
  const nl = sources[sp.left].size;
  return sp.left === sp.right ? (nl * (nl - 1)) / 2 : nl * sources[sp.right].size;
}

export interface USample {
  readonly u: Float64Array[];
  /** The random pairs' pattern histogram (for re-estimating u once match probabilities are known). */
  readonly histogram: PatternHistogram;
  readonly pairs: number;
}

export function sampleU(
  sources: readonly EncodedSource[],
  sourcePairs: readonly SourcePair[],
  index: readonly FieldIndex[],
  specs: readonly ComparisonSpec[],
  maxPairs: number,
  seed = 0x5eed,
): USample {
  const random = seededRandom(seed);
  const levelCounts = specs.map((s) => s.levels.length);
  const counter = new PatternCounter(levelCounts);
  const total = sourcePairs.reduce((s, sp) => s + pairsOf(sources, sp), 0);
  let drawn = 0;
  for (const sp of sourcePairs) {
    const available = pairsOf(sources, sp);
    if (available <= 0) continue;
    const want = Math.min(available, Math.max(1, Math.round((maxPairs * available) / Math.max(total, 1))));
    const nl = sources[sp.left].size;
    const nr = sources[sp.right].size;
    const list: PairList = { left: sp.left, right: sp.right, a: new Int32Array(want), b: new Int32Array(want), length: want };
    for (let i = 0; i < want; i++) {
      const x = Math.floor(random() * nl);
      let y = Math.floor(random() * nr);
      if (sp.left === sp.right && y === x) y = (y + 1) % nr;
      list.a[i] = x;
      list.b[i] = y;
    }
    counter.addPairs(levelsInDrawOrder(list, nl, nr, specs, index, sources), want, null);
    drawn += want;
  }
  const histogram = counter.histogram();
  return { u: uFromHistogram(histogram, levelCounts, null), histogram, pairs: drawn };
}

/** Records per bucket of the local order: a bucket's records sit side by side in every column. */
const LOCAL_BUCKET_SHIFT = 6;

/**
 * The levels of the random pairs, in the order they were drawn, compared in the order of the
 * larger source's records: random pairs otherwise read every column at random (a cache miss per
 * field and side), a spine of millions most of all. The levels are put back in draw order, so
 * the histogram, its pattern order and the model are exactly those of comparing in draw order.
 */
function levelsInDrawOrder(
  list: PairList, nl: number, nr: number, specs: readonly ComparisonSpec[], index: readonly FieldIndex[], sources: readonly EncodedSource[],
): Uint8Array[] {
  const n = list.length;
  const key = nl >= nr ? list.a : list.b;
  const buckets = ((Math.max(nl, nr) - 1) >> LOCAL_BUCKET_SHIFT) + 1;
  const start = new Int32Array(buckets + 1);
  for (let i = 0; i < n; i++) start[(key[i] >> LOCAL_BUCKET_SHIFT) + 1]++;
  for (let k = 0; k < buckets; k++) start[k + 1] += start[k];
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[start[key[i] >> LOCAL_BUCKET_SHIFT]++] = i;
  const sorted: PairList = { left: list.left, right: list.right, a: new Int32Array(n), b: new Int32Array(n), length: n };
  for (let i = 0; i < n; i++) { sorted.a[i] = list.a[order[i]]; sorted.b[i] = list.b[order[i]]; }
  return specs.map((spec) => {
    const local = new Uint8Array(n);
    compareField(spec, index, sources, sorted, local);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[order[i]] = local[i];
    return out;
  });
}

/**
 * u per field and level from a histogram of random pairs, each pattern weighted by its
 * probability of being a non-match (1 - posterior) when known. Half a pair of smoothing per
 * level keeps levels never drawn from having u = 0.
 */
export function uFromHistogram(hist: PatternHistogram, levelCounts: readonly number[], nonMatch: Float64Array | null): Float64Array[] {
  const F = hist.fieldCount;
  const counts = levelCounts.map((L) => new Float64Array(L));
  for (let d = 0; d < hist.size; d++) {
    const c = hist.counts[d] * (nonMatch === null ? 1 : nonMatch[d]);
    for (let f = 0; f < F; f++) counts[f][hist.levels[d * F + f]] += c;
  }
  return counts.map((c, f) => {
    const L = levelCounts[f];
    const u = new Float64Array(L);
    let sum = 0;
    for (let l = 1; l < L; l++) sum += c[l] + 0.5;
    for (let l = 1; l < L; l++) u[l] = (c[l] + 0.5) / sum;
    return u;
  });
}
