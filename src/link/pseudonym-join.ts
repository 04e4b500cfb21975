/**
 * Exact matching on linkage pseudonyms (32-byte HMAC-SHA256 outputs): hashing on the first
 * 8 bytes, confirmation on all 32. Two tools, no object or string per row:
 *
 * `PseudonymTable` interns pseudonyms to dense key ids (0, 1, 2, ... in order of first
 * insertion), which callers (the person spine) use to index their own typed arrays. It is an
 * open-addressing table (linear probing), grown by doubling:
 *
 *   slots: Int32Array, 4 words per slot (one 16-byte group: a probe touches one cache line)
 *   ┌──────────────┬──────────────┬──────────────┐
 *   │ -1 . . .     │ 2 lo hi .    │ 0 lo hi .    │  word 0: key id or -1 (empty)
 *   └──────────────┴──────────────┴──────────────┘  words 1-2: the first 8 bytes of that key,
 *   capacity = power of two, at most half full       so most probes reject a wrong slot
 *                                                     without touching the key store
 *   keys: Uint8Array(capacityOfKeys * 32), key id i at bytes [32 i, 32 i + 32)
 *
 * `joinPseudonyms` joins two columns. One big table misses cache on nearly every probe
 * (1.7 s for 2M x 2M), so it radix-partitions both sides by hash bits into pieces whose
 * table stays in L2, then builds and probes each piece (0.25 s); see `joinPseudonymsPartitioned`.
 *
 * HMAC outputs are uniformly distributed, but the first words are still mixed before
 * masking so that structured test data (or a future non-HMAC id) does not cluster.
 */

/** Bytes in one linkage pseudonym (HMAC-SHA256 output). */
export const PSEUDONYM_BYTES = 32;

/**
 * One column of pseudonyms, in the shape of an apache-arrow `Data<FixedSizeBinary>`:
 * `{ pseudonyms: data.values, valid: data.nullBitmap, offset: data.offset, length: data.length }`.
 *
 * As in apache-arrow, `pseudonyms` is already sliced (row i is at bytes [32 i, 32 i + 32)),
 * while the validity bitmap is shared with the parent and row i is bit `offset + i`
 * (LSB first). `valid` null or empty means every row is valid. Null rows hold zeros.
 */
export interface PseudonymColumn {
  readonly pseudonyms: Uint8Array;
  readonly valid: Uint8Array | null;
  readonly offset?: number;
  readonly length: number;
}

/** The column view of an apache-arrow `Data<FixedSizeBinary>` (or anything shaped like one). */
export function pseudonymColumnOf(data: {
  readonly values: Uint8Array;
  readonly nullBitmap: Uint8Array | null | undefined;
  readonly offset: number;
  readonly length: number;
}): PseudonymColumn {
  return { pseudonyms: data.values, valid: data.nullBitmap ?? null, offset: data.offset, length: data.length };
}

/** True when row `row` of `column` carries a pseudonym. */
export function hasPseudonym(column: PseudonymColumn, row: number): boolean {
  const valid = column.valid;
  if (valid === null || valid.length === 0) return true;
  const bit = (column.offset ?? 0) + row;
  return (valid[bit >>> 3] & (1 << (bit & 7))) !== 0;
}

function checkColumn(column: PseudonymColumn, what: string): void {
  if (column.pseudonyms.length < column.length * PSEUDONYM_BYTES) {
    throw new RangeError(`${what} holds ${column.pseudonyms.length} bytes, fewer than ${column.length} pseudonyms of ${PSEUDONYM_BYTES} bytes`);
  }
  const valid = column.valid;
  if (valid !== null && valid.length > 0 && valid.length * 8 < (column.offset ?? 0) + column.length) {
    throw new RangeError(`${what} has a validity bitmap shorter than its ${column.length} rows`);
  }
}

