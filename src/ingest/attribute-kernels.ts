/**
 * Typing kernels for attribute columns: Utf8 bytes in, typed Arrow buffers out, one pass per
 * batch, no string per row. Each kernel marks the rows whose value does not fit in `bad`
 * (1 = does not fit); the caller turns that into rejected rows and counted faults.
 *
 * Accepted forms (surrounding spaces and tabs are ignored):
 * - number:  `1234`, `-12.5`, `+3`, `12,5` (decimal comma), `.5`, `1e-5`. No thousands
 *   separators: `1.234,5` does not fit. A single `,` is always the decimal mark.
 * - integer: `[+-]digits` within the Int32 range.
 * - code:    the exact bytes of one of the schema's `codes` (no trimming: codes are exact).
 */
import type { Data, Utf8 } from 'apache-arrow';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';

/** Typed values, their validity bitmap and null count (nulls are empty fields). */
export interface TypedColumn<T extends Float64Array | Int32Array> {
  readonly values: T;
  readonly validity: Uint8Array;
  readonly nullCount: number;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09;
}

const POW10 = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Significant digits below 2^53, so the mantissa is exact and one division rounds correctly. */
const MAX_EXACT_DIGITS = 15;

/**
 * Parse `src[start, end)` as a number. Returns NaN when it does not fit; `empty` is reported
 * through the return of `isBlank` by the caller, not here.
 */
export function parseNumberBytes(src: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (src[i] === 0x2d || src[i] === 0x2b) {
    negative = src[i] === 0x2d;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let significant = 0;
  let scale = 0;
  let seenMark = false;
  let exact = true;
  for (; i < end; i++) {
    const b = src[i];
    const digit = b - 0x30;
    if (digit >= 0 && digit <= 9) {
      digits++;
      if (significant > 0 || digit !== 0) significant++;
      if (significant > MAX_EXACT_DIGITS) exact = false;
      mantissa = mantissa * 10 + digit;
      if (seenMark) scale++;
    } else if ((b === 0x2e || b === 0x2c) && !seenMark) seenMark = true;
    else break;
  }
  if (digits === 0) return NaN;
  if (i < end) {
    // Only an exponent may follow.
    if (src[i] !== 0x65 && src[i] !== 0x45) return NaN;
    let j = i + 1;
    if (j < end && (src[j] === 0x2d || src[j] === 0x2b)) j++;
    if (j === end) return NaN;
    for (; j < end; j++) if (src[j] < 0x30 || src[j] > 0x39) return NaN;
    exact = false;
  }
  if (exact && scale < POW10.length) {
    const v = mantissa / POW10[scale];
    return negative ? -v : v;
  }
  // Rare: long mantissa or an exponent. Let the engine's correctly rounded parser do it.
  let text = '';
  for (let k = start; k < end; k++) text += String.fromCharCode(src[k] === 0x2c ? 0x2e : src[k]);
  return Number(text);
}

export function parseNumberColumn(col: Data<Utf8>, bad: Uint8Array): TypedColumn<Float64Array> {
  const n = col.length;
  const values = new Float64Array(n);
  const validity = new Uint8Array((n + 7) >> 3);
  const src = col.values;
  const offsets = col.valueOffsets;
  const bitmap = validityBitmap(col);
  const base = col.offset;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    let a = offsets[i];
    let b = offsets[i + 1];
    while (a < b && isSpace(src[a])) a++;
    while (b > a && isSpace(src[b - 1])) b--;
    if (a === b || (bitmap !== null && !isBitSet(bitmap, base + i))) {
      nulls++;
      continue;
    }
    const v = parseNumberBytes(src, a, b);
    if (Number.isFinite(v)) {
      values[i] = v;
      validity[i >> 3] |= 1 << (i & 7);
    } else {
      bad[i] = 1;
      nulls++;
    }
  }
  return { values, validity, nullCount: nulls };
}

