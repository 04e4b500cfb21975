/**
 * Exact matching on linkage pseudonyms (32-byte HMAC-SHA256 outputs): hashing on the first
 * 8 bytes, confirmation on all 32. Two tools, no object or string per row:
 *
 * `PseudonymTable` interns pseudonyms to dense key ids (0, 1, 2, ... in order of first
 * insertion), which callers use to index their own typed arrays. It is an
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
 * It serves callers that intern one column at a time (person ids, stored deliveries). The
 * deterministic pass of a job groups all sources' pseudonyms at once with the radix-partitioned
 * `groupPseudonyms` (pseudonym-groups.ts) instead: one big table misses cache on nearly every
 * probe at millions of rows.
 *
 * HMAC outputs are uniformly distributed, but the first words are still mixed before
 * masking so that structured test data (or a future non-HMAC id) does not cluster.
 */
import type { PseudonymColumn } from '../util/pseudonym-column.js';

export type { PseudonymColumn } from '../util/pseudonym-column.js';

/** Bytes in one linkage pseudonym (HMAC-SHA256 output). */
export const PSEUDONYM_BYTES = 32;


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

export function checkColumn(column: PseudonymColumn, what: string): void {
  if (column.pseudonyms.length < column.length * PSEUDONYM_BYTES) {
    throw new RangeError(`${what} holds ${column.pseudonyms.length} bytes, fewer than ${column.length} pseudonyms of ${PSEUDONYM_BYTES} bytes`);
  }
  const valid = column.valid;
  if (valid !== null && valid.length > 0 && valid.length * 8 < (column.offset ?? 0) + column.length) {
    throw new RangeError(`${what} has a validity bitmap shorter than its ${column.length} rows`);
  }
}

export function smallestPowerOfTwoAtLeast(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

/** Little-endian 32-bit word at `at` as a signed int (as an Int32Array stores it), no DataView. */
export function word(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
}

/** Murmur3-style finaliser over the first two words: cheap, and spreads structured inputs. */
export function mix(lo: number, hi: number): number {
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
