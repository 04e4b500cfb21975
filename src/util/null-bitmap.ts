/**
 * Is row i of an Arrow column valid (not null)? The one place that reads a validity bitmap.
 *
 * Arrow's JS convention (see `Data._sliceBuffers`): a sliced `Data` shares its parent's
 * validity bitmap, so row i is bit `data.offset + i`, least significant bit first; a column
 * with no nulls may have no bitmap at all (undefined, null or empty).
 *
 * Row loops hoist `validityBitmap(data)` once per chunk (the no-nulls case is then one null
 * test per row) and call `isBitSet` per row: a two-operation function that V8 inlines, so it
 * costs what the expression written out did.
 */
import type { Data } from 'apache-arrow';

/** The chunk's validity bitmap, or null when every row is valid. Row i is bit `offset + i`. */
export function validityBitmap(data: Data): Uint8Array | null {
  const bitmap = data.nullBitmap;
  return data.nullCount > 0 && bitmap !== undefined && bitmap !== null && bitmap.length > 0 ? bitmap : null;
}

/** Bit `k` of a bitmap (a set bit is a valid row); `k` already includes the chunk's offset. */
export function isBitSet(bitmap: Uint8Array, k: number): boolean {
  return (bitmap[k >> 3] & (1 << (k & 7))) !== 0;
}

/** Validity of row `i` of a column (true when it has no bitmap). Not for row loops: hoist the bitmap there. */
export function isValidAt(data: Data, i: number): boolean {
  const bitmap = validityBitmap(data);
  return bitmap === null || isBitSet(bitmap, data.offset + i);
}
