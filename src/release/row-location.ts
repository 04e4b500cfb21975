/**
 * Where global rows of a column lie in its chunks (record batches): chunk and row within it,
 * found once and reusable for every column of the same batches.
 */
import type { Data } from 'apache-arrow';

/**
 * Where rows lie in a column's chunks, with the chunk lengths it was made for. The columns of
 * one table share its record batches and a release takes the same rows from each: a caller
 * locates once and hands the location to every `takeRows` of those rows (a binary search per
 * row and column was 1 s of a 2M release). The rows must not change in between.
 */
export interface RowLocation {
  readonly lengths: string;
  readonly chunk: Int32Array;
  readonly local: Int32Array;
}

export const chunkLengths = (chunks: readonly Data[]) => chunks.map((c) => c.length).join(',');

export function locateRows(chunks: readonly Data[], rows: Int32Array): RowLocation {
  return { lengths: chunkLengths(chunks), ...locate(chunks, rows) };
}

/** Locate global rows: `chunk[i]`, `local[i]` for `rows[i]` (-1 stays -1). */
export function locate(chunks: readonly Data[], rows: Int32Array): { chunk: Int32Array; local: Int32Array } {
  const starts = new Float64Array(chunks.length + 1);
  for (let c = 0; c < chunks.length; c++) starts[c + 1] = starts[c] + chunks[c].length;
  const total = starts[chunks.length];
  const chunk = new Int32Array(rows.length);
  const local = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r < 0) {
      chunk[i] = -1;
      local[i] = -1;
      continue;
    }
    if (r >= total) throw new RangeError(`row ${r} is beyond the ${total} rows of the column`);
    // Binary search over chunk starts (few chunks; no per-row allocation).
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= r) lo = mid;
      else hi = mid - 1;
    }
    chunk[i] = lo;
    local[i] = r - starts[lo];
  }
  return { chunk, local };
}
