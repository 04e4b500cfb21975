/**
 * Samples the automatic rule choice counts pairs on, so that its work follows the sample's size,
 * not the sources': every candidate rule and conjunction is keyed and counted on the sample, and
 * only the chosen rules are keyed on the whole index. `weights[s]` scales source s's sampled
 * counts back to its size (a pair of sources s and t counts `weights[s] * weights[t]` times).
 */
import type { FieldIndex } from './field-index.js';
import type { LinkFrame } from './link-frame.js';

export interface ChoiceSample {
  readonly index: FieldIndex[];
  readonly weights: number[];
}

/** Spine records per source the rule choice of an incremental run counts pairs on, at least. */
const CHOICE_SAMPLE_MIN = 1 << 16;
/**
 * A full link chooses its rules on a sample once one of its sources holds more records than
 * this. Below, the sample would save little: the chosen rules are keyed on every record anyway,
 * and with few fields nearly every candidate is chosen (on the turnaround extracts at 400,000
 * per source, the sampled choice took 1.2x the exact one; at 2M, 0.7x to 0.95x).
 */
export const FULL_SAMPLE_ABOVE = 8 * CHOICE_SAMPLE_MIN;
/** Records a large source keeps in a full link's sample, about (enough that a rule of one pair per record is counted within a few per cent at 11.8M). */
const FULL_SAMPLE_SIZE = 2 * CHOICE_SAMPLE_MIN;

/** Records per source, about, that an incremental run's rule choice counts pairs on. */
const INCREMENTAL_SAMPLE_SIZE = 2 * CHOICE_SAMPLE_MIN;

/**
 * An incremental run's sample: every source above `INCREMENTAL_SAMPLE_SIZE` records, spine or new, cut
 * to about that many by the hash of (source, row) that `fullLinkSample` uses, so its work follows
 * neither the spine nor the new deliveries. Only pairs with a new record are counted; the two
 * sides of a counted pair are kept independently, so the weighted count is unbiased.
 */
export function incrementalSample(index: readonly FieldIndex[], sources: LinkFrame['sources']): ChoiceSample {
  const sizes = sources.map((s) => s.size);
  return cutSample(index, sizes, sizes.map((n, s) => (n > INCREMENTAL_SAMPLE_SIZE ? sampledRows(s, n, INCREMENTAL_SAMPLE_SIZE / n) : null)));
}

/**
 * A full link's sample, or null when no source is above `FULL_SAMPLE_ABOVE` (then the choice
 * counts every record, exactly). Each large source keeps about `FULL_SAMPLE_SIZE` records, each
 * record by a hash of (source, row) under a threshold: the selections of two sources are
 * independent, so a pair of records of two sampled sources is kept with probability p_s * p_t
 * whatever the sources' row orders. (Every k-th record of both sides would keep a true pair with
 * probability 1/k, not 1/k^2, when the sources list the same people in the same order, and
 * overestimate a selective rule k times.) Deterministic: no random state.
 */
export function fullLinkSample(index: readonly FieldIndex[], sizes: readonly number[]): ChoiceSample | null {
  if (!sizes.some((n) => n > FULL_SAMPLE_ABOVE)) return null;
  return cutSample(index, sizes, sizes.map((n, s) => (n > FULL_SAMPLE_ABOVE ? sampledRows(s, n, FULL_SAMPLE_SIZE / n) : null)));
}

/** The index cut to `rows[s]` of each source (null: whole), each source weighted by its size over its sample's. */
function cutSample(index: readonly FieldIndex[], sizes: readonly number[], rows: readonly (Int32Array | null)[]): ChoiceSample {
  const cut = (column: Int32Array, s: number) => {
    const keep = rows[s];
    if (keep === null) return column;
    const out = new Int32Array(keep.length);
    for (let j = 0; j < keep.length; j++) out[j] = column[keep[j]];
    return out;
  };
  return {
    index: index.map((fi) => ({ ...fi, ids: fi.ids.map((slot) => slot.map(cut)) })),
    weights: sizes.map((n, s) => (rows[s] === null ? 1 : n / Math.max(1, rows[s]!.length))),
  };
}

/** Rows r of source s (ascending) whose hash falls under `share` of the 32-bit range. */
export function sampledRows(s: number, n: number, share: number): Int32Array {
  const threshold = Math.floor(Math.min(1, share) * 0x1_0000_0000);
  let count = 0;
  for (let r = 0; r < n; r++) if (rowHash(s, r) < threshold) count++;
  const out = new Int32Array(count);
  for (let r = 0, j = 0; r < n; r++) if (rowHash(s, r) < threshold) out[j++] = r;
  return out;
}

/** MurmurHash3's 32-bit finaliser over (row, source): a bijection with full avalanche, so the bits of (s, r) and (t, r) are unrelated. */
function rowHash(s: number, r: number): number {
  let x = (Math.imul(r, 0x9e3779b1) + Math.imul(s + 1, 0x7feb352d)) | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
