/**
 * A window of a subtable for one protection LP: per dimension the subtable's margin, the
 * sensitive cell's own node and a few of its siblings (those whose cell beside it is
 * suppressed already first, then the largest). Every other cell of the subtable is held at
 * a move of 0, so a deviation found in the window is a deviation of the subtable: a row of
 * the subtable with a part in the window has its total there too (the margin is in every
 * dimension's list), and the parts outside do not move.
 *
 * A national table's subtable crosses a district's municipalities with every age band, sex
 * and quarter (some 3,500 cells); its window keeps a tenth of them, and the LP solves in a
 * fraction of the time. Where the window holds no protection, the whole subtable is tried.
 *
 * The same window, around several cells at once, carries a deviation down into a subtable
 * below (secondary-suppression.ts): the margins the deviation above moved must keep their
 * moves, so their nodes are kept, and the siblings are chosen beside the first of them.
 */
import type { Highs } from 'highs';
import { ProtectionLp, type LpRegion, type Rewards } from './protection-lp.js';
import type { Subtable } from './subtables.js';
import type { TableShape } from './table-shape.js';

/** Siblings of the sensitive cell's node kept per dimension. */
const WINDOW_SIBLINGS = 4;

export interface Window {
  readonly region: LpRegion;
  /** The sensitive cell's local id in the window. */
  readonly local: number;
  /** Per local cell of the subtable, its local id in the window, or -1. */
  readonly inWindow: Int32Array;
}

/** The window around subtable cell `local` (and the nodes of the cells `also`, kept too). */
export function protectionWindow(shape: TableShape, sub: Subtable, local: number, values: Float64Array, suppressed: Uint8Array, also: readonly number[] = []): Window {
  const D = shape.dims.length;
  const lengths = shape.dims.map((tree, d) => 1 + tree.childStart[sub.parents[d] + 1] - tree.childStart[sub.parents[d]]);
  const localStride = new Int32Array(D);
  let size = 1;
  for (let d = D - 1; d >= 0; d--) { localStride[d] = size; size *= lengths[d]; }
  const keep = lengths.map((k, d) => {
    const own = Math.floor(local / localStride[d]) % k;
    // Carrying a move down: a dimension in which every moved margin is the total is kept whole.
    if (k <= WINDOW_SIBLINGS + 2 || (also.length > 0 && also.every((j) => Math.floor(j / localStride[d]) % k === 0))) return new Uint8Array(k).fill(1);
    const beside = (i: number) => sub.cells[local + (i - own) * localStride[d]];
    const others = Array.from({ length: k }, (_, i) => i).filter((i) => i !== 0 && i !== own);
    const key = (i: number) => (suppressed[beside(i)] === 1 ? Infinity : values[beside(i)]);
    others.sort((a, b) => key(b) - key(a) || a - b);
    const mask = new Uint8Array(k);
    mask[0] = 1;
    mask[own] = 1;
    for (const j of also) mask[Math.floor(j / localStride[d]) % k] = 1;
    let kept = 0;
    for (const i of others) if (mask[i] === 0 && kept++ < WINDOW_SIBLINGS) mask[i] = 1;
    return mask;
  });
  const inWindow = new Int32Array(size).fill(-1);
  const cells: number[] = [];
  const marginAbove: number[] = [];
  for (let j = 0; j < size; j++) {
    let ok = true;
    for (let d = 0; d < D && ok; d++) ok = keep[d][Math.floor(j / localStride[d]) % lengths[d]] === 1;
    if (!ok) continue;
    inWindow[j] = cells.length;
    cells.push(sub.cells[j]);
    marginAbove.push(sub.marginAbove[j]);
  }
  const rowStart: number[] = [0];
  const entries: number[] = [];
  for (let r = 0; r + 1 < sub.rowStart.length; r++) {
    const total = inWindow[sub.entries[sub.rowStart[r]]];
    if (total < 0) continue; // no part of this row is in the window either
    entries.push(total);
    for (let e = sub.rowStart[r] + 1; e < sub.rowStart[r + 1]; e++) if (inWindow[sub.entries[e]] >= 0) entries.push(inWindow[sub.entries[e]]);
    rowStart.push(entries.length);
  }
  const region = { cells: Int32Array.from(cells), marginAbove: Uint8Array.from(marginAbove), rowStart: Int32Array.from(rowStart), entries: Int32Array.from(entries) };
  return { region, local: inWindow[local], inWindow };
}

/** The protection LP over a window, with window-local cells fixed at moves: the moves found, or null. */
export function solveInWindow(
  highs: Highs, region: LpRegion, cost: { values: Float64Array; weights: Float64Array; suppressed: Uint8Array },
  fixedLocal: readonly number[], fixedMove: readonly number[], rewards?: Rewards,
): number[] | null {
  const lp = new ProtectionLp(highs, region, cost.values, cost.weights, cost.suppressed);
  try { return lp.solve(fixedLocal, fixedMove, rewards); } finally { lp.dispose(); }
}
