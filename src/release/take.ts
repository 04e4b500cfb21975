/**
 * "Take" by hand: gather rows of a column, given as a list of apache-arrow `Data` chunks read
 * as one concatenated sequence, into one new `Data` (offset 0).
 *
 * apache-arrow's own route (`vectorFromArray` over `get(i)`) would decode one JS string per
 * Utf8 row; here Utf8 bytes are copied from `valueOffsets` / `values`, fixed-width values as
 * raw bytes, and validity from `nullBitmap` (bit `data.offset + i`: apache-arrow slices every
 * buffer of a Data except the validity bitmap and Bool values).
 *
 * Supported chunk mixes (`takeKind`):
 *  - `utf8`: Utf8 and Dictionary<Utf8> chunks, in any mix -> Utf8
 *  - `fixed`: chunks of one identical fixed-width type (ints, floats, dates, timestamps,
 *    times, durations, decimals, fixed-size binary) -> that type, bytes copied
 *  - `float64`: ints and floats of different types -> Float64
 *  - `bool`: Bool -> Bool
 */
import {
  Bool, Data, DataType, Float64, Utf8, makeData, util, type Vector,
} from 'apache-arrow';
import { isBitSet, isValidAt, validityBitmap } from '../util/null-bitmap.js';
import { chunkLengths, locate, type RowLocation } from './row-location.js';

export type TakeKind = 'utf8' | 'fixed' | 'float64' | 'bool';

/** The chunks of a Vector, or a single Data as one chunk. */
export function chunksOf(column: Vector | Data): readonly Data[] {
  return column instanceof Data ? [column] : column.data;
}

function isUtf8Like(type: DataType): boolean {
  return DataType.isUtf8(type) || (DataType.isDictionary(type) && DataType.isUtf8(type.dictionary));
}

function isFixedWidth(type: DataType): boolean {
  return DataType.isInt(type) || DataType.isFloat(type) || DataType.isDate(type) || DataType.isTimestamp(type)
    || DataType.isTime(type) || DataType.isDuration(type) || DataType.isDecimal(type) || DataType.isFixedSizeBinary(type);
}

function isPlainNumber(type: DataType): boolean {
  // Float16 is stored as raw Uint16 halves; it cannot be read as a number without decoding.
  return DataType.isInt(type) || (DataType.isFloat(type) && type.precision !== 0);
}

/** How `takeRows` would combine these chunks, or null when it cannot. */
export function takeKind(chunks: readonly Data[]): TakeKind | null {
  if (chunks.length === 0) return null;
  const types = chunks.map((c) => c.type);
  if (types.every(isUtf8Like)) return 'utf8';
  if (types.every((t) => DataType.isBool(t))) return 'bool';
  if (types.every(isFixedWidth) && types.every((t) => util.compareTypes(types[0], t))) return 'fixed';
  if (types.every(isPlainNumber)) return 'float64';
  return null;
}

/** Utf8 bytes of dictionary chunks flattened once (dictionaries are small). */
interface Utf8Source {
  readonly offsets: Int32Array;
  readonly values: Uint8Array;
  readonly data: Data; // for validity of the row itself
  readonly indices: ArrayLike<number> | null; // dictionary indices, or null for plain Utf8
  readonly entryValid: Uint8Array | null; // per dictionary entry: 1 when non-null
}

type FlatDictionary = Pick<Utf8Source, 'offsets' | 'values' | 'entryValid'>;

function utf8Source(data: Data, flattened: Map<unknown, FlatDictionary>): Utf8Source {
  if (!DataType.isDictionary(data.type)) {
    return { offsets: data.valueOffsets as Int32Array, values: data.values as Uint8Array, data, indices: null, entryValid: null };
  }
  let flat = flattened.get(data.dictionary);
  if (flat === undefined) {
    flat = flattenDictionary(data.dictionary!);
    flattened.set(data.dictionary, flat);
  }
  return { ...flat, data, indices: data.values as ArrayLike<number> };
}

