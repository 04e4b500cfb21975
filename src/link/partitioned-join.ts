/**
 * The equi-join of two pseudonym columns, radix-partitioned so each partition's table stays in
 * cache: both sides are split by hash bits of the 8-byte prefix, then each partition builds a
 * small table on the left and probes it with the right, confirming on all 32 bytes. Small left
 * sides skip the partitioning and probe one table in place.
 */
import { PSEUDONYM_BYTES, checkColumn, mix, smallestPowerOfTwoAtLeast, word, type PseudonymColumn } from './pseudonym-join.js';

/** Pairs of rows with equal pseudonyms: `left[i]` joins `right[i]`, for i < count. */
export interface JoinPairs {
  readonly count: number;
  readonly left: Int32Array;
  readonly right: Int32Array;
}

/**
 * Left rows per partition. A partition's working set is about 48 bytes a row (records, slots
 * at load <= 1/2, chain links), ~770 KB at 16K rows: it stays in a 1 MB L2. 4K to 32K measured
 * alike on 2M x 2M; 16K keeps the scatter to few write streams.
 */
export const PARTITION_ROWS = 16_384;
/**
 * Up to this many left rows the join builds one table and streams the right column through
 * it uncopied. Scattering the right side costs ~35 ns a row, which a small left side does not
 * earn back: with 2M right rows, 100K left rows took 64 ms in place vs 123 ms partitioned,
 * 200K left rows 211 ms vs 161 ms.
 */
export const IN_PLACE_ROWS = 131_072;
/**
 * Rows (per side) scattered per pass: partitions are joined a group at a time, reusing one
 * record buffer per side, so scratch memory stays bounded (~300 MB) however large the sides.
 * Each pass rereads the input sparsely, so passes are not free: at 8M x 8M, passes of 4M rows
 * took 1.20 s like one pass (with half the page faults), passes of 2M rows 1.23-1.50 s.
 */
export const PASS_ROWS = 4_194_304;
/** Partition ids fit a Uint16Array, with NO_PARTITION for rows without a pseudonym. */
const MAX_PARTITION_BITS = 15;
const NO_PARTITION = 0xffff;
/** Int32 words per scattered row: the pseudonym's 8 words, then its row in the column. */
const RECORD = 9;

/** The column's pseudonyms as 8 Int32 words a row (words are only compared, so byte order is moot). */
function wordsOf(column: PseudonymColumn): Int32Array {
  const bytes = column.pseudonyms;
  // An Int32Array view needs a 4-byte-aligned offset; a slice of an odd buffer is copied once.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice(0, column.length * PSEUDONYM_BYTES);
  return new Int32Array(aligned.buffer, aligned.byteOffset, column.length * (PSEUDONYM_BYTES / 4));
}

/** Each row's partition (NO_PARTITION when null) and where each partition starts in partition order. */
interface Partitioning {
  readonly words: Int32Array;
  readonly ids: Uint16Array;
  /** Partition p holds rows [bounds[p], bounds[p + 1]) in partition order. */
  readonly bounds: Int32Array;
}

const ALL_VALID = new Uint8Array(0);

/** One counting pass: the partition of every row, by the top `bits` bits of the mixed prefix. */
function partitionIds(column: PseudonymColumn, bits: number): Partitioning {
  const words = wordsOf(column);
  const n = column.length;
  const valid = column.valid ?? ALL_VALID;
  const offset = column.offset ?? 0;
  const shift = 32 - bits;
  const ids = new Uint16Array(n);
  const bounds = new Int32Array((1 << bits) + 1);
  for (let row = 0; row < n; row++) {
    const bit = offset + row;
    if (valid.length > 0 && (valid[bit >>> 3] & (1 << (bit & 7))) === 0) {
      ids[row] = NO_PARTITION;
      continue;
    }
    const p = bits === 0 ? 0 : mix(words[row * 8], words[row * 8 + 1]) >>> shift;
    ids[row] = p;
    bounds[p + 1]++;
  }
  for (let p = 0; p < 1 << bits; p++) bounds[p + 1] += bounds[p];
  return { words, ids, bounds };
}

/**
 * Copy the rows of partitions [from, to) into `records`, grouped by partition, in row order
 * within each (which is what makes every chain of equal left keys ascending).
 */
function scatter(side: Partitioning, from: number, to: number, records: Int32Array): void {
  const { words, ids, bounds } = side;
  const base = bounds[from];
  const span = to - from;
  const cursor = bounds.slice(from, to);
  for (let row = 0; row < ids.length; row++) {
    const p = ids[row] - from;
    if (p < 0 || p >= span) continue; // another pass's partition, or no pseudonym
    const at = row * 8;
    // Eight word stores beat `records.set(subarray)` by ~3x here (no view per row).
    const r = (cursor[p]++ - base) * RECORD;
    records[r] = words[at];
    records[r + 1] = words[at + 1];
    records[r + 2] = words[at + 2];
    records[r + 3] = words[at + 3];
    records[r + 4] = words[at + 4];
    records[r + 5] = words[at + 5];
    records[r + 6] = words[at + 6];
    records[r + 7] = words[at + 7];
    records[r + 8] = row;
  }
}