function smallestPowerOfTwoAtLeast(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

/** Little-endian 32-bit word at `at` as a signed int (as an Int32Array stores it), no DataView. */
function word(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
}

/** Murmur3-style finaliser over the first two words: cheap, and spreads structured inputs. */
function mix(lo: number, hi: number): number {
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A set of distinct pseudonyms, each with a dense key id. */
export class PseudonymTable {
  private slots: Int32Array;
  private mask: number;
  private keys: Uint8Array;
  private count = 0;

  /** `expectedDistinct` is a sizing hint only; the table grows by doubling. */
  constructor(expectedDistinct = 1024) {
    // Load factor at most 1/2: capacity is a power of two >= 2x the distinct count.
    const capacity = smallestPowerOfTwoAtLeast(Math.max(1, expectedDistinct) * 2);
    this.slots = emptySlots(capacity);
    this.mask = capacity - 1;
    this.keys = new Uint8Array(Math.max(16, expectedDistinct) * PSEUDONYM_BYTES);
  }

  /** Number of distinct pseudonyms held (the next key id). */
  get size(): number {
    return this.count;
  }

  /** Number of hash slots (a power of two, >= 2x size). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** The 32 bytes of key `id` (a view into the table; copy it to keep it). */
  keyBytes(id: number): Uint8Array {
    if (id < 0 || id >= this.count) throw new RangeError(`key id ${id} is not in the table of ${this.count}`);
    return this.keys.subarray(id * PSEUDONYM_BYTES, (id + 1) * PSEUDONYM_BYTES);
  }

  /**
   * The key id of the pseudonym at `bytes[at .. at + 32)`, inserting it if absent.
   * A new pseudonym gets id `size` (as it was before the call), so a caller can tell
   * "new" by comparing the result with `size` read before the call.
   */
  intern(bytes: Uint8Array, at: number): number {
    if (!(at >= 0 && at + PSEUDONYM_BYTES <= bytes.length)) throw new RangeError(`no ${PSEUDONYM_BYTES}-byte pseudonym at byte ${at} of ${bytes.length}`);
    const lo = word(bytes, at);
    const hi = word(bytes, at + 4);
    const slots = this.slots;
    let slot = this.slotOf(lo, hi);
    for (;;) {
      const id = slots[slot * 4];
      if (id < 0) break;
      if (slots[slot * 4 + 1] === lo && slots[slot * 4 + 2] === hi && this.sameTail(id, bytes, at)) return id;
      slot = (slot + 1) & this.mask;
    }
    const id = this.count;
    if ((id + 1) * PSEUDONYM_BYTES > this.keys.length) {
      const grown = new Uint8Array(this.keys.length * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    const keys = this.keys;
    const base = id * PSEUDONYM_BYTES;
    for (let i = 0; i < PSEUDONYM_BYTES; i++) keys[base + i] = bytes[at + i];
    slots[slot * 4] = id;
    slots[slot * 4 + 1] = lo;
    slots[slot * 4 + 2] = hi;
    this.count = id + 1;
    if (this.count * 2 > this.mask + 1) this.rehash();
    return id;
  }

  /** The key id of the pseudonym at `bytes[at .. at + 32)`, or -1 when absent. */
  lookup(bytes: Uint8Array, at: number): number {
    if (!(at >= 0 && at + PSEUDONYM_BYTES <= bytes.length)) throw new RangeError(`no ${PSEUDONYM_BYTES}-byte pseudonym at byte ${at} of ${bytes.length}`);
    const lo = word(bytes, at);
    const hi = word(bytes, at + 4);
    const slots = this.slots;
    let slot = this.slotOf(lo, hi);
    for (;;) {
      const id = slots[slot * 4];
      if (id < 0) return -1;
      if (slots[slot * 4 + 1] === lo && slots[slot * 4 + 2] === hi && this.sameTail(id, bytes, at)) return id;
      slot = (slot + 1) & this.mask;
    }
  }

  /**
   * Intern every valid row of `column`; `out[row]` receives its key id, or -1 for a row
   * without a pseudonym. Rows are interned in row order, so ids of new pseudonyms follow
   * their first appearance.
   */
  internColumn(column: PseudonymColumn, out: Int32Array = new Int32Array(column.length)): Int32Array {
    checkColumn(column, 'pseudonym column');
    this.eachRow(column, out, true);
    return out;
  }

  /** Like `internColumn` but without inserting: `out[row]` is the key id or -1 (null or absent). */
  lookupColumn(column: PseudonymColumn, out: Int32Array = new Int32Array(column.length)): Int32Array {
    checkColumn(column, 'pseudonym column');
    this.eachRow(column, out, false);
    return out;
  }

  private eachRow(column: PseudonymColumn, out: Int32Array, insert: boolean): void {
    const n = column.length;
    if (out.length < n) throw new RangeError(`output holds ${out.length} rows, the column ${n}`);
    const bytes = column.pseudonyms;
    const valid = column.valid;
    // Decide the no-null fast path once per column, not per row.
    if (valid === null || valid.length === 0) {
      for (let row = 0; row < n; row++) out[row] = insert ? this.intern(bytes, row * PSEUDONYM_BYTES) : this.lookup(bytes, row * PSEUDONYM_BYTES);
      return;
    }
    const offset = column.offset ?? 0;
    for (let row = 0; row < n; row++) {
      const bit = offset + row;
      if ((valid[bit >>> 3] & (1 << (bit & 7))) === 0) {
        out[row] = -1;
      } else {
        out[row] = insert ? this.intern(bytes, row * PSEUDONYM_BYTES) : this.lookup(bytes, row * PSEUDONYM_BYTES);
      }
    }
  }

  private slotOf(lo: number, hi: number): number {
    return mix(lo, hi) & this.mask;
  }

  /** Bytes 8..31 of key `id` equal those of the candidate (the first 8 were compared). */
  private sameTail(id: number, bytes: Uint8Array, at: number): boolean {
    const keys = this.keys;
    const base = id * PSEUDONYM_BYTES;
    for (let i = 8; i < PSEUDONYM_BYTES; i++) {
      if (keys[base + i] !== bytes[at + i]) return false;
    }
    return true;
  }

  private rehash(): void {
    const old = this.slots;
    const capacity = (this.mask + 1) * 2;
    const slots = emptySlots(capacity);
    this.mask = capacity - 1;
    for (let s = 0; s < old.length; s += 4) {
      if (old[s] < 0) continue;
      let slot = this.slotOf(old[s + 1], old[s + 2]);
      while (slots[slot * 4] >= 0) slot = (slot + 1) & this.mask;
      slots[slot * 4] = old[s];
      slots[slot * 4 + 1] = old[s + 1];
      slots[slot * 4 + 2] = old[s + 2];
    }
    this.slots = slots;
  }
}

function emptySlots(capacity: number): Int32Array {
  const slots = new Int32Array(capacity * 4);
  for (let s = 0; s < slots.length; s += 4) slots[s] = -1;
  return slots;
}

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
