/**
 * Blocking: candidate pairs as Int32Array index pairs from a union of blocking rules.
 *
 * A rule is a conjunction of token slots (`surname.whole`, `date.ymd` + `postcode.whole`, ...);
 * two records are a candidate under it when all its tokens are present and equal. Rules are
 * combined into one dense key per record (rule-keys.ts; held-keys.ts in an incremental run),
 * records of the right-hand source are bucketed by key (counting sort), and each left record
 * walks its bucket. A pair already produced by an earlier rule is recognised by re-checking the
 * earlier rules' keys where both records have one (a bit per rule, carried into the buckets; no
 * hash set of pairs), so the union has no duplicates. Buckets whose pair count exceeds
 * `maxBlockPairs` are skipped and reported, never expanded.
 */
import type { BlockingRule, SourcePair } from './blocking-rule.js';
import { keySpace } from './rule-keys.js';

export type { BlockingRule, SourcePair } from './blocking-rule.js';

export interface PairList {
  readonly left: number;
  readonly right: number;
  a: Int32Array;
  b: Int32Array;
  length: number;
  /**
   * From `generatePairs`: rule r's pairs are [ruleEnd[r - 1], ruleEnd[r]) (rules in order). A
   * pair of a later rule never agrees on an earlier rule's keys, except in a block that rule
   * skipped: it would have been that rule's pair.
   */
  ruleEnd?: Int32Array;
}

/** A run's blocking rules with their per-source keys (`keys[rule][source][record]`). */
export interface RuleSet {
  readonly rules: BlockingRule[];
  readonly keys: Int32Array[][];
  readonly chosenBy: 'engine' | 'job';
  /** Per rule and source, the records with a key when the keying already listed them (an incremental run's spine); null: not listed. */
  readonly withKey?: readonly (readonly (Int32Array | null)[])[];
}

/** The blocking stage's result: candidate pairs per source pair, and what each rule did. */
export interface Blocked {
  readonly lists: PairList[];
  readonly outcomes: RuleOutcome[];
  readonly candidatePairs: number;
}

export interface RuleOutcome {
  /** New pairs this rule contributed (not produced by an earlier rule). */
  pairs: number;
  /** Buckets skipped for exceeding the block limit, and the pairs they would have produced. */
  skippedBlocks: number;
  skippedPairs: number;
}

export interface GenerateOptions {
  readonly maxBlockPairs: number;
  /**
   * saturated(s, t): per record of source s, 1 when it can take no (further) record of source t
   * (it is already linked to one and t holds each person once); null when none is. Pairs with a
   * saturated side are not produced: assignment could never accept them.
   */
  readonly saturated?: (s: number, t: number) => Uint8Array | null;
  /** `RuleSet.withKey`: lists of keyed records already known (the others are found by a pass over the keys). */
  readonly withKey?: RuleSet['withKey'];
}

/** The blocking stage of a run: the candidate pairs of its rules, none with a saturated side. */
export function blockCandidates(ruleSet: RuleSet, sourcePairs: readonly SourcePair[], options: GenerateOptions): Blocked {
  const blocked = generatePairs(ruleSet.keys, sourcePairs, { ...options, withKey: ruleSet.withKey });
  return { lists: blocked.pairs, outcomes: blocked.outcomes, candidatePairs: blocked.pairs.reduce((s, l) => s + l.length, 0) };
}

/**
 * Candidate pairs of every source pair under the union of `rules` (given as their per-source keys).
 *
 * Rule by rule, then source pair by source pair: each list still receives its pairs rule by rule,
 * block by block (the order does not depend on the loop nesting), but a rule's per-source block
 * sizes are counted once for all the source pairs a source is in, not once per side and pair.
 */
