/**
 * Arrow columns as typed arrays: built from buffers, filtered by row, converted to strings (for
 * tests and small lookups), and concatenated from a stored table's record batches (the link
 * stage wants one contiguous buffer per source).
 *
 * Arrow's JS convention for a variable-width `Data` (see `Data._sliceBuffers`): `valueOffsets`
 * is already sliced, so row i spans `values[valueOffsets[i], valueOffsets[i + 1])`, while the
 * validity bitmap is shared and row i is bit `offset + i` (null-bitmap.ts). Fixed-width
 * `values` are sliced too.
 */
import {
  Dictionary, Float64, Int32, Utf8, makeData, vectorFromArray, type Data, type Table,
} from 'apache-arrow';
import { isBitSet, isValidAt, validityBitmap } from './null-bitmap.js';
import type { PseudonymColumn } from './pseudonym-column.js';

export function makeUtf8(values: Uint8Array, offsets: Int32Array, length: number, validity: Uint8Array | null, nullCount: number): Data<Utf8> {
  return makeData({
    type: new Utf8(),
    length,
    nullCount,
    nullBitmap: nullCount > 0 ? validity : null,
    valueOffsets: offsets,
    data: values,
  });
}

export function makeInt32(values: Int32Array, validity: Uint8Array | null, nullCount: number): Data<Int32> {
  return makeData({ type: new Int32(), length: values.length, nullCount, nullBitmap: nullCount > 0 ? validity : null, data: values });
}

export function makeFloat64(values: Float64Array, validity: Uint8Array | null, nullCount: number): Data<Float64> {
  return makeData({ type: new Float64(), length: values.length, nullCount, nullBitmap: nullCount > 0 ? validity : null, data: values });
}

