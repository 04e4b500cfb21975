/**
 * Hand-built Arrow columns: the few constructors and row filters the ingest stage needs.
 *
 * Arrow's JS convention for a variable-width `Data` (see `Data._sliceBuffers`): `valueOffsets`
 * is already sliced, so row i spans `values[valueOffsets[i], valueOffsets[i + 1])`, while the
 * validity bitmap is shared and row i is bit `offset + i`. Fixed-width `values` are sliced too.
 */
import { Float64, Int32, Utf8, makeData, type Data } from 'apache-arrow';

/** Validity bit of row `i` of a column (true when there is no bitmap). */
export function isValidAt(data: Data, i: number): boolean {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || bitmap === undefined || bitmap === null || bitmap.length === 0) return true;
  const k = data.offset + i;
  return ((bitmap[k >> 3] >> (k & 7)) & 1) === 1;
}

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
  const hasNulls = data.nullCount > 0;
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
    if (!hasNulls || isValidAt(data, i)) validity[j >> 3] |= 1 << (j & 7);
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
    if ((validity[i >> 3] >> (i & 7)) & 1) out[j >> 3] |= 1 << (j & 7);
    else nulls++;
    j++;
  }
  return { validity: out, nullCount: nulls };
}
