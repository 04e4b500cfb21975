/**
 * Dense ids for linkage pseudonyms over all sources of a job: records with equal 32-byte
 * pseudonyms share an id, and ids count groups in order of their first record (global record
 * order: source 0's records, then source 1's, ...), exactly the ids `TokenTable` hands out when
 * fed the records in that order. Equality is on all 32 bytes, so two numbers whose pseudonyms
 * share a prefix are never one group.
 *
 * One hash table over millions of records misses cache on nearly every probe (random reads cost
 * ~100 ns on the machines this runs on: 1.3 s for 2M + 2M records). So the records are
 * radix-partitioned by hash bits into pieces whose table fits in L2 (`npm run bench -- join`
 * measures this with the deterministic pass, against DuckDB):
 *
 * ```
 * 1. scatter   valid records -> partitions (stable: global order kept within a partition),
 *              each a 9-word record: the pseudonym's 8 words, then the global record number
 * 2. per part  table on the 8 words: each record finds its group's head (first record);
 *              a head notes its group's size at its global number (sizeAt) and its bit
 * 3. in order  a walk over all records in global order numbers the heads 0, 1, 2, ...
 * 4. per part  every other record takes its head's id: the heads before it, counted on the
 *              bitmap of heads (a few hundred KB, in cache)
 * ```
 * Steps 2-4 touch the global arrays once per record, with independent (pipelined) accesses.
 */

/** Int32 words per partitioned record: the pseudonym's 8 words, then the global record number. */
const RECORD = 9;
/** Records per partition (about): a partition's table and records stay in a 1 MB L2. */
const PARTITION_RECORDS = 16_384;
const MAX_PARTITION_BITS = 20;

export interface PseudonymColumnOfSource {
  /** n x 32 bytes. */
  readonly pseudonyms: Uint8Array;
  /** 1 where the record has a pseudonym. */
  readonly present: Uint8Array;
}

export interface PseudonymGroups {
  /** Group id per record in global numbering, -1 without a pseudonym. */
  readonly ids: Int32Array;
  /** Records per group. */
  readonly sizes: Int32Array;
  readonly count: number;
}

