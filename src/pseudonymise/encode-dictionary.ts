/**
 * Dictionary-encodes a text column: each distinct raw value once, each row an index into it.
 *
 * Names, dates and postcodes repeat massively across a population, so normalising and HMACing
 * each distinct value once (then scattering typed-array results per row) does a fraction of the
 * work of doing it per row. The distinct values are cleartext: they live only in memory for the
 * duration of one source's encoding and are dropped with this object.
 */
import type { Data, Utf8 } from 'apache-arrow';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';

export interface TextDictionary {
  /** Per row: index into `values`, or -1 for null or blank. */
  readonly codes: Int32Array;
  /** Distinct raw values, trimmed. */
  readonly values: string[];
}

/**
 * Reads Arrow Utf8 chunks through their buffers (never `vector.get(i)`, which decodes a fresh
 * string per call): offsets are per chunk, the validity bitmap is shared by slices, hence
 * `data.offset` when reading it.
 *
 * Rows are looked up by their bytes in an open-addressing table (FNV-1a over the bytes, then a
 * byte compare): a string is decoded only for a value not seen before, never per row.
 */
export function dictionaryOfUtf8(chunks: readonly Data<Utf8>[]): TextDictionary {
  const dict = new Utf8Dictionary();
  const codes = dict.codesOf(chunks);
  return { codes, values: dict.values };
}

/**
 * A dictionary that grows over several calls (an upload's batches): codes stay the same for a
 * value seen before, and `values` only gets new entries appended.
 */
export class Utf8Dictionary {
  private readonly table = new BytesTable();

  /** Distinct values so far, trimmed, in order of first sight. */
  get values(): string[] {
    return this.table.values;
  }

  /** Codes of the rows of `chunks` (in order): an index into `values`, or -1 for null or blank. */
  codesOf(chunks: readonly Data<Utf8>[]): Int32Array {
    let total = 0;
    for (const c of chunks) total += c.length;
    const codes = new Int32Array(total);
    const table = this.table;
    let row = 0;
    for (const data of chunks) {
      const offsets = data.valueOffsets;
      const bytes = data.values;
      const bitmap = validityBitmap(data);
      const bitOffset = data.offset;
      for (let i = 0; i < data.length; i++, row++) {
        if (bitmap !== null && !isBitSet(bitmap, bitOffset + i)) { codes[row] = -1; continue; }
        const start = offsets[i];
        const end = offsets[i + 1];
        codes[row] = start === end ? -1 : table.codeOf(bytes, start, end);
      }
    }
    return codes;
  }
}

/**
 * Raw byte strings -> codes. Each distinct raw value is stored once (its bytes, hash and code);
 * its code is that of its trimmed text (a new one per distinct raw value, -1 when blank), as
 * `lookup` gives for strings.
 */
class BytesTable {
  readonly values: string[] = [];
  private slots = new Int32Array(1 << 12).fill(-1);
  private mask = (1 << 12) - 1;
  /** Per entry: hash, code, and its bytes at store[from[e]..from[e + 1]). */
  private hashes = new Int32Array(1024);
  private entryCodes = new Int32Array(1024);
  private from = new Int32Array(1025);
  private store = new Uint8Array(1 << 16);
  private entries = 0;

  codeOf(bytes: Uint8Array, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let p = start; p < end; p++) h = Math.imul(h ^ bytes[p], 0x01000193);
    const len = end - start;
    let slot = h & this.mask;
    for (;;) {
      const e = this.slots[slot];
      if (e < 0) break;
      if (this.hashes[e] === h && this.from[e + 1] - this.from[e] === len) {
        let same = true;
        for (let p = start, q = this.from[e]; p < end; p++, q++) if (bytes[p] !== this.store[q]) { same = false; break; }
        if (same) return this.entryCodes[e];
      }
      slot = (slot + 1) & this.mask;
    }
    return this.insert(slot, h, bytes, start, end);
  }

  private insert(slot: number, h: number, bytes: Uint8Array, start: number, end: number): number {
    const e = this.entries++;
    if (e + 1 >= this.hashes.length) this.growEntries();
    const at = this.from[e];
    if (at + (end - start) > this.store.length) this.growStore(at + (end - start));
    this.store.set(bytes.subarray(start, end), at);
    this.from[e + 1] = at + (end - start);
    const trimmed = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8').trim();
    let code = -1;
    if (trimmed !== '') { code = this.values.length; this.values.push(trimmed); }
    this.hashes[e] = h;
    this.entryCodes[e] = code;
    this.slots[slot] = e;
    if (this.entries * 2 > this.mask + 1) this.rehash();
    return code;
  }

  private growEntries(): void {
    const n = this.hashes.length * 2;
    const hashes = new Int32Array(n); hashes.set(this.hashes); this.hashes = hashes;
    const entryCodes = new Int32Array(n); entryCodes.set(this.entryCodes); this.entryCodes = entryCodes;
    const from = new Int32Array(n + 1); from.set(this.from); this.from = from;
  }

  private growStore(need: number): void {
    let n = this.store.length * 2;
    while (n < need) n *= 2;
    const store = new Uint8Array(n); store.set(this.store); this.store = store;
  }

  private rehash(): void {
    const capacity = (this.mask + 1) * 2;
    const slots = new Int32Array(capacity).fill(-1);
    const mask = capacity - 1;
    for (let e = 0; e < this.entries; e++) {
      let slot = this.hashes[e] & mask;
      while (slots[slot] >= 0) slot = (slot + 1) & mask;
      slots[slot] = e;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/** The same over plain strings (job files read by tests and small loaders). */
export function dictionaryOfStrings(column: readonly (string | null | undefined)[]): TextDictionary {
  const codes = new Int32Array(column.length);
  const values: string[] = [];
  const index = new Map<string, number>();
  for (let i = 0; i < column.length; i++) {
    const raw = column[i];
    codes[i] = raw == null || raw === '' ? -1 : lookup(raw, index, values);
  }
  return { codes, values };
}

function lookup(raw: string, index: Map<string, number>, values: string[]): number {
  let code = index.get(raw);
  if (code === undefined) {
    const trimmed = raw.trim();
    if (trimmed === '') code = -1;
    else {
      code = values.length;
      values.push(trimmed);
    }
    index.set(raw, code);
  }
  return code;
}