function flattenDictionary(dictionary: Vector): FlatDictionary {
  const entries = dictionary.length;
  const offsets = new Int32Array(entries + 1);
  const entryValid = new Uint8Array(entries);
  let bytes = 0;
  let e = 0;
  for (const d of dictionary.data) {
    const o = d.valueOffsets as Int32Array;
    for (let i = 0; i < d.length; i++, e++) {
      entryValid[e] = isValidAt(d, i) ? 1 : 0;
      bytes += o[i + 1] - o[i];
      offsets[e + 1] = bytes;
    }
  }
  const values = new Uint8Array(bytes);
  let at = 0;
  for (const d of dictionary.data) {
    const o = d.valueOffsets as Int32Array;
    values.set((d.values as Uint8Array).subarray(o[0], o[d.length]), at);
    at += o[d.length] - o[0];
  }
  return { offsets, values, entryValid };
}

/**
 * Row validity of each chunk, read once: a chunk's bitmap (null when every row is valid) and
 * its bit offset. `isValidAt` per row reads Data's getters each time (2.3 s of a 2M release).
 */
class ChunkValidity {
  private readonly bitmaps: (Uint8Array | null)[];
  private readonly offsets: Int32Array;

  constructor(chunks: readonly Data[]) {
    this.bitmaps = chunks.map((d) => validityBitmap(d));
    this.offsets = Int32Array.from(chunks, (d) => d.offset);
  }

  valid(c: number, local: number): boolean {
    const bitmap = this.bitmaps[c];
    return bitmap === null || isBitSet(bitmap, this.offsets[c] + local);
  }
}

/** Gather `rows` (global row indices across `chunks`, -1 = null) into one new Data. */
export function takeRows(chunks: readonly Data[], rows: Int32Array, at?: RowLocation): Data {
  const kind = takeKind(chunks);
  if (kind === null) {
    throw new TypeError(`cannot take rows from chunks of types ${[...new Set(chunks.map((c) => String(c.type)))].join(', ') || '(none)'}`);
  }
  // A location made for other chunk lengths is not used (then the rows are located here).
  const { chunk, local } = at !== undefined && at.lengths === chunkLengths(chunks) ? at : locate(chunks, rows);
  switch (kind) {
    case 'utf8': {
      const flattened = new Map<unknown, FlatDictionary>();
      return takeUtf8(chunks.map((c) => utf8Source(c, flattened)), chunk, local);
    }
    case 'bool': return takeBool(chunks, chunk, local);
    case 'float64': return takeFloat64(chunks, chunk, local);
    case 'fixed': return takeFixed(chunks, chunk, local);
  }
}

/** A validity bitmap for n rows and its null count, filled by `set`. */
function newBitmap(n: number): Uint8Array {
  return new Uint8Array(((n + 63) >>> 6) << 3); // padded to 64 bits like apache-arrow
}

