/**
 * Consistency with what the project published before (issue 12): tables that share cells
 * with the new one, the same table last quarter or another table with a common marginal,
 * are protected together with it.
 *
 * Same coordinates, same cell: an earlier cell is the new table's cell whose node labels
 * match along every dimension the two share (by dimension name), a dimension only one of them
 * has standing at its total. A shared cell must also hold the same value (otherwise it counts
 * other people: another period without a period dimension, or a corrected extract) and is then
 * one unknown of both tables. Rules:
 *  - published before: stays published (it is public), whatever the rules say now;
 *  - suppressed before: stays suppressed, reason REASON_EARLIER; an earlier primary keeps
 *    needing protection, with the levels its value gives under the policy where the new
 *    table's own rules do not flag it (counts: T - n up, min(n, T - n) down; sums: p% of it);
 *  - the new and earlier tables form one linked system: their cells (shared ones once), every
 *    additive constraint of each, and every published value. The secondary suppression and
 *    the attacker's audit run over that system, so no suppressed cell of either is narrower
 *    than required given both.
 */
import { KoppelError } from '../../errors.js';
import type { DimensionTree } from './dimension-tree.js';
import { PRIMARY, PUBLISHED, SECONDARY, type SuppressionPolicy } from './primary-suppression.js';
import { tableConstraints, tableShape, type Constraints, type TableShape } from './table-shape.js';

/** What a table the project published before looked like: the engine's own output of it. */
export interface EarlierTable {
  readonly dimensions: readonly DimensionTree[];
  readonly measure: 'persons' | 'records' | 'sum' | 'mean';
  /** Per cell, the value protected (count or sum), in the cell order of its own shape. */
  readonly values: Float64Array;
  /** Per cell, PUBLISHED, PRIMARY or SECONDARY. */
  readonly status: Uint8Array;
}

/** Reason bit: suppressed because an earlier table suppressed the same cell. */
export const REASON_EARLIER = 16;

export interface EarlierReport {
  /** Earlier tables sharing at least one cell with this one (protected together). */
  readonly linked: number;
  readonly sharedCells: number;
  /** Shared cells kept published although this table's rules flag them (they are public). */
  readonly publishedBefore: number;
  /** Cells suppressed because an earlier table suppressed them. */
  readonly suppressedBefore: number;
  /** Cells at the same coordinates with another value: not shared (another population). */
  readonly differing: number;
}

/** The linked system: cells 0 .. newCells-1 are the new table's, then the earlier tables' own. */
export interface LinkedSystem {
  readonly values: Float64Array;
  readonly status: Uint8Array;
  readonly reasons: Uint8Array;
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  /** 1 where a cell may not be suppressed or moved: published in an earlier table. */
  readonly locked: Uint8Array;
  /** 1 where a cell of the new table is shared with an earlier one. */
  readonly shared: Uint8Array;
  readonly constraints: Constraints;
  readonly report: EarlierReport;
}

interface Primary {
  readonly status: Uint8Array;
  readonly reasons: Uint8Array;
  readonly upper: Float64Array;
  readonly lower: Float64Array;
}

/** Link the new table with the earlier ones; null when none shares a cell with it. */
export function linkEarlier(
  shape: TableShape, values: Float64Array, primary: Primary, policy: SuppressionPolicy, measure: EarlierTable['measure'],
  earlier: readonly EarlierTable[],
): LinkedSystem | null {
  const maps: { table: EarlierTable; shape: TableShape; id: Int32Array }[] = [];
  let differing = 0;
  let next = shape.cells;
  for (const table of earlier) {
    if (table.measure !== measure) continue;
    const own = tableShape(table.dimensions);
    if (table.values.length !== own.cells || table.status.length !== own.cells) {
      throw new KoppelError('KOPPEL_ERR_RELEASE_BAD_TABLE', `an earlier table has ${table.values.length} values and ${table.status.length} statuses for ${own.cells} cells`);
    }
    const target = matchCells(own, shape);
    const id = new Int32Array(own.cells);
    let shared = 0;
    for (let c = 0; c < own.cells; c++) {
      const t = target[c];
      if (t >= 0 && Math.abs(values[t] - table.values[c]) <= 1e-9 * Math.max(1, Math.abs(values[t]))) { id[c] = t; shared++; } else {
        if (t >= 0) differing++;
        id[c] = -1;
      }
    }
    if (shared === 0) continue;
    for (let c = 0; c < own.cells; c++) if (id[c] < 0) id[c] = next++;
    maps.push({ table, shape: own, id });
  }
  if (maps.length === 0) return null;
  return combine(shape, values, primary, policy, measure !== 'persons' && measure !== 'records', maps, next, differing);
}

