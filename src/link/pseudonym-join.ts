/**
 * Exact join on linkage pseudonyms (32-byte HMAC-SHA256 outputs).
 *
 * An open-addressing hash table (linear probing) keyed on the first 8 bytes of each
 * pseudonym, read as two little-endian 32-bit words, and confirmed on all 32 bytes. Each
 * distinct pseudonym gets a dense key id (0, 1, 2, ... in order of first insertion), which
 * callers use to index their own typed arrays.
 *
 *   slots: Int32Array, 4 words per slot (one 16-byte group: a probe touches one cache line)
 *   ┌──────────────┬──────────────┬──────────────┐
 *   │ -1 . . .     │ 2 lo hi .    │ 0 lo hi .    │  word 0: key id or -1 (empty)
 *   └──────────────┴──────────────┴──────────────┘  words 1-2: the first 8 bytes of that key,
 *   capacity = power of two, at most half full       so most probes reject a wrong slot
 *                                                     without touching the key store
 *   keys: Uint8Array(capacityOfKeys * 32), key id i at bytes [32 i, 32 i + 32)
 *
 * HMAC outputs are uniformly distributed, but the first words are still mixed before
 * masking so that structured test data (or a future non-HMAC id) does not cluster.
 * Everything is typed arrays grown by doubling: no object or string per row.
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
 * Rows per partition `joinPseudonyms` aims at. A left partition's working set is about
 * 48 bytes a row (its records, slots at load <= 1/2, chain links): ~770 KB at 16K rows, which
 * stays in a 1 MB L2. 4K and 32K measured slower on the 2M x 2M benchmark (more write
 * streams in the scatter, or misses in the build).
 */
export const PARTITION_ROWS = 16_384;
/** At most 2^20 partitions, so that `1 << bits` stays a positive int whatever is asked. */
const MAX_PARTITION_BITS = 20;
/** Int32 words per partitioned row: the pseudonym's 8 words, then its row in the column. */
const RECORD = 9;
const NO_MATCH = -1;

/** The column's pseudonyms as 8 Int32 words a row (words are only compared, so byte order is moot). */
function wordsOf(column: PseudonymColumn): Int32Array {
  const bytes = column.pseudonyms;
  // An Int32Array view needs a 4-byte-aligned offset; a slice of an odd buffer is copied once.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice(0, column.length * PSEUDONYM_BYTES);
  return new Int32Array(aligned.buffer, aligned.byteOffset, column.length * (PSEUDONYM_BYTES / 4));
}

/** Rows grouped by partition: partition p is records [bounds[p], bounds[p + 1]), each RECORD words. */
interface Partitioned {
  readonly bounds: Int32Array;
  readonly records: Int32Array;
}

const ALL_VALID = new Uint8Array(0);

/**
 * Scatter the valid rows of `column` into 2^bits partitions by the top bits of the mixed
 * prefix: one counting pass, one copying pass. Rows keep their order within a partition,
 * which is what makes every left chain ascending.
 */
function partition(column: PseudonymColumn, bits: number): Partitioned {
  const words = wordsOf(column);
  const n = column.length;
  const valid = column.valid ?? ALL_VALID;
  const allValid = valid.length === 0;
  const offset = column.offset ?? 0;
  const parts = 1 << bits;
  // With bits = 0, `h >>> 32` is `h`; the mask makes it partition 0.
  const shift = 32 - bits;
  const partMask = parts - 1;
  const bounds = new Int32Array(parts + 1);
  for (let row = 0; row < n; row++) {
    const bit = offset + row;
    if (!allValid && (valid[bit >>> 3] & (1 << (bit & 7))) === 0) continue;
    bounds[((mix(words[row * 8], words[row * 8 + 1]) >>> shift) & partMask) + 1]++;
  }
  for (let p = 0; p < parts; p++) bounds[p + 1] += bounds[p];
  const cursor = bounds.slice(0, parts);
  const records = new Int32Array(bounds[parts] * RECORD);
  for (let row = 0; row < n; row++) {
    const bit = offset + row;
    if (!allValid && (valid[bit >>> 3] & (1 << (bit & 7))) === 0) continue;
    const from = row * 8;
    const w0 = words[from];
    const w1 = words[from + 1];
    // Eight word stores beat `records.set(subarray)` by ~3x here (no view per row).
    const to = cursor[(mix(w0, w1) >>> shift) & partMask]++ * RECORD;
    records[to] = w0;
    records[to + 1] = w1;
    records[to + 2] = words[from + 2];
    records[to + 3] = words[from + 3];
    records[to + 4] = words[from + 4];
    records[to + 5] = words[from + 5];
    records[to + 6] = words[from + 6];
    records[to + 7] = words[from + 7];
    records[to + 8] = row;
  }
  return { bounds, records };
}

/** Words 2..7 of record `a` in `as` equal those of record `b` in `bs` (words 0-1 were compared). */
function sameTail(as: Int32Array, a: number, bs: Int32Array, b: number): boolean {
  return as[a + 2] === bs[b + 2] && as[a + 3] === bs[b + 3] && as[a + 4] === bs[b + 4]
    && as[a + 5] === bs[b + 5] && as[a + 6] === bs[b + 6] && as[a + 7] === bs[b + 7];
}

/** The left record (index) holding the pseudonym at `keys[at .. at + 8)`, or -1: one probe of a partition's table. */
function find(slots: Int32Array, mask: number, lr: Int32Array, keys: Int32Array, at: number): number {
  const lo = keys[at];
  const hi = keys[at + 1];
  for (let slot = mix(lo, hi) & mask; ; slot = (slot + 1) & mask) {
    const e = slots[slot];
    if (e < 0) return -1;
    const et = e * RECORD;
    if (lr[et] === lo && lr[et + 1] === hi && sameTail(lr, et, keys, at)) return e;
  }
}

