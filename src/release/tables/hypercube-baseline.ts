/**
 * The simple baseline secondary suppression the benchmark compares with (in the spirit of
 * the hypercube method, GHMITER, without its boxes): while some row or column of the table
 * (any additive constraint, at any hierarchy level) holds exactly one suppressed cell, which
 * its total and the other published cells would give away, suppress the smallest published
 * non-zero cell of that constraint (the smallest cell of any value if all are zero).
 * Cheap and common in hand-made tables; it ignores protection levels, so the audit may well
 * find cells it leaves narrower than required.
 */
import { PUBLISHED, SECONDARY } from './primary-suppression.js';
import type { Constraints } from './table-shape.js';

export function hypercubeBaseline(values: Float64Array, status: Uint8Array, { rowStart, entries }: Constraints): number {
  const rows = rowStart.length - 1;
  let added = 0;
  for (let changed = true; changed;) {
    changed = false;
    for (let r = 0; r < rows; r++) {
      let suppressed = 0;
      let best = -1;
      let bestZero = -1;
      for (let e = rowStart[r]; e < rowStart[r + 1]; e++) {
        const cell = entries[e];
        if (status[cell] !== PUBLISHED) { suppressed++; continue; }
        if (values[cell] > 0) {
          if (best < 0 || values[cell] < values[best]) best = cell;
        } else if (bestZero < 0) bestZero = cell;
      }
      if (suppressed !== 1) continue;
      const pick = best >= 0 ? best : bestZero;
      if (pick < 0) continue;
      status[pick] = SECONDARY;
      added++;
      changed = true;
    }
  }
  return added;
}
