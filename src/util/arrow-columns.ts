/**
 * Whole-column views over chunked Arrow tables: stored files hold several record batches,
 * while the link stage wants one contiguous buffer per source.
 */
import { Dictionary, Int32, Utf8, makeData, vectorFromArray, type Data, type Table } from 'apache-arrow';
import type { PseudonymColumn } from './pseudonym-column.js';

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
    const bitmap = chunk.nullCount > 0 ? chunk.nullBitmap : null;
    for (let i = 0; i < chunk.length; i++) {
      const bit = chunk.offset + i;
      present[at + i] = bitmap === null || bitmap === undefined || (bitmap[bit >>> 3] & (1 << (bit & 7))) !== 0 ? 1 : 0;
    }
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