/** Words 2..7 of record `a` in `as` equal those of record `b` in `bs` (words 0-1 were compared). */
function sameTail(as: Int32Array, a: number, bs: Int32Array, b: number): boolean {
  return as[a + 2] === bs[b + 2] && as[a + 3] === bs[b + 3] && as[a + 4] === bs[b + 4]
    && as[a + 5] === bs[b + 5] && as[a + 6] === bs[b + 6] && as[a + 7] === bs[b + 7];
}

/**
 * The working state of one join. Matches are kept by right row, so one walk over `hit` at the
 * end emits the pairs in the contract's order with no sort:
 *   hit[right row]  0: no match; l + 1: left row l alone; -(l + 1): left rows l, more[l] - 1, ...
 *   more[left row]  next left row with the same pseudonym, + 1 (0: none); only duplicates
 *                   write it, so its pages are never touched when left keys are unique.
 */
interface JoinState {
  readonly slots: Int32Array;
  /** Per left record of the current pass: the next record with the same key, or -1. */
  readonly next: Int32Array;
  readonly hit: Int32Array;
  readonly more: Int32Array;
  count: number;
}

/**
 * Open-addressing table over left records [start, end) in `state.slots` (reused by every
 * partition); returns its mask. Inserting backwards makes each record the head of its key's
 * chain, so the chain runs in row order and each insert is O(1).
 */
