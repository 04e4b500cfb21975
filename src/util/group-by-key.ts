/**
 * A stable counting sort of record indices by an integer key, cache-friendly for millions of
 * records and keys: the engine groups records by pseudonym id, the writers by cluster.
 *
 * A plain counting sort increments and scatters at a random key per record; with millions of
 * keys nearly every access misses cache (~100-200 ns each here). Instead, two radix passes:
 *
 * ```
 * A  records bucketed by the key's high bits (key >>> LOW_BITS): a few hundred streams
 * B  per bucket: its keys span 2^LOW_BITS values, so counting and placing are local
 * ```
 * Result: `order[start[k] .. start[k + 1])` are the records with key k, ascending.
 */

const LOW_BITS = 14;

export interface KeyGroups {
  /** keyCount + 1 entries. */
  readonly start: Int32Array;
  /** Records with a kept key, grouped by key, ascending within a key. */
  readonly order: Int32Array;
}

/**
 * Groups records 0..keys.length-1 by `keys[r]` (0 <= key < keyCount); a negative key leaves the
 * record out, and so does a key whose `keep` flag is 0 (when `keep` is given).
 */
export function groupByKey(keys: Int32Array, keyCount: number, keep: Uint8Array | null = null): KeyGroups {
  const n = keys.length;
  const buckets = (keyCount >>> LOW_BITS) + 1;
  // A. Count per high bucket, then scatter (record, key) pairs into the buckets in order.
  const bucketStart = new Int32Array(buckets + 1);
  for (let r = 0; r < n; r++) {
    const k = keys[r];
    if (k >= 0 && (keep === null || keep[k] !== 0)) bucketStart[(k >>> LOW_BITS) + 1]++;
  }
  for (let b = 0; b < buckets; b++) bucketStart[b + 1] += bucketStart[b];
  const kept = bucketStart[buckets];
  const fill = bucketStart.slice(0, buckets);
  const pairs = new Int32Array(kept * 2);
  for (let r = 0; r < n; r++) {
    const k = keys[r];
    if (k < 0 || (keep !== null && keep[k] === 0)) continue;
    if (k >= keyCount) throw new RangeError(`key ${k} of record ${r} is not below ${keyCount}`);
    const at = fill[k >>> LOW_BITS]++ * 2;
    pairs[at] = r; pairs[at + 1] = k;
  }
  // B. Per bucket: counts of its keys (local), their starts, then the records in place.
  const start = new Int32Array(keyCount + 1);
  const order = new Int32Array(kept);
  for (let b = 0; b < buckets; b++) {
    const k0 = b << LOW_BITS;
    const k1 = Math.min(keyCount, k0 + (1 << LOW_BITS));
    const from = bucketStart[b]; const to = bucketStart[b + 1];
    for (let i = from * 2; i < to * 2; i += 2) start[pairs[i + 1] + 1]++;
    start[k0] = from;
    for (let k = k0; k < k1; k++) start[k + 1] += start[k];
    // Place each record at its key's next slot; `start` is restored after (shifted back).
    for (let i = from * 2; i < to * 2; i += 2) order[start[pairs[i + 1]]++] = pairs[i];
    for (let k = k1; k > k0; k--) start[k] = start[k - 1];
    start[k0] = from;
  }
  start[keyCount] = kept;
  return { start, order };
}