/** Per cell of `from`, the cell of `to` at the same coordinates, or -1. */
function matchCells(from: TableShape, to: TableShape): Int32Array {
  const out = new Int32Array(from.cells).fill(-1);
  const byName = from.dims.map((tree) => to.dims.findIndex((t) => t.name === tree.name));
  const labelMaps = from.dims.map((tree, d) => {
    const m = new Map<string, number>();
    if (byName[d] >= 0) to.dims[byName[d]].labels.forEach((label, v) => m.set(label, v));
    return tree.labels.map((label) => m.get(label) ?? -1);
  });
  let base = 0; // dimensions of `to` that `from` lacks stand at their total
  to.dims.forEach((tree, e) => { if (!from.dims.some((t) => t.name === tree.name)) base += tree.root * to.strides[e]; });
  for (let c = 0; c < from.cells; c++) {
    let cell = base;
    for (let d = 0; d < from.dims.length && cell >= 0; d++) {
      const v = Math.floor(c / from.strides[d]) % from.dims[d].size;
      if (byName[d] < 0) { if (v !== from.dims[d].root) cell = -1; continue; }
      const w = labelMaps[d][v];
      cell = w < 0 ? -1 : cell + w * to.strides[byName[d]];
    }
    out[c] = cell;
  }
  return out;
}

function combine(
  shape: TableShape, newValues: Float64Array, primary: Primary, policy: SuppressionPolicy, magnitude: boolean,
  maps: readonly { table: EarlierTable; shape: TableShape; id: Int32Array }[], cells: number, differing: number,
): LinkedSystem {
  const n = shape.cells;
  const values = new Float64Array(cells);
  values.set(newValues);
  const status = new Uint8Array(cells);
  status.set(primary.status);
  const reasons = new Uint8Array(cells);
  reasons.set(primary.reasons);
  const upper = new Float64Array(cells);
  upper.set(primary.upper);
  const lower = new Float64Array(cells);
  lower.set(primary.lower);
  const locked = new Uint8Array(cells);
  const shared = new Uint8Array(n);
  const wasPrimary = new Uint8Array(cells);
  const wasSuppressed = new Uint8Array(cells);
  const own = tableConstraints(shape);
  const rowStart: number[] = Array.from(own.rowStart);
  const entries: number[] = Array.from(own.entries);
  for (const { table, shape: s, id } of maps) {
    for (let c = 0; c < s.cells; c++) {
      const g = id[c];
      if (g < n) shared[g] = 1; else values[g] = table.values[c];
      if (table.status[c] === PUBLISHED) locked[g] = 1;
      else { wasSuppressed[g] = 1; if (table.status[c] === PRIMARY) wasPrimary[g] = 1; }
    }
    const { rowStart: rs, entries: es } = tableConstraints(s);
    const offset = entries.length;
    for (let e = 0; e < es.length; e++) entries.push(id[es[e]]);
    for (let r = 1; r < rs.length; r++) rowStart.push(offset + rs[r]);
  }
  let publishedBefore = 0;
  let suppressedBefore = 0;
  for (let g = 0; g < cells; g++) {
    if (locked[g] === 1) {
      // Public already (if also suppressed in another earlier table, that one was not safe;
      // the value is out either way).
      if (status[g] !== PUBLISHED) publishedBefore++;
      status[g] = PUBLISHED;
      reasons[g] = 0;
      upper[g] = 0;
      lower[g] = 0;
      continue;
    }
    if (wasSuppressed[g] === 0) continue;
    reasons[g] |= REASON_EARLIER;
    if (g < n && status[g] === PUBLISHED) suppressedBefore++;
    if (wasPrimary[g] === 1 && status[g] !== PRIMARY) {
      status[g] = PRIMARY;
      const [up, down] = levelsOfValue(values[g], policy, magnitude);
      upper[g] = up;
      lower[g] = down;
    } else if (status[g] === PUBLISHED) status[g] = SECONDARY;
  }
  return {
    values, status, reasons, upper, lower, locked, shared,
    constraints: { rowStart: Int32Array.from(rowStart), entries: Int32Array.from(entries) },
    report: { linked: maps.length, sharedCells: shared.reduce((a, b) => a + b, 0), publishedBefore, suppressedBefore, differing },
  };
}

/** Protection levels from a cell's value alone (its contributors are not at hand). */
function levelsOfValue(x: number, policy: SuppressionPolicy, magnitude: boolean): [number, number] {
  if (magnitude) {
    const level = ((policy.pPercent ?? 10) / 100) * x;
    return [level, Math.min(x, level)];
  }
  const T = policy.minFrequency;
  return x > 0 && x < T ? [T - x, Math.min(x, T - x)] : [0, 0];
}
