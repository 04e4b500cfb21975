/**
 * Gathering rows of a Utf8-shaped column (values + offsets) into a new order, for outputs
 * written row by row in an order unrelated to the column's (links.csv and clusters.csv list
 * the right source's record ids in the left source's order).
 *
 * Reading the rows one by one in that order costs two cache misses per row (offset, then
 * bytes), ~200 ns each on the machines Koppel runs on: a second per 2M rows. Radix passes
 * instead keep every read and write local or streaming:
 *
 * ```
 * A  outputs k, bucketed by source row (rows >> shift): each bucket's bytes fit in L2
 * B  per source bucket: each row's bytes appended, with k and length, to an output bucket
 *    (k >> shift), one streaming write position per output bucket
 * C  per output bucket: records placed by k (local), then copied out in k order
 * ```
 * Cost: three streaming passes over the output, independent of the order.
 */

/** Rows of a Utf8 layout: row i is `values[offsets[i] .. offsets[i + 1])`. */
export interface Utf8Rows {
  readonly values: Uint8Array;
  readonly offsets: Int32Array;
  readonly length: number;
}

/** Source rows (and output rows) per bucket: a bucket's bytes and offsets stay in cache. */
const BUCKET_BITS = 14;
/** Int32 words of a record's header in an output bucket: k, then the byte length. */
const HEADER_WORDS = 2;

/**
 * The column with row k = `column` row `rows[k]`, for k < `rows.length` (rows may repeat or be
 * left out). Every row index must be in range.
 */
export function gatherUtf8(column: Utf8Rows, rows: Int32Array): Utf8Rows {
  const m = rows.length;
  const { values, offsets } = column;
  const outOffsets = new Int32Array(m + 1);
  if (m === 0) return { values: new Uint8Array(0), offsets: outOffsets, length: 0 };
  for (let k = 0; k < m; k++) {
    const r = rows[k];
    if (!(r >= 0 && r < column.length)) throw new RangeError(`row ${k} refers to row ${r} of a column of ${column.length}`);
  }
  const srcBuckets = (column.length >>> BUCKET_BITS) + 1;
  const dstBuckets = (m >>> BUCKET_BITS) + 1;

  // A. Outputs by source bucket (stable: k ascending within a bucket), as (k, row) pairs.
  const srcStart = new Int32Array(srcBuckets + 1);
  for (let k = 0; k < m; k++) srcStart[(rows[k] >>> BUCKET_BITS) + 1]++;
  for (let b = 0; b < srcBuckets; b++) srcStart[b + 1] += srcStart[b];
  const srcFill = srcStart.slice(0, srcBuckets);
  const bySource = new Int32Array(m * 2);
  for (let k = 0; k < m; k++) {
    const r = rows[k];
    const i = srcFill[r >>> BUCKET_BITS]++ * 2;
    bySource[i] = k; bySource[i + 1] = r;
  }

  // B. Bytes per output bucket, then each row's header (k, length) and bytes appended to its
  //    output bucket. Source reads stay within one source bucket at a time.
  const dstBytes = new Int32Array(dstBuckets + 1);
  for (let i = 0; i < m * 2; i += 2) {
    const r = bySource[i + 1];
    dstBytes[(bySource[i] >>> BUCKET_BITS) + 1] += offsets[r + 1] - offsets[r];
  }
  for (let d = 0; d < dstBuckets; d++) dstBytes[d + 1] += dstBytes[d];
  const dstHead = new Int32Array(dstBuckets);
  for (let d = 0; d < dstBuckets; d++) dstHead[d] = (d << BUCKET_BITS) * HEADER_WORDS;
  const headers = new Int32Array(m * HEADER_WORDS);
  const staged = new Uint8Array(dstBytes[dstBuckets]);
  const dstByteFill = dstBytes.slice(0, dstBuckets);
  for (let i = 0; i < m * 2; i += 2) {
    const k = bySource[i]; const r = bySource[i + 1];
    const start = offsets[r]; const len = offsets[r + 1] - start;
    const d = k >>> BUCKET_BITS;
    const h = dstHead[d]; dstHead[d] = h + HEADER_WORDS;
    headers[h] = k; headers[h + 1] = len;
    let at = dstByteFill[d];
    for (let j = 0; j < len; j++) staged[at++] = values[start + j];
    dstByteFill[d] = at;
  }

  // C. Per output bucket (its k range, its headers and bytes are contiguous): offsets by k,
  //    then the bytes to their place.
  const out = new Uint8Array(dstBytes[dstBuckets]);
  for (let d = 0; d < dstBuckets; d++) {
    const k0 = d << BUCKET_BITS;
    const k1 = Math.min(m, k0 + (1 << BUCKET_BITS));
    if (k0 >= k1) break;
    for (let h = k0 * HEADER_WORDS; h < k1 * HEADER_WORDS; h += HEADER_WORDS) outOffsets[headers[h] + 1] = headers[h + 1];
    outOffsets[k0] = dstBytes[d];
    for (let k = k0; k < k1; k++) outOffsets[k + 1] += outOffsets[k];
    let from = dstBytes[d];
    for (let h = k0 * HEADER_WORDS; h < k1 * HEADER_WORDS; h += HEADER_WORDS) {
      const len = headers[h + 1];
      let at = outOffsets[headers[h]];
      for (let j = 0; j < len; j++) out[at++] = staged[from + j];
      from += len;
    }
  }
  return { values: out, offsets: outOffsets, length: m };
}