function buildTable(lr: Int32Array, start: number, end: number, state: JoinState): number {
  const { slots, next, more } = state;
  const mask = smallestPowerOfTwoAtLeast((end - start) * 2) - 1;
  slots.fill(-1, 0, mask + 1);
  for (let d = end - 1; d >= start; d--) {
    const at = d * RECORD;
    let slot = mix(lr[at], lr[at + 1]) & mask;
    for (;;) {
      const e = slots[slot];
      if (e < 0) {
        next[d] = -1;
        slots[slot] = d;
        break;
      }
      const et = e * RECORD;
      if (lr[et] === lr[at] && lr[et + 1] === lr[at + 1] && sameTail(lr, et, lr, at)) {
        next[d] = e;
        more[lr[at + 8]] = lr[et + 8] + 1;
        slots[slot] = d;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  return mask;
}

/** Probe the table with the pseudonym at `keys[at .. at + 8)` and note the match of right row `row`. */
function probe(lr: Int32Array, mask: number, keys: Int32Array, at: number, row: number, state: JoinState): void {
  const { slots, next } = state;
  const lo = keys[at];
  const hi = keys[at + 1];
  for (let slot = mix(lo, hi) & mask; ; slot = (slot + 1) & mask) {
    const e = slots[slot];
    if (e < 0) return;
    const et = e * RECORD;
    if (lr[et] === lo && lr[et + 1] === hi && sameTail(lr, et, keys, at)) {
      if (next[e] < 0) {
        state.hit[row] = lr[et + 8] + 1;
        state.count++;
      } else {
        state.hit[row] = -(lr[et + 8] + 1);
        for (let t = e; t >= 0; t = next[t]) state.count++;
      }
      return;
    }
  }
}

/**
 * Inner equi-join of two pseudonym columns: every (left row, right row) pair with the same
 * valid pseudonym (many-to-many), ordered by right row, then left row. Rows without a
 * pseudonym join nothing. Join a column with itself and keep `left < right` for duplicates.
 */
export function joinPseudonyms(left: PseudonymColumn, right: PseudonymColumn): JoinPairs {
  return joinPseudonymsPartitioned(left, right);
}

/** Where `joinPseudonymsPartitioned` switches strategy (tests shrink them to reach every path). */
export interface JoinTuning {
  /** Left rows per partition (about). */
  readonly partitionRows?: number;
  /** Up to this many left rows, one table and the right column probed in place. */
  readonly inPlaceRows?: number;
  /** Rows per side scattered per pass (a single partition may exceed it). */
  readonly passRows?: number;
}

/**
 * `joinPseudonyms` as a radix-partitioned hash join. `tuning` moves only the strategy
 * thresholds: the result is the same.
 *
 * - Up to `inPlaceRows` left rows: one table over the whole left side, probed by streaming
 *   the right column as it is.
 * - Otherwise both sides get a partition id per row (the top bits of the mixed 8-byte prefix;
 *   ~`partitionRows` left rows each). A pass takes consecutive partitions holding up to
 *   `passRows` rows a side, copies their rows as 9-word records (pseudonym, row) grouped by
 *   partition, then for each partition builds a table over its left records (small enough
 *   for L2) and probes it with its right records, confirming all 32 bytes.
 */
export function joinPseudonymsPartitioned(left: PseudonymColumn, right: PseudonymColumn, tuning: JoinTuning = {}): JoinPairs {
  checkColumn(left, 'left pseudonym column');
  checkColumn(right, 'right pseudonym column');
  const partitionRows = tuning.partitionRows ?? PARTITION_ROWS;
  const passRows = tuning.passRows ?? PASS_ROWS;
  if (!(partitionRows >= 1 && passRows >= 1)) throw new RangeError(`partitionRows and passRows must be at least 1, got ${partitionRows} and ${passRows}`);
  if (left.length === 0 || right.length === 0) return pairsInRightOrder(new Int32Array(0), 0, new Int32Array(0));
  let bits = 0;
  if (left.length > (tuning.inPlaceRows ?? IN_PLACE_ROWS)) {
    do bits++; while (bits < MAX_PARTITION_BITS && left.length / 2 ** bits > partitionRows);
  }
  const l = partitionIds(left, bits);
  const r = bits === 0 ? null : partitionIds(right, bits);
  const parts = 1 << bits;
  let largest = 0;
  for (let p = 0; p < parts; p++) largest = Math.max(largest, l.bounds[p + 1] - l.bounds[p]);
  const passes = passesOf(l.bounds, r?.bounds ?? null, passRows);
  let leftPass = 0;
  let rightPass = 0;
  for (let k = 0; k + 1 < passes.length; k++) {
    leftPass = Math.max(leftPass, l.bounds[passes[k + 1]] - l.bounds[passes[k]]);
    if (r !== null) rightPass = Math.max(rightPass, r.bounds[passes[k + 1]] - r.bounds[passes[k]]);
  }
  const state: JoinState = {
    slots: new Int32Array(smallestPowerOfTwoAtLeast(largest * 2)),
    next: new Int32Array(leftPass),
    hit: new Int32Array(right.length),
    more: new Int32Array(left.length),
    count: 0,
  };
  const lr = new Int32Array(leftPass * RECORD);
  if (r === null) {
    // One table over the whole left side; the right column streams through it uncopied.
    scatter(l, 0, 1, lr);
    const mask = buildTable(lr, 0, l.bounds[1], state);
    const words = wordsOf(right);
    const valid = right.valid ?? ALL_VALID;
    const offset = right.offset ?? 0;
    for (let row = 0; row < right.length; row++) {
      const bit = offset + row;
      if (valid.length > 0 && (valid[bit >>> 3] & (1 << (bit & 7))) === 0) continue;
      probe(lr, mask, words, row * 8, row, state);
    }
    return pairsInRightOrder(state.hit, state.count, state.more);
  }
  const rr = new Int32Array(rightPass * RECORD);
  for (let k = 0; k + 1 < passes.length; k++) {
    const from = passes[k];
    const to = passes[k + 1];
    scatter(l, from, to, lr);
    scatter(r, from, to, rr);
    for (let p = from; p < to; p++) {
      const start = l.bounds[p] - l.bounds[from];
      const end = l.bounds[p + 1] - l.bounds[from];
      const probeFrom = (r.bounds[p] - r.bounds[from]) * RECORD;
      const probeTo = (r.bounds[p + 1] - r.bounds[from]) * RECORD;
      if (start === end || probeFrom === probeTo) continue;
      const mask = buildTable(lr, start, end, state);
      for (let at = probeFrom; at < probeTo; at += RECORD) probe(lr, mask, rr, at, rr[at + 8], state);
    }
  }
  return pairsInRightOrder(state.hit, state.count, state.more);
}

/** Pass boundaries: consecutive partitions, at most `passRows` rows a side per pass unless one partition alone holds more. */
function passesOf(leftBounds: Int32Array, rightBounds: Int32Array | null, passRows: number): number[] {
  const parts = leftBounds.length - 1;
  const passes = [0];
  for (let p = 1; p < parts; p++) {
    const from = passes[passes.length - 1];
    const tooMany = (b: Int32Array | null): boolean => b !== null && b[p + 1] - b[from] > passRows;
    if (tooMany(leftBounds) || tooMany(rightBounds)) passes.push(p);
  }
  passes.push(parts);
  return passes;
}

/** The pairs, walking `hit` by right row: the contract's order with no sort. */
function pairsInRightOrder(hit: Int32Array, count: number, more: Int32Array): JoinPairs {
  const left = new Int32Array(count);
  const right = new Int32Array(count);
  let k = 0;
  for (let row = 0; row < hit.length; row++) {
    const h = hit[row];
    if (h === 0) continue;
    if (h > 0) {
      left[k] = h - 1;
      right[k++] = row;
      continue;
    }
    for (let l = -h - 1; ; l = more[l] - 1) {
      left[k] = l;
      right[k++] = row;
      if (more[l] === 0) break;
    }
  }
  return { count, left, right };
}
