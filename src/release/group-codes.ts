/**
 * Group records by a tuple of dictionary codes (one Int32Array per variable, -1 = null).
 *
 * The result lists the records group by group in lexicographic tuple order (null first), and
 * within a group in row order. O(records x variables + key space), typed arrays only: no tuple
 * keys, strings or hash maps per record.
 *
 * When the tuples fit 32 bits (the product of the cardinalities + 1, as for key variables and
 * most pairs), each record's tuple becomes one number, in lexicographic order, and the records
 * are sorted by it in one or two stable counting passes of 16 bits that read the keys in order.
 * Otherwise an LSD radix sort by variable, last first, whose passes read each column through
 * the current order: a cache miss per record and variable, which made it the release build's
 * largest cost (3.1 s of 8.8 s at 500k persons; `npm run bench -- turnaround`).
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

const DIGIT = 65_536;

export function groupByCodes(codes: readonly Int32Array[], cardinalities: readonly number[], records: number): Grouping {
  let space = 1;
  for (const c of cardinalities) space *= c + 1;
  return space <= 2 ** 32 ? groupByTupleKey(codes, cardinalities, records, space) : groupByColumns(codes, cardinalities, records);
}

function groupByTupleKey(codes: readonly Int32Array[], cardinalities: readonly number[], records: number, space: number): Grouping {
  let keys = new Uint32Array(records);
  for (let v = 0; v < codes.length; v++) {
    const column = codes[v];
    const radix = cardinalities[v] + 1;
    for (let i = 0; i < records; i++) keys[i] = keys[i] * radix + column[i] + 1;
  }
  let order = new Int32Array(records);
  for (let i = 0; i < records; i++) order[i] = i;
  let keyScratch = new Uint32Array(records);
  let scratch = new Int32Array(records);
  const counts = new Int32Array(DIGIT + 1);
  for (let shift = 0; shift < 32 && space > 2 ** shift; shift += 16) {
    counts.fill(0);
    for (let i = 0; i < records; i++) counts[((keys[i] >>> shift) & 0xffff) + 1]++;
    for (let b = 1; b <= DIGIT; b++) counts[b] += counts[b - 1];
    for (let i = 0; i < records; i++) {
      const at = counts[(keys[i] >>> shift) & 0xffff]++;
      keyScratch[at] = keys[i];
      scratch[at] = order[i];
    }
    [keys, keyScratch] = [keyScratch, keys];
    [order, scratch] = [scratch, order];
  }
  return groupsOfSorted(order, records, (i) => i === 0 || keys[i] !== keys[i - 1]);
}

function groupByColumns(codes: readonly Int32Array[], cardinalities: readonly number[], records: number): Grouping {
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
  return groupsOfSorted(order, records, (i) => i === 0 || !sameTuple(codes, order[i], order[i - 1]));
}

/** Groups of records sorted by tuple: `starts(i)` says whether sorted position i begins one. */
function groupsOfSorted(order: Int32Array, records: number, starts: (i: number) => boolean): Grouping {
  const groupOf = new Int32Array(records);
  let size = new Int32Array(Math.max(16, Math.min(records, 1024)));
  let start = new Int32Array(size.length);
  let count = 0;
  for (let i = 0; i < records; i++) {
    const row = order[i];
    if (starts(i)) {
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