/**
 * Note that right row `row` matches left record `e` (head of its key's chain); returns the
 * number of pairs. A unique left key is stored as its left row, a chain as -2 - e.
 */
function noteHit(hit: Int32Array, row: number, e: number, lr: Int32Array, next: Int32Array): number {
  if (next[e] < 0) {
    hit[row] = lr[e * RECORD + 8];
    return 1;
  }
  hit[row] = -2 - e;
  let pairs = 0;
  for (let t = e; t >= 0; t = next[t]) pairs++;
  return pairs;
}

/**
 * Inner equi-join of two pseudonym columns: every (left row, right row) pair with the same
 * valid pseudonym (many-to-many), ordered by right row, then left row. Rows without a
 * pseudonym join nothing. Join a column with itself and keep `left < right` for duplicates.
 */
export function joinPseudonyms(left: PseudonymColumn, right: PseudonymColumn): JoinPairs {
  return joinPseudonymsPartitioned(left, right, PARTITION_ROWS);
}

/**
 * `joinPseudonyms` as a radix-partitioned hash join, partitions of about `partitionRows` left
 * rows (exposed so tests can reach many partitions with little data; the result does not
 * depend on it).
 *
 * 1. Both sides are scattered into the same 2^bits partitions by the mixed 8-byte prefix,
 *    each row copied as a 9-word record (pseudonym, row), so a partition is contiguous.
 * 2. Per partition, an open-addressing table over the left records (small enough for L2) is
 *    built and probed with the right records, confirming all 32 bytes. Equal left keys chain
 *    through `next` in row order (built backwards, so each insert is O(1)).
 * 3. A match is noted under its right row in `hit` (the left row itself when the key is
 *    unique on the left, else -2 - chain head), so one pass over `hit` emits the pairs in the
 *    contract's order with no sort.
 */
export function joinPseudonymsPartitioned(left: PseudonymColumn, right: PseudonymColumn, partitionRows: number): JoinPairs {
  checkColumn(left, 'left pseudonym column');
  checkColumn(right, 'right pseudonym column');
  if (!(partitionRows >= 1)) throw new RangeError(`partitionRows must be at least 1, got ${partitionRows}`);
  if (left.length === 0 || right.length === 0) return { count: 0, left: new Int32Array(0), right: new Int32Array(0) };
  let bits = 0;
  while (bits < MAX_PARTITION_BITS && left.length / 2 ** bits > partitionRows) bits++;
  const l = partition(left, bits);
  const r = bits === 0 ? null : partition(right, bits);
  const lr = l.records;
  const rr = r === null ? lr : r.records;
  let largest = 0;
  for (let p = 0; p < 1 << bits; p++) largest = Math.max(largest, l.bounds[p + 1] - l.bounds[p]);
  const slots = new Int32Array(smallestPowerOfTwoAtLeast(largest * 2));
  const next = new Int32Array(l.bounds[1 << bits]);
  const hit = new Int32Array(right.length).fill(NO_MATCH);
  let count = 0;
  for (let p = 0; p < 1 << bits; p++) {
    const start = l.bounds[p];
    const end = l.bounds[p + 1];
    if (start === end) continue;
    const mask = smallestPowerOfTwoAtLeast((end - start) * 2) - 1;
    slots.fill(-1, 0, mask + 1);
    for (let d = end - 1; d >= start; d--) {
      const at = d * RECORD;
      let slot = mix(lr[at], lr[at + 1]) & mask;
      for (;;) {
        const e = slots[slot];
        const et = e * RECORD;
        if (e < 0 || (lr[et] === lr[at] && lr[et + 1] === lr[at + 1] && sameTail(lr, et, lr, at))) {
          next[d] = e; // -1 (new key) or the previous head: d now heads its key's chain
          slots[slot] = d;
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
    if (r === null) continue; // one partition: probed in place below
    for (let d = r.bounds[p], stop = r.bounds[p + 1]; d < stop; d++) {
      const at = d * RECORD;
      const e = find(slots, mask, lr, rr, at);
      if (e >= 0) count += noteHit(hit, rr[at + 8], e, lr, next);
    }
  }
  if (r === null) {
    // The whole left side is one cache-sized table: stream the right column as it is instead
    // of copying it (4K x 2M rows: 2.5x faster than scattering the right side first).
    const words = wordsOf(right);
    const valid = right.valid ?? ALL_VALID;
    const offset = right.offset ?? 0;
    const mask = smallestPowerOfTwoAtLeast(l.bounds[1] * 2) - 1;
    for (let row = 0; row < right.length; row++) {
      const bit = offset + row;
      if (valid.length > 0 && (valid[bit >>> 3] & (1 << (bit & 7))) === 0) continue;
      const e = find(slots, mask, lr, words, row * 8);
      if (e >= 0) count += noteHit(hit, row, e, lr, next);
    }
  }
  const outLeft = new Int32Array(count);
  const outRight = new Int32Array(count);
  let k = 0;
  for (let row = 0; row < right.length; row++) {
    const h = hit[row];
    if (h === NO_MATCH) continue;
    if (h >= 0) {
      outLeft[k] = h;
      outRight[k++] = row;
      continue;
    }
    for (let t = -2 - h; t >= 0; t = next[t]) {
      outLeft[k] = lr[t * RECORD + 8];
      outRight[k++] = row;
    }
  }
  return { count, left: outLeft, right: outRight };
}