/** A Utf8 column from strings; null is null, '' stays an empty string. For tests and small lookups. */
export function utf8FromStrings(strings: readonly (string | null)[]): Data<Utf8> {
  const encoder = new TextEncoder();
  const parts = strings.map((s) => (s === null ? new Uint8Array(0) : encoder.encode(s)));
  const offsets = new Int32Array(strings.length + 1);
  for (let i = 0; i < parts.length; i++) offsets[i + 1] = offsets[i] + parts[i].length;
  const values = new Uint8Array(offsets[strings.length]);
  for (let i = 0; i < parts.length; i++) values.set(parts[i], offsets[i]);
  const validity = new Uint8Array((strings.length + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < strings.length; i++) {
    if (strings[i] === null) nulls++;
    else validity[i >> 3] |= 1 << (i & 7);
  }
  return makeUtf8(values, offsets, strings.length, validity, nulls);
}

/** Decode a Utf8 column to strings (null stays null). For tests, reports and small lookups, not hot paths. */
export function utf8ToStrings(data: Data<Utf8>): (string | null)[] {
  const decoder = new TextDecoder();
  const out: (string | null)[] = new Array(data.length);
  for (let i = 0; i < data.length; i++) {
    out[i] = isValidAt(data, i) ? decoder.decode(data.values.subarray(data.valueOffsets[i], data.valueOffsets[i + 1])) : null;
  }
  return out;
}

/** The rows where `reject[i] === 0`, copied into fresh buffers. `kept` is their count. */
export function filterUtf8(data: Data<Utf8>, reject: Uint8Array, kept: number): Data<Utf8> {
  const n = data.length;
  const src = data.values;
  const srcOffsets = data.valueOffsets;
  let bytes = 0;
  for (let i = 0; i < n; i++) if (reject[i] === 0) bytes += srcOffsets[i + 1] - srcOffsets[i];
  const values = new Uint8Array(bytes);
  const offsets = new Int32Array(kept + 1);
  const validity = new Uint8Array((kept + 7) >> 3);
  const bitmap = validityBitmap(data);
  const base = data.offset;
  let nulls = 0;
  let j = 0;
  let pos = 0;
  for (let i = 0; i < n; i++) {
    if (reject[i] !== 0) continue;
    const a = srcOffsets[i];
    const len = srcOffsets[i + 1] - a;
    if (len > 0) {
      values.set(src.subarray(a, a + len), pos);
      pos += len;
    }
    offsets[j + 1] = pos;
    if (bitmap === null || isBitSet(bitmap, base + i)) validity[j >> 3] |= 1 << (j & 7);
    else nulls++;
    j++;
  }
  return makeUtf8(values, offsets, kept, validity, nulls);
}

/** Keep the rows of a fixed-width typed column (with its own 0-based validity) where `reject[i] === 0`. */
export function filterFixed<T extends Int32Array | Float64Array | Uint8Array | Uint32Array>(
  values: T,
  width: number,
  reject: Uint8Array,
  kept: number,
): T {
  const out = new (values.constructor as new (n: number) => T)(kept * width);
  let j = 0;
  const n = reject.length;
  for (let i = 0; i < n; i++) {
    if (reject[i] !== 0) continue;
    if (width === 1) out[j] = values[i];
    else out.set(values.subarray(i * width, (i + 1) * width), j * width);
    j++;
  }
  return out;
}

/** Keep the validity bits where `reject[i] === 0`; returns the new bitmap and its null count. */
export function filterValidity(validity: Uint8Array, reject: Uint8Array, kept: number): { validity: Uint8Array; nullCount: number } {
  const out = new Uint8Array((kept + 7) >> 3);
  let nulls = 0;
  let j = 0;
  for (let i = 0; i < reject.length; i++) {
    if (reject[i] !== 0) continue;
    if (isBitSet(validity, i)) out[j >> 3] |= 1 << (j & 7);
    else nulls++;
    j++;
  }
  return { validity: out, nullCount: nulls };
}

function chunksOf(table: Table, name: string): readonly Data[] {
  const column = table.getChild(name);
  if (column === null) throw new Error(`the stored table has no column ${name}`);
  return column.data;
}

/** One contiguous copy of a FixedSizeBinary column's bytes, and per row 1 if it is not null. */
export function concatFixedSizeBinary(table: Table, name: string, width: number): { bytes: Uint8Array; present: Uint8Array } {
  const n = table.numRows;
  const bytes = new Uint8Array(n * width);
  const present = new Uint8Array(n);
  let at = 0;
  for (const chunk of chunksOf(table, name)) {
    bytes.set((chunk.values as Uint8Array).subarray(0, chunk.length * width), at * width);
    const bitmap = validityBitmap(chunk);
    for (let i = 0; i < chunk.length; i++) present[at + i] = bitmap === null || isBitSet(bitmap, chunk.offset + i) ? 1 : 0;
    at += chunk.length;
  }
  return { bytes, present };
}

/** One contiguous pseudonym column (values + own validity bitmap) from all batches. */
export function concatPseudonyms(table: Table, name = 'pseudonym'): PseudonymColumn {
  const { bytes, present } = concatFixedSizeBinary(table, name, 32);
  const valid = new Uint8Array((present.length + 7) >>> 3);
  for (let i = 0; i < present.length; i++) if (present[i] === 1) valid[i >>> 3] |= 1 << (i & 7);
  return { pseudonyms: bytes, valid, offset: 0, length: present.length };
}

/** One contiguous typed array of a fixed-width numeric column (nulls read as 0). */
export function concatNumbers<T extends Uint32Array | Int32Array | Float64Array | Uint8Array>(table: Table, name: string, make: (n: number) => T): T {
  const out = make(table.numRows);
  let at = 0;
  for (const chunk of chunksOf(table, name)) {
    out.set((chunk.values as T).subarray(0, chunk.length), at);
    at += chunk.length;
  }
  return out;
}

/** A dictionary-encoded Utf8 column from a few distinct labels and an index per row. */
export function dictionaryColumn(labels: readonly string[], indices: Int32Array) {
  const dictionary = vectorFromArray([...labels], new Utf8());
  return makeData({ type: new Dictionary(new Utf8(), new Int32()), length: indices.length, nullCount: 0, data: indices, dictionary });
}