function takeUtf8(sources: readonly Utf8Source[], chunk: Int32Array, local: Int32Array): Data<Utf8> {
  const n = chunk.length;
  const offsets = new Int32Array(n + 1);
  const bitmap = newBitmap(n);
  const validity = new ChunkValidity(sources.map((s) => s.data));
  // Pass 1: lengths and validity; the entry (start byte) is kept in `starts`.
  const starts = new Int32Array(n);
  let nulls = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const c = chunk[i];
    let start = -1;
    let end = -1;
    if (c >= 0) {
      const s = sources[c];
      const l = local[i];
      if (validity.valid(c, l)) {
        const entry = s.indices === null ? l : s.indices[l];
        if (s.entryValid === null || s.entryValid[entry] === 1) {
          start = s.offsets[entry];
          end = s.offsets[entry + 1];
        }
      }
    }
    if (start < 0) {
      nulls++;
    } else {
      bitmap[i >>> 3] |= 1 << (i & 7);
      total += end - start;
      if (total > 0x7fffffff) throw new RangeError('the gathered strings exceed the 2 GiB a Utf8 column can hold');
    }
    starts[i] = start;
    offsets[i + 1] = total;
  }
  // Pass 2: copy the bytes, a run of rows whose bytes follow each other in one chunk at once
  // (rows taken in order, as a release's pseudonym columns are, copy in long runs).
  const values = new Uint8Array(total);
  for (let i = 0; i < n;) {
    const start = starts[i];
    if (start < 0) {
      i++;
      continue;
    }
    const c = chunk[i];
    let j = i + 1;
    while (j < n && chunk[j] === c && starts[j] === start + (offsets[j] - offsets[i])) j++;
    const src = sources[c].values;
    const at = offsets[i];
    const length = offsets[j] - at;
    // A subarray is an object: only worth it for a long run.
    if (length < 64) {
      for (let b = 0; b < length; b++) values[at + b] = src[start + b];
    } else {
      values.set(src.subarray(start, start + length), at);
    }
    i = j;
  }
  return makeData({ type: new Utf8(), length: n, nullCount: nulls, nullBitmap: nulls > 0 ? bitmap : null, valueOffsets: offsets, data: values });
}

function takeBool(chunks: readonly Data[], chunk: Int32Array, local: Int32Array): Data<Bool> {
  const n = chunk.length;
  const bits = newBitmap(n);
  const bitmap = newBitmap(n);
  const validity = new ChunkValidity(chunks);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const c = chunk[i];
    if (c < 0 || !validity.valid(c, local[i])) {
      nulls++;
      continue;
    }
    bitmap[i >>> 3] |= 1 << (i & 7);
    const d = chunks[c];
    const bit = d.offset + local[i]; // Bool values are bit-packed and not sliced
    if (isBitSet(d.values as Uint8Array, bit)) bits[i >>> 3] |= 1 << (i & 7);
  }
  return makeData({ type: new Bool(), length: n, nullCount: nulls, nullBitmap: nulls > 0 ? bitmap : null, data: bits });
}

function takeFloat64(chunks: readonly Data[], chunk: Int32Array, local: Int32Array): Data<Float64> {
  const n = chunk.length;
  const out = new Float64Array(n);
  const bitmap = newBitmap(n);
  const validity = new ChunkValidity(chunks);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const c = chunk[i];
    if (c < 0 || !validity.valid(c, local[i])) {
      nulls++;
      continue;
    }
    bitmap[i >>> 3] |= 1 << (i & 7);
    // Number() also converts BigInt64Array elements (Int64 / Uint64).
    out[i] = Number((chunks[c].values as ArrayLike<number | bigint>)[local[i]]);
  }
  return makeData({ type: new Float64(), length: n, nullCount: nulls, nullBitmap: nulls > 0 ? bitmap : null, data: out });
}

function takeFixed(chunks: readonly Data[], chunk: Int32Array, local: Int32Array): Data {
  const n = chunk.length;
  const first = chunks[0];
  const proto = first.values as unknown as { BYTES_PER_ELEMENT: number; constructor: new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayLike<number> };
  const stride = first.stride;
  const width = proto.BYTES_PER_ELEMENT * stride;
  const bytesOf = chunks.map((d) => {
    const v = d.values as unknown as ArrayBufferView;
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  });
  const out = new Uint8Array(n * width);
  const bitmap = newBitmap(n);
  const validity = new ChunkValidity(chunks);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const c = chunk[i];
    if (c < 0 || !validity.valid(c, local[i])) {
      nulls++;
      continue;
    }
    bitmap[i >>> 3] |= 1 << (i & 7);
    const src = bytesOf[c];
    const from = local[i] * width;
    const to = i * width;
    for (let b = 0; b < width; b++) out[to + b] = src[from + b];
  }
  const values = new proto.constructor(out.buffer, 0, n * stride);
  return makeData({ type: first.type, length: n, nullCount: nulls, nullBitmap: nulls > 0 ? bitmap : null, data: values } as never);
}
