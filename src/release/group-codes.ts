/**
 * Group records by a tuple of dictionary codes (one Int32Array per variable, -1 = null).
 *
 * An LSD radix sort: one stable counting sort per variable, last variable first, over the
 * bucket `code + 1` (so null is bucket 0 and sorts first). The result lists the records
 * group by group in lexicographic tuple order, and within a group in row order (every pass
 * is stable). O(records x variables + sum of cardinalities), typed arrays only: no tuple
 * keys, strings or hash maps per record.
 */

export interface Grouping {
  /** Number of distinct tuples. */
  readonly count: number;
  /** Per record: its group id (groups numbered in lexicographic tuple order, null first). */
  readonly groupOf: Int32Array;
  /** Per group: number of records. */
  readonly size: Int32Array;
  /** Per group: where its records start in `order`. */
  readonly start: Int32Array;
  /** Records sorted by group, then row. */
  readonly order: Int32Array;
}

export function groupByCodes(codes: readonly Int32Array[], cardinalities: readonly number[], records: number): Grouping {
  let order = new Int32Array(records);
  for (let i = 0; i < records; i++) order[i] = i;
  let scratch = new Int32Array(records);
  for (let v = codes.length - 1; v >= 0; v--) {
    const column = codes[v];
    const counts = new Int32Array(cardinalities[v] + 2);
    for (let i = 0; i < records; i++) counts[column[i] + 2]++;
    for (let b = 1; b < counts.length; b++) counts[b] += counts[b - 1];
    // counts[bucket + 1] is now the first output position of bucket `code + 1`.
    for (let i = 0; i < records; i++) {
      const row = order[i];
      scratch[counts[column[row] + 1]++] = row;
    }
    const swap = order;
    order = scratch;
    scratch = swap;
  }

  const groupOf = new Int32Array(records);
  let size = new Int32Array(Math.max(16, Math.min(records, 1024)));
  let start = new Int32Array(size.length);
  let count = 0;
  for (let i = 0; i < records; i++) {
    const row = order[i];
    if (i === 0 || !sameTuple(codes, row, order[i - 1])) {
      if (count === size.length) {
        size = doubled(size);
        start = doubled(start);
      }
      start[count] = i;
      count++;
    }
    groupOf[row] = count - 1;
    size[count - 1]++;
  }
  return { count, groupOf, size: size.slice(0, count), start: start.slice(0, count), order };
}

function sameTuple(codes: readonly Int32Array[], a: number, b: number): boolean {
  for (let v = 0; v < codes.length; v++) if (codes[v][a] !== codes[v][b]) return false;
  return true;
}

function doubled(array: Int32Array): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(array.length * 2);
  grown.set(array);
  return grown;
}
