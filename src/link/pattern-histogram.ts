/**
 * The histogram of distinct comparison patterns (design.md: EM runs over patterns, not pairs).
 *
 * A pattern is the vector of a pair's levels, one per field, packed into one number in mixed
 * radix (radix = the field's level count; products stay far below 2^53). Millions of pairs
 * usually collapse to a few thousand patterns.
 */
import type { BlockingRule, PairList } from './blocking.js';

export interface PatternHistogram {
  readonly fieldCount: number;
  /** levels[d * fieldCount + f]: level of field f in distinct pattern d. */
  readonly levels: Uint8Array;
  /** Pairs per distinct pattern. */
  readonly counts: Float64Array;
  readonly size: number;
}

/** Pattern spaces up to this size are indexed by an array instead of a Map (16 MB at most). */
const DENSE_INDEX_MAX = 1 << 22;

export class PatternCounter {
  private readonly radix: Float64Array;
  private readonly index = new Map<number, number>();
  /** Pattern key -> id + 1 (0 = not seen), when the pattern space is small enough. */
  private readonly dense: Int32Array | null;
  private levels: Uint8Array;
  private counts: Float64Array;
  size = 0;

  constructor(private readonly levelCounts: readonly number[]) {
    this.radix = new Float64Array(levelCounts.length);
    let r = 1;
    for (let f = 0; f < levelCounts.length; f++) { this.radix[f] = r; r *= levelCounts[f]; }
    if (r > Number.MAX_SAFE_INTEGER) throw new Error('too many comparison levels to pack a pattern');
    this.dense = r <= DENSE_INDEX_MAX ? new Int32Array(r) : null;
    this.levels = new Uint8Array(256 * levelCounts.length);
    this.counts = new Float64Array(256);
  }

  /**
   * Adds the pairs `0..length` of per-field level arrays; writes each pair's pattern id into `out`.
   * `weight` is what each pair counts for: one number for all, or one per pair.
   */
  addPairs(fieldLevels: readonly Uint8Array[], length: number, out: Int32Array | null, weight: number | Float64Array = 1): void {
    const F = this.levelCounts.length;
    const key = new Float64Array(length);
    for (let f = 0; f < F; f++) {
      const lv = fieldLevels[f];
      const r = this.radix[f];
      for (let p = 0; p < length; p++) key[p] += lv[p] * r;
    }
    const dense = this.dense;
    for (let p = 0; p < length; p++) {
      let id = dense !== null ? dense[key[p]] - 1 : this.index.get(key[p]) ?? -1;
      if (id < 0) {
        id = this.size++;
        if (dense !== null) dense[key[p]] = id + 1;
        else this.index.set(key[p], id);
        if (id >= this.counts.length) this.grow();
        for (let f = 0; f < F; f++) this.levels[id * F + f] = fieldLevels[f][p];
      }
      this.counts[id] += typeof weight === 'number' ? weight : weight[p];
      if (out !== null) out[p] = id;
    }
  }

  private grow(): void {
    const F = this.levelCounts.length;
    const c = new Float64Array(this.counts.length * 2); c.set(this.counts); this.counts = c;
    const l = new Uint8Array(c.length * F); l.set(this.levels); this.levels = l;
  }

  histogram(): PatternHistogram {
    const F = this.levelCounts.length;
    return {
      fieldCount: F,
      levels: this.levels.slice(0, this.size * F),
      counts: this.counts.slice(0, this.size),
      size: this.size,
    };
  }
}

/** The candidate pairs of a run with their levels, and the rules that selected them. */
export interface RulePairs {
  readonly specs: readonly { readonly levels: readonly string[] }[];
  readonly rules: readonly BlockingRule[];
  /** ruleKeys[rule][source][record]. */
  readonly ruleKeys: readonly Int32Array[][];
  /** Per rule, the blocks it skipped for size (then its pairs may be anywhere in the lists). */
  readonly skippedBlocks?: readonly number[];
  readonly lists: readonly PairList[];
  readonly listLevels: readonly Uint8Array[][];
}

/**
 * Per rule, the histogram of the patterns of the pairs it selects, with the rule's own fields
 * set to level 0. Each pair's full pattern is looked up once for all rules; a rule then only
 * counts full patterns (a small array) and folds them into masked patterns at the end, over a
 * few thousand patterns instead of millions of pairs. Patterns keep the order of their first
 * pair, so the histograms are exactly those of counting the masked pairs one by one.
 */
export function rulePatternHistograms(input: RulePairs): { hist: PatternHistogram; pairs: number }[] {
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
