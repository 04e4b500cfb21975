/**
 * Certificates of protection: a deviation y of the table such that every cell it moves is
 * suppressed, a + y >= 0, and every additive constraint still holds (A y = 0), is a table the
 * attacker cannot tell from the true one. So the attacker's maximum of a cell is at least
 * a + y, and its minimum at most a + y where y < 0; where a - y >= 0 too, the mirrored
 * deviation is one as well. Checking a certificate against every constraint of the table is
 * a proof, and costs one pass over its cells' constraints instead of two linear programmes.
 *
 * The secondary suppression hands over the deviations it applied; they are re-checked here
 * against the full constraint set, independently of how they were found.
 */
import { PUBLISHED } from './primary-suppression.js';
import type { Constraints } from './table-shape.js';

/** Deviations in compressed rows: deviation i moves cells[start[i] .. start[i+1]) by moves[...]. */
export interface Deviations {
  readonly start: Int32Array;
  readonly cells: Int32Array;
  readonly moves: Float64Array;
}

const TOLERANCE = 1e-6;

export interface Certified {
  /** Per cell, the largest certified move up and down (0 where none). */
  readonly up: Float64Array;
  readonly down: Float64Array;
  /** Deviations that failed the check (a moved cell published, a cell below 0, a sum broken). */
  readonly rejected: number;
}

export function certifiedMoves(values: Float64Array, status: Uint8Array, constraints: Constraints, deviations: Deviations): Certified {
  const cells = values.length;
  const rowsOf = cellRows(cells, constraints);
  const dense = new Float64Array(cells);
  const up = new Float64Array(cells);
  const down = new Float64Array(cells);
  let rejected = 0;
  const count = deviations.start.length - 1;
  for (let i = 0; i < count; i++) {
    const from = deviations.start[i];
    const to = deviations.start[i + 1];
    let valid = true;
    let mirrored = true;
    for (let k = from; k < to; k++) {
      const cell = deviations.cells[k];
      const y = deviations.moves[k];
      dense[cell] = y;
      if (status[cell] === PUBLISHED || values[cell] + y < -TOLERANCE) valid = false;
      if (values[cell] - y < -TOLERANCE) mirrored = false;
    }
    for (let k = from; k < to && valid; k++) {
      const cell = deviations.cells[k];
      for (let e = rowsOf.start[cell]; e < rowsOf.start[cell + 1] && valid; e++) {
        const r = rowsOf.rows[e];
        let sum = 0;
        let scale = 0;
        for (let f = constraints.rowStart[r]; f < constraints.rowStart[r + 1]; f++) {
          const y = dense[constraints.entries[f]];
          sum += f === constraints.rowStart[r] ? y : -y;
          scale += Math.abs(y);
        }
        if (Math.abs(sum) > TOLERANCE * Math.max(1, scale)) valid = false;
      }
    }
    for (let k = from; k < to; k++) {
      const cell = deviations.cells[k];
      const y = deviations.moves[k];
      dense[cell] = 0;
      if (!valid) continue;
      const u = mirrored ? Math.abs(y) : Math.max(y, 0);
      const d = mirrored ? Math.abs(y) : Math.max(-y, 0);
      if (u > up[cell]) up[cell] = u;
      if (d > down[cell]) down[cell] = d;
    }
    if (!valid) rejected++;
  }
  return { up, down, rejected };
}

/** The transpose of the constraints: per cell, the rows it takes part in. */
function cellRows(cells: number, { rowStart, entries }: Constraints): { start: Int32Array; rows: Int32Array } {
  const start = new Int32Array(cells + 1);
  for (let e = 0; e < entries.length; e++) start[entries[e] + 1]++;
  for (let c = 0; c < cells; c++) start[c + 1] += start[c];
  const fill = start.slice(0, cells);
  const rows = new Int32Array(entries.length);
  for (let r = 0; r + 1 < rowStart.length; r++) for (let e = rowStart[r]; e < rowStart[r + 1]; e++) rows[fill[entries[e]]++] = r;
  return { start, rows };
}