/** Murmur3-style finaliser over the first two words (HMAC output is uniform already). */
function mix(lo: number, hi: number): number {
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function wordsOf(bytes: Uint8Array): Int32Array {
  // An Int32Array view needs a 4-byte-aligned offset; an odd slice is copied once.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >>> 2);
}

export function groupPseudonyms(columns: readonly PseudonymColumnOfSource[]): PseudonymGroups {
  let total = 0;
  let valid = 0;
  for (const c of columns) {
    total += c.present.length;
    for (let r = 0; r < c.present.length; r++) valid += c.present[r];
  }
  const parts = scatter(columns, valid);
  const heads = findHeads(parts, valid, total);
  return numberGroups(parts, heads, valid, total);
}

/** Valid records in partitions: partition p's records are `records[bounds[p] * RECORD ..]`. */
interface Partitions {
  readonly bounds: Int32Array;
  readonly records: Int32Array;
}

/** 1. Scatter (count, then copy), keeping global order within each partition. */
function scatter(columns: readonly PseudonymColumnOfSource[], valid: number): Partitions {
  let bits = 0;
  while (bits < MAX_PARTITION_BITS && valid / 2 ** bits > PARTITION_RECORDS) bits++;
  const parts = 1 << bits;
  const shift = 32 - bits;
  const partMask = parts - 1;
  const bounds = new Int32Array(parts + 1);
  const words = columns.map((c) => wordsOf(c.pseudonyms));
  for (let s = 0; s < columns.length; s++) {
    const w = words[s]; const present = columns[s].present;
    for (let r = 0; r < present.length; r++) if (present[r] !== 0) bounds[((mix(w[r * 8], w[r * 8 + 1]) >>> shift) & partMask) + 1]++;
  }
  for (let p = 0; p < parts; p++) bounds[p + 1] += bounds[p];
  const cursor = bounds.slice(0, parts);
  const records = new Int32Array(valid * RECORD);
  let g = 0;
  for (let s = 0; s < columns.length; s++) {
    const w = words[s]; const present = columns[s].present;
    for (let r = 0; r < present.length; r++, g++) {
      if (present[r] === 0) continue;
      const from = r * 8;
      const w0 = w[from]; const w1 = w[from + 1];
      const to = cursor[(mix(w0, w1) >>> shift) & partMask]++ * RECORD;
      records[to] = w0; records[to + 1] = w1; records[to + 2] = w[from + 2]; records[to + 3] = w[from + 3];
      records[to + 4] = w[from + 4]; records[to + 5] = w[from + 5]; records[to + 6] = w[from + 6]; records[to + 7] = w[from + 7];
      records[to + 8] = g;
    }
  }
  return { bounds, records };
}

interface Heads {
  /** Per partitioned record, the partitioned index of its group's head (first record). */
  readonly head: Int32Array;
  /** At a head's global number, its group's size (0 elsewhere). */
  readonly sizeAt: Int32Array;
  /** Heads as a bitmap over global numbers. */
  readonly isHead: Int32Array;
}

/** 2. Per partition: each record's head (first record with its pseudonym); heads count members. */
function findHeads({ bounds, records }: Partitions, valid: number, total: number): Heads {
  const parts = bounds.length - 1;
  const head = new Int32Array(valid);
  const sizeAt = new Int32Array(total);
  let largest = 16;
  for (let p = 0; p < parts; p++) largest = Math.max(largest, bounds[p + 1] - bounds[p]);
  let capacity = 16;
  while (capacity < largest * 2) capacity <<= 1;
  const slots = new Int32Array(capacity);
  const groupSize = new Int32Array(valid);
  // Heads as a bitmap (total / 8 bytes: stays in cache), so that step 4 finds a head's id by
  // counting bits instead of reading the id array at a random place.
  const isHead = new Int32Array((total >>> 5) + 1);
  for (let p = 0; p < parts; p++) {
    const from = bounds[p]; const to = bounds[p + 1];
    if (from === to) continue;
    let cap = 16;
    while (cap < (to - from) * 2) cap <<= 1;
    const mask = cap - 1;
    slots.fill(-1, 0, cap);
    for (let e = from; e < to; e++) {
      const at = e * RECORD;
      let slot = mix(records[at], records[at + 1]) & mask;
      for (;;) {
        const h = slots[slot];
        if (h < 0) { slots[slot] = e; head[e] = e; groupSize[e] = 1; break; }
        const ht = h * RECORD;
        if (records[ht] === records[at] && records[ht + 1] === records[at + 1] && records[ht + 2] === records[at + 2]
          && records[ht + 3] === records[at + 3] && records[ht + 4] === records[at + 4] && records[ht + 5] === records[at + 5]
          && records[ht + 6] === records[at + 6] && records[ht + 7] === records[at + 7]) {
          head[e] = h; groupSize[h]++; break;
        }
        slot = (slot + 1) & mask;
      }
    }
    for (let e = from; e < to; e++) {
      if (head[e] !== e) continue;
      const g = records[e * RECORD + 8];
      sizeAt[g] = groupSize[e];
      isHead[g >>> 5] |= 1 << (g & 31);
    }
  }
  return { head, sizeAt, isHead };
}

/** 3. Heads numbered in global order; 4. members take their head's id. */
function numberGroups({ records }: Partitions, { head, sizeAt, isHead }: Heads, valid: number, total: number): PseudonymGroups {
  const ids = new Int32Array(total).fill(-1);
  const sizes = new Int32Array(valid);
  let count = 0;
  for (let x = 0; x < total; x++) {
    if (sizeAt[x] === 0) continue;
    sizes[count] = sizeAt[x];
    ids[x] = count++;
  }
  // A member's id is the number of heads before its head: a rank over the bitmap.
  const headsBefore = new Int32Array(isHead.length);
  for (let w = 1; w < isHead.length; w++) headsBefore[w] = headsBefore[w - 1] + popcount(isHead[w - 1]);
  for (let e = 0; e < valid; e++) {
    const h = head[e];
    if (h === e) continue;
    const g = records[h * RECORD + 8];
    ids[records[e * RECORD + 8]] = headsBefore[g >>> 5] + popcount(isHead[g >>> 5] & ((1 << (g & 31)) - 1));
  }
  return { ids, sizes: sizes.slice(0, count), count };
}
