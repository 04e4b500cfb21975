/**
 * Dictionary codes for one column (the key variables of disclosure control): equal values get
 * equal codes 0..cardinality-1 in order of first appearance, null gets -1.
 *
 * Values are compared as bytes: the UTF-8 bytes of a Utf8 cell, the raw bytes of a
 * fixed-width cell, the bit of a Bool cell. No JS string or number is made per row; byte
 * strings are interned in an open-addressing table (FNV-1a hash, linear probing) whose
 * entries point into one growing byte pool.
 *
 * Note: for floats, bytes differ for 0 and -0 (and between NaN payloads); such values get
 * different codes, which can only make suppression stricter, never leak.
 */
import { DataType, type Data } from 'apache-arrow';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';

export interface ValueCodes {
  readonly codes: Int32Array;
  readonly cardinality: number;
}

class ByteInterner {
  private slots = new Int32Array(64).fill(-1);
  private entryStart = new Int32Array(32);
  private entryLength = new Int32Array(32);
  private entryHash = new Int32Array(32);
  private pool = new Uint8Array(1024);
  private poolUsed = 0;
  size = 0;

  intern(bytes: Uint8Array, start: number, length: number): number {
    let h = 0x811c9dc5 | 0; // signed, like Math.imul results and the Int32Array that stores hashes
    for (let i = 0; i < length; i++) h = Math.imul(h ^ bytes[start + i], 0x01000193);
    const mask = this.slots.length - 1;
    let slot = h & mask;
    for (;;) {
      const id = this.slots[slot];
      if (id < 0) break;
      if (this.entryHash[id] === h && this.equals(id, bytes, start, length)) return id;
      slot = (slot + 1) & mask;
    }
    return this.insert(slot, h, bytes, start, length);
  }

  private equals(id: number, bytes: Uint8Array, start: number, length: number): boolean {
    if (this.entryLength[id] !== length) return false;
    const at = this.entryStart[id];
    for (let i = 0; i < length; i++) if (this.pool[at + i] !== bytes[start + i]) return false;
    return true;
  }

  private insert(slot: number, h: number, bytes: Uint8Array, start: number, length: number): number {
    const id = this.size++;
    if (id === this.entryStart.length) {
      this.entryStart = grown(this.entryStart);
      this.entryLength = grown(this.entryLength);
      this.entryHash = grown(this.entryHash);
    }
    while (this.poolUsed + length > this.pool.length) {
      const pool = new Uint8Array(this.pool.length * 2);
      pool.set(this.pool);
      this.pool = pool;
    }
    for (let i = 0; i < length; i++) this.pool[this.poolUsed + i] = bytes[start + i];
    this.entryStart[id] = this.poolUsed;
    this.entryLength[id] = length;
    this.entryHash[id] = h;
    this.poolUsed += length;
    this.slots[slot] = id;
    if (this.size * 2 > this.slots.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let id = 0; id < this.size; id++) {
      let slot = this.entryHash[id] & mask;
      while (slots[slot] >= 0) slot = (slot + 1) & mask;
      slots[slot] = id;
    }
    this.slots = slots;
  }
}

function grown(array: Int32Array): Int32Array<ArrayBuffer> {
  const out = new Int32Array(array.length * 2);
  out.set(array);
  return out;
}

/**
 * Codes of a column made by `takeRows` (offset 0): Utf8, a fixed-width type, or Bool.
 * Throws a TypeError for other types.
 */
export function valueCodes(data: Data): ValueCodes {
  if (data.offset !== 0) throw new RangeError('valueCodes expects a column with offset 0 (as takeRows makes)');
  const n = data.length;
  const codes = new Int32Array(n);
  const bitmap = validityBitmap(data);
  const valid = (i: number): boolean => bitmap === null || isBitSet(bitmap, i);
  const type = data.type;
  if (DataType.isBool(type)) {
    const bits = data.values as Uint8Array;
    let seen = 0; // codes handed out so far; order[bit] is the code of false / true
    const order = new Int32Array([-1, -1]);
    for (let i = 0; i < n; i++) {
      if (!valid(i)) {
        codes[i] = -1;
        continue;
      }
      const b = (bits[i >>> 3] >>> (i & 7)) & 1;
      if (order[b] < 0) order[b] = seen++;
      codes[i] = order[b];
    }
    return { codes, cardinality: seen };
  }
  const interner = new ByteInterner();
  if (DataType.isUtf8(type)) {
    const offsets = data.valueOffsets as Int32Array;
    const values = data.values as Uint8Array;
    for (let i = 0; i < n; i++) codes[i] = valid(i) ? interner.intern(values, offsets[i], offsets[i + 1] - offsets[i]) : -1;
    return { codes, cardinality: interner.size };
  }
  const v = data.values as unknown as ArrayBufferView & { BYTES_PER_ELEMENT?: number };
  if (!ArrayBuffer.isView(v) || v.BYTES_PER_ELEMENT === undefined) throw new TypeError(`cannot encode values of type ${String(type)}`);
  const width = v.BYTES_PER_ELEMENT * data.stride;
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  for (let i = 0; i < n; i++) codes[i] = valid(i) ? interner.intern(bytes, i * width, width) : -1;
  return { codes, cardinality: interner.size };
}