export function generatePairs(
  rules: readonly Int32Array[][],
  sourcePairs: readonly SourcePair[],
  options: GenerateOptions,
): { pairs: PairList[]; outcomes: RuleOutcome[] } {
  const outcomes: RuleOutcome[] = rules.map(() => ({ pairs: 0, skippedBlocks: 0, skippedPairs: 0 }));
  const lists: PairList[] = sourcePairs.map((sp) => ({ left: sp.left, right: sp.right, a: new Int32Array(1024), b: new Int32Array(1024), length: 0, ruleEnd: new Int32Array(rules.length) }));
  const saturated = sourcePairs.map((sp) => ({ left: options.saturated?.(sp.left, sp.right) ?? null, right: options.saturated?.(sp.right, sp.left) ?? null }));
  // skipped[pair][rule]: the rule's blocks skipped for that source pair, null when none was.
  const skipped: (Uint8Array | null)[][] = sourcePairs.map(() => []);
  // Which earlier rules give a record a key at all, one bit each: a pair can have been an
  // earlier rule's only where both records have its key, so most pairs test one word per record
  // (read once per block visit) instead of a key per earlier rule (a cache miss each on a large
  // source, where an incremental run keys few records).
  const keyed: (Int32Array | null)[] = rules.length > 1 && rules.length <= 32 ? rules[0].map((k) => new Int32Array(k.length)) : [];
  for (let r = 0; r < rules.length; r++) {
    const withKey = rules[r].map((k, s) => options.withKey?.[r]?.[s] ?? sparseRecords(k));
    const space = keySpace(rules[r], withKey);
    // A block's size, for the limit, counts every record with its key, saturated or not.
    const sizes = new Map<number, Int32Array>();
    const sizesOf = (s: number) => {
      let c = sizes.get(s);
      if (c === undefined) { c = keyCounts(rules[r][s], space, withKey[s]); sizes.set(s, c); }
      return c;
    };
    sourcePairs.forEach((sp, p) => {
      const run: RuleRun = { keys: rules, r, space, sp, sizesL: sizesOf(sp.left), sizesR: sizesOf(sp.right), saturated: saturated[p], skipped: skipped[p], keyed, withKey };
      skipped[p].push(rulePairs(run, lists[p], outcomes[r], options.maxBlockPairs));
      lists[p].ruleEnd![r] = lists[p].length;
    });
    // The last rule's bits are never read.
    if (r < rules.length - 1) keyed.forEach((mask, s) => {
      if (mask === null) return;
      const k = rules[r][s];
      const bit = 1 << r;
      const some = withKey[s];
      if (some !== null) for (let j = 0; j < some.length; j++) mask[some[j]] |= bit;
      else for (let i = 0; i < k.length; i++) if (k[i] >= 0) mask[i] |= bit;
    });
  }
  return { pairs: lists, outcomes };
}

interface RuleRun {
  readonly keys: readonly Int32Array[][];
  readonly r: number;
  readonly space: number;
  readonly sp: SourcePair;
  readonly sizesL: Int32Array;
  readonly sizesR: Int32Array;
  readonly saturated: { readonly left: Uint8Array | null; readonly right: Uint8Array | null };
  /** The earlier rules' skipped blocks for this source pair. */
  readonly skipped: readonly (Uint8Array | null)[];
  /** Per source: bit e set for a record when rule e < r gives it a key; empty past 32 rules (every earlier rule is checked). */
  readonly keyed: readonly (Int32Array | null)[];
  /** Per source: the records with a key under rule r when few (`sparseRecords`), else null. */
  readonly withKey: readonly (Int32Array | null)[];
}

/** Rule r's new pairs for one source pair, appended to `list`; returns its skipped blocks (null when none). */
function rulePairs(run: RuleRun, list: PairList, outcome: RuleOutcome, maxBlockPairs: number): Uint8Array | null {
  const { keys, r, space, sp, sizesL, sizesR } = run;
  const dedupe = sp.left === sp.right;
  let tooBig: Uint8Array | null = null;
  for (let k = 0; k < space; k++) {
    const leftCount = sizesL[k];
    if (leftCount === 0) continue;
    const size = dedupe ? (leftCount * (leftCount - 1)) / 2 : leftCount * sizesR[k];
    if (size > maxBlockPairs) {
      tooBig ??= new Uint8Array(space);
      tooBig[k] = 1; outcome.skippedBlocks++; outcome.skippedPairs += size;
    }
  }
  // Both sources bucketed by key. Pairs are produced block by block, so a block's records are
  // read from memory once and stay in cache for all its pairs (here and in the comparison
  // stage, which reads the records in pair order). Saturated records are left out of the
  // buckets (they would be passed over pair by pair).
  const keyedL = r > 0 ? run.keyed[sp.left] ?? null : null;
  const keyedR = r > 0 ? run.keyed[sp.right] ?? null : null;
  const { start, order, masks: masksR } = bucketByKey(keys[r][sp.right], space, run.saturated.right, keyedR, run.withKey[sp.right]);
  const { start: startL, order: orderL, masks: masksL } = bucketByKey(keys[r][sp.left], space, run.saturated.left, keyedL, run.withKey[sp.left]);
  const earlierL = keys.slice(0, r).map((e) => e[sp.left]);
  const earlierR = keys.slice(0, r).map((e) => e[sp.right]);
  const earlierSkipped = run.skipped;
  const earlier = earlierL.length;
  let pairs = 0;
  for (let k = 0; k < space; k++) {
    if (start[k] === start[k + 1] || startL[k] === startL[k + 1] || (tooBig !== null && tooBig[k] === 1)) continue;
    for (let ia = startL[k]; ia < startL[k + 1]; ia++) {
      const a = orderL[ia];
      const maskA = masksL === null ? -1 : masksL[ia];
      for (let j = start[k]; j < start[k + 1]; j++) {
        const b = order[j];
        if (dedupe && b <= a) continue;
        let both = masksR === null ? -1 : maskA & masksR[j];
        let seen = false;
        for (let e = 0; e < earlier && (masksR === null || both !== 0); e++, both >>>= 1) {
          if (masksR !== null && (both & 1) === 0) continue;
          const kl = earlierL[e][a];
          // A pair of an earlier rule's skipped bucket was not produced there: produce it here.
          if (kl >= 0 && kl === earlierR[e][b] && (earlierSkipped[e] === null || earlierSkipped[e]![kl] === 0)) { seen = true; break; }
        }
        if (seen) continue;
        push(list, a, b);
        pairs++;
      }
    }
  }
  outcome.pairs += pairs;
  return tooBig;
}

