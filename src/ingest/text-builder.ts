/**
 * The hand-built output of arrow-text.ts: a Utf8 column grown by doubling, and the small
 * writers the converters share. Integers are written digit by digit into the byte buffer, so
 * no string is made per row.
 */
import type { DateFormat } from './date-format.js';
import type { Data, Utf8 } from 'apache-arrow';
import { makeUtf8 } from '../util/arrow-columns.js';

export const TWO_32 = 4294967296;
/** |hi| below this: hi * 2^32 + lo is a safe integer. */
export const SAFE_HI = 0x200000;

/** Grows by doubling; a row whose bytes are empty becomes null. */
export class TextBuilder {
  bytes: Uint8Array;
  pos = 0;
  nulls = 0;
  readonly offsets: Int32Array;
  readonly validity: Uint8Array;

  constructor(readonly n: number, estimate: number) {
    this.bytes = new Uint8Array(Math.max(16, estimate));
    this.offsets = new Int32Array(n + 1);
    this.validity = new Uint8Array((n + 7) >> 3);
  }

  /** Room for `k` more bytes at `pos`; returns the buffer to write into. */
  room(k: number): Uint8Array {
    if (this.pos + k > this.bytes.length) {
      let size = this.bytes.length * 2;
      while (size < this.pos + k) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.bytes.subarray(0, this.pos));
      this.bytes = grown;
    }
    return this.bytes;
  }

  /** Close row `i` (rows are closed in order). */
  end(i: number): void {
    this.offsets[i + 1] = this.pos;
    if (this.pos > this.offsets[i]) this.validity[i >> 3] |= 1 << (i & 7);
    else this.nulls++;
  }

  finish(): Data<Utf8> {
    return makeUtf8(this.bytes.subarray(0, this.pos), this.offsets, this.n, this.validity, this.nulls);
  }
}

export function writeAscii(out: Uint8Array, pos: number, text: string): number {
  for (let c = 0; c < text.length; c++) out[pos++] = text.charCodeAt(c);
  return pos;
}

/** Decimal digits of a safe integer. */
export function writeInteger(out: Uint8Array, pos: number, v: number): number {
  if (v < 0) {
    out[pos++] = 0x2d;
    v = -v;
  }
  let len = 1;
  for (let t = v; t >= 10; t = Math.floor(t / 10)) len++;
  const end = pos + len;
  for (let k = end - 1; k >= pos; k--) {
    out[k] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
  return end;
}

/** 64-bit values as (lo, hi) Int32 word pairs: no BigInt per row unless a value passes 2^53. */
export function words64(data: Data): Int32Array {
  const v = data.values as BigInt64Array;
  return new Int32Array(v.buffer, v.byteOffset, data.length * 2);
}

/** Where a column chunk being turned into text comes from, for errors and dates. */
export interface TextContext {
  /** The column's name, for errors (a name, never a value). */
  readonly column: string;
  /** Data row number of the chunk's first row, for errors. */
  readonly firstRow: number;
  /** Format of dates and timestamps; YYYY-MM-DD when absent. */
  readonly dateFormat?: DateFormat;
}
