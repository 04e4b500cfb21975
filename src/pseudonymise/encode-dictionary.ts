/**
 * Dictionary-encodes a text column: each distinct raw value once, each row an index into it.
 *
 * Names, dates and postcodes repeat massively across a population, so normalising and HMACing
 * each distinct value once (then scattering typed-array results per row) does a fraction of the
 * work of doing it per row. The distinct values are cleartext: they live only in memory for the
 * duration of one source's encoding and are dropped with this object.
 */
import type { Data, Utf8 } from 'apache-arrow';

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
 */
export function dictionaryOfUtf8(chunks: readonly Data<Utf8>[]): TextDictionary {
  let total = 0;
  for (const c of chunks) total += c.length;
  const codes = new Int32Array(total);
  const values: string[] = [];
  const index = new Map<string, number>();
  let row = 0;
  for (const data of chunks) {
    const offsets = data.valueOffsets;
    const bytes = data.values;
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const bitmap = data.nullCount > 0 ? data.nullBitmap : null;
    const bitOffset = data.offset;
    for (let i = 0; i < data.length; i++, row++) {
      if (bitmap !== null) {
        const bit = bitOffset + i;
        if ((bitmap[bit >> 3] & (1 << (bit & 7))) === 0) { codes[row] = -1; continue; }
      }
      const start = offsets[i];
      const end = offsets[i + 1];
      if (start === end) { codes[row] = -1; continue; }
      const raw = buf.toString('utf8', start, end);
      codes[row] = lookup(raw, index, values);
    }
  }
  return { codes, values };
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