export function parseIntegerColumn(col: Data<Utf8>, bad: Uint8Array): TypedColumn<Int32Array> {
  const n = col.length;
  const values = new Int32Array(n);
  const validity = new Uint8Array((n + 7) >> 3);
  const src = col.values;
  const offsets = col.valueOffsets;
  const bitmap = validityBitmap(col);
  const base = col.offset;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    let a = offsets[i];
    let b = offsets[i + 1];
    while (a < b && isSpace(src[a])) a++;
    while (b > a && isSpace(src[b - 1])) b--;
    if (a === b || (bitmap !== null && !isBitSet(bitmap, base + i))) {
      nulls++;
      continue;
    }
    let negative = false;
    if (src[a] === 0x2d || src[a] === 0x2b) {
      negative = src[a] === 0x2d;
      a++;
    }
    let v = 0;
    let ok = a < b && b - a <= 10;
    for (let k = a; ok && k < b; k++) {
      const digit = src[k] - 0x30;
      if (digit < 0 || digit > 9) ok = false;
      else v = v * 10 + digit;
    }
    if (negative) v = -v;
    if (ok && v >= -2147483648 && v <= 2147483647) {
      values[i] = v;
      validity[i >> 3] |= 1 << (i & 7);
    } else {
      bad[i] = 1;
      nulls++;
    }
  }
  return { values, validity, nullCount: nulls };
}

/**
 * A set of byte strings, for code lists: FNV-1a hash into an open-addressing table, confirmed
 * by comparing the bytes. Built once per schema column.
 */
export class CodeSet {
  private readonly bytes: Uint8Array;
  private readonly starts: Int32Array;
  private readonly table: Int32Array;
  private readonly mask: number;

  constructor(codes: readonly string[]) {
    const encoder = new TextEncoder();
    const parts = codes.map((c) => encoder.encode(c));
    this.starts = new Int32Array(parts.length + 1);
    for (let k = 0; k < parts.length; k++) this.starts[k + 1] = this.starts[k] + parts[k].length;
    this.bytes = new Uint8Array(this.starts[parts.length]);
    for (let k = 0; k < parts.length; k++) this.bytes.set(parts[k], this.starts[k]);
    let size = 8;
    while (size < parts.length * 2) size *= 2;
    this.mask = size - 1;
    this.table = new Int32Array(size).fill(-1);
    for (let k = 0; k < parts.length; k++) {
      let slot = hashBytes(this.bytes, this.starts[k], this.starts[k + 1]) & this.mask;
      while (this.table[slot] !== -1) slot = (slot + 1) & this.mask;
      this.table[slot] = k;
    }
  }

  has(src: Uint8Array, start: number, end: number): boolean {
    let slot = hashBytes(src, start, end) & this.mask;
    for (;;) {
      const k = this.table[slot];
      if (k === -1) return false;
      const a = this.starts[k];
      const len = this.starts[k + 1] - a;
      if (len === end - start) {
        let same = true;
        for (let j = 0; j < len; j++) {
          if (this.bytes[a + j] !== src[start + j]) {
            same = false;
            break;
          }
        }
        if (same) return true;
      }
      slot = (slot + 1) & this.mask;
    }
  }
}

function hashBytes(src: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ src[i], 0x01000193);
  return h >>> 0;
}

/** Mark non-null values that are not in `codes`. */
export function checkCodeColumn(col: Data<Utf8>, codes: CodeSet, bad: Uint8Array): void {
  const src = col.values;
  const offsets = col.valueOffsets;
  const bitmap = validityBitmap(col);
  const base = col.offset;
  for (let i = 0; i < col.length; i++) {
    const a = offsets[i];
    const b = offsets[i + 1];
    if (a === b || (bitmap !== null && !isBitSet(bitmap, base + i))) continue;
    if (!codes.has(src, a, b)) bad[i] = 1;
  }
}

/** Mark null (empty) values, for `required` columns. */
export function markNulls(col: Data<Utf8>, bad: Uint8Array): void {
  const bitmap = validityBitmap(col);
  if (bitmap === null) return;
  for (let i = 0; i < col.length; i++) if (!isBitSet(bitmap, col.offset + i)) bad[i] = 1;
}