/** Records per key (key k at [k]), over `space` keys. */
function keyCounts(keys: Int32Array, space: number, withKey: Int32Array | null): Int32Array {
  const sizes = new Int32Array(space);
  if (withKey !== null) for (let j = 0; j < withKey.length; j++) sizes[keys[withKey[j]]]++;
  else for (let i = 0; i < keys.length; i++) if (keys[i] >= 0) sizes[keys[i]]++;
  return sizes;
}

/** Few records have a key below this share of a source: they are listed, and passes over the source read the list. */
const SPARSE_SHARE = 0.25;

/**
 * The records with a key (ascending), when they are few (an incremental run's spine, keyed only
 * where a new record shares the key), else null: every later pass over a rule's keys (block
 * sizes, buckets, the earlier-rule bits) then reads the list instead of the whole source.
 */
function sparseRecords(keys: Int32Array): Int32Array | null {
  let count = 0;
  for (let i = 0; i < keys.length; i++) if (keys[i] >= 0) count++;
  if (count >= SPARSE_SHARE * keys.length) return null;
  const out = new Int32Array(count);
  for (let i = 0, j = 0; i < keys.length; i++) if (keys[i] >= 0) out[j++] = i;
  return out;
}

/**
 * Records by key (a counting sort): key k's records are order[start[k]..start[k + 1]), ascending,
 * without those `skip` marks.
 */
function bucketByKey(
  keys: Int32Array, space: number, skip: Uint8Array | null, keyed: Int32Array | null = null, withKey: Int32Array | null = null,
): { start: Int32Array; order: Int32Array; masks: Int32Array | null } {
  const n = withKey === null ? keys.length : withKey.length;
  const start = new Int32Array(space + 1);
  for (let j = 0; j < n; j++) {
    const i = withKey === null ? j : withKey[j];
    if (keys[i] >= 0 && (skip === null || skip[i] === 0)) start[keys[i] + 1]++;
  }
  for (let k = 0; k < space; k++) start[k + 1] += start[k];
  const fill = start.slice(0, space);
  const order = new Int32Array(start[space]);
  // Each record's earlier-rule bits travel with it (read here in record order), so the pair loop
  // reads them in bucket order instead of one cache miss per record and block.
  const masks = keyed === null ? null : new Int32Array(start[space]);
  for (let j = 0; j < n; j++) {
    const i = withKey === null ? j : withKey[j];
    if (keys[i] < 0 || (skip !== null && skip[i] !== 0)) continue;
    const at = fill[keys[i]]++;
    order[at] = i;
    if (masks !== null) masks[at] = keyed![i];
  }
  return { start, order, masks };
}

function push(list: PairList, a: number, b: number): void {
  if (list.length === list.a.length) {
    const na = new Int32Array(list.a.length * 2); na.set(list.a); list.a = na;
    const nb = new Int32Array(list.b.length * 2); nb.set(list.b); list.b = nb;
  }
  list.a[list.length] = a;
  list.b[list.length] = b;
  list.length++;
}
