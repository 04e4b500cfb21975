/**
 * Secondary suppression: complementary cells so that no sensitive cell can be recomputed
 * from what is published, at the least information loss (the weights: by default each
 * cell's value, so totals move only when nothing cheaper protects). In this order:
 *
 * 1. Hypercube boxes without LP (box-search.ts), totals first: sibling pairs, and singles in
 *    dimensions without hierarchy (a municipality's all-ages count).
 * 2. Top-down over the modular decomposition (subtables.ts), per primary cell still short of
 *    protection, a protection LP (protection-lp.ts) over a window of its subtable
 *    (protection-window.ts), else the whole subtable, with the margins from above held: the
 *    cheapest deviation by weight, over interior cells. A moved margin is carried down into
 *    the subtables below (over a window around the moved margins first: whole subtables made
 *    tables of many small cells take minutes), so the result is one deviation of the table.
 * 3. Boxes with cousin pairs and singles up to the root, and last the scaled cone of the cell
 *    (box-cone.ts), which always exists: no cell of a table without earlier tables is left.
 * 4. One protection LP over the whole linked system for the rest (cells an earlier table holds).
 *
 * A deviation protects every cell it moves: per cell the largest move up and down found so
 * far is kept (and, when a - y stays non-negative, the mirrored one counts too).
 */
import type { Highs } from 'highs';
import { BoxSearch, type Box } from './box-search.js';
import type { Deviations } from './deviation-certificates.js';
import { MOVE_EPSILON, ProtectionLp, shortOfProtection } from './protection-lp.js';
import { protectionWindow, solveInWindow } from './protection-window.js';
import { PRIMARY, PUBLISHED, SECONDARY } from './primary-suppression.js';
import { pruneSecondaries } from './prune-secondaries.js';
import { decompose, subtablesBelow, type Decomposition } from './subtables.js';
import { tableConstraints, type Constraints, type TableShape } from './table-shape.js';

export interface SecondaryInput {
  readonly shape: TableShape;
  readonly values: Float64Array;
  /** Per cell PUBLISHED or PRIMARY on entry; complements become SECONDARY. */
  readonly status: Uint8Array;
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  /** Information-loss weight of suppressing each cell (1 per cell, or its value). */
  readonly weights: Float64Array;
  /**
   * Earlier tables linked with this one (earlier-tables.ts): the arrays above then span the
   * linked system, the table's own cells first; its constraints and the cells that may not
   * move. Protections the boxes cannot give are solved over the whole system.
   */
  readonly system?: { readonly constraints: Constraints; readonly locked: Uint8Array; readonly shared: Uint8Array };
}

export interface SecondaryReport {
  readonly secondaries: number;
  /** Complementary cells published again by the pruning pass (prune-secondaries.ts). */
  readonly republished: number;
  readonly subtables: number;
  /** Hypercube boxes applied (no LP needed). */
  readonly boxes: number;
  readonly linearProgrammes: number;
  /** Protections the subtables could not give, solved over the whole table instead. */
  readonly wholeTableFallbacks: number;
  /** Protection targets for which no deviation was found (the audit will refuse). */
  readonly unprotected: number;
  /** Every deviation applied: the audit's certificates (suppression-audit.ts). */
  readonly deviations: Deviations;
}

const TOLERANCE = 1e-6;
/**
 * Protection LPs per table at most (then step 3), and their work: the cells of the LPs solved,
 * at most this many times the table's. A table of many small cells needs many LPs per
 * protection (the deviation carried down), and LPs gain it little over the boxes.
 */
const MAX_PROTECTION_LPS = 2000;
const LP_WORK_PER_CELL = 20;

export function secondarySuppression(highs: Highs, input: SecondaryInput): SecondaryReport {
  const run = new SecondaryRun(highs, input);
  try {
    return run.run();
  } finally {
    run.dispose();
  }
}

class SecondaryRun {
  private readonly decomposition: Decomposition;
  private readonly lps = new Map<number, ProtectionLp>();
  private readonly newlySuppressed: number[] = [];
  private readonly suppressed: Uint8Array;
  private readonly maxUp: Float64Array;
  private readonly maxDown: Float64Array;
  private secondaries = 0;
  private linearProgrammes = 0;
  private lpWork = 0;
  private unprotected = 0;
  private wholeTableFallbacks = 0;
  private boxDeviations = 0;
  private whole: ProtectionLp | undefined;
  private readonly deviationStart: number[] = [0];
  private readonly deviationCells: number[] = [];
  private readonly deviationMoves: number[] = [];

  constructor(private readonly highs: Highs, private readonly input: SecondaryInput) {
    this.decomposition = decompose(input.shape);
    this.suppressed = Uint8Array.from(input.status, (s) => (s === PUBLISHED ? 0 : 1));
    this.maxUp = new Float64Array(input.values.length);
    this.maxDown = new Float64Array(input.values.length);
  }

  run(): SecondaryReport {
    const { status, upper, lower, values, shape } = this.input;
    // Steps 1 to 4 above, totals before their parts.
    const primaries: number[] = [];
    for (let c = 0; c < values.length; c++) if (status[c] === PRIMARY) primaries.push(c);
    const own = shape.cells;
    const depth = (c: number) => (c >= own ? 1e9 : shape.dims.reduce((sum, tree, d) => sum + tree.depth[Math.floor(c / shape.strides[d]) % tree.size], 0));
    const depths = Float64Array.from(primaries, depth);
    const order = primaries.map((_, i) => i).sort((a, b) => depths[a] - depths[b]).map((i) => primaries[i]);
    const system = this.input.system;
    // A box may not move a cell an earlier table holds: its constraints would break.
    const locked = new Uint8Array(own);
    if (system !== undefined) for (let c = 0; c < own; c++) locked[c] = system.locked[c] | system.shared[c];
    const boxes = new BoxSearch({ shape, values, suppressed: this.suppressed, locked, weights: this.input.weights });
    const ownOrder = order.filter((c) => c < own);
    this.boxPass(boxes, ownOrder, false);
    for (const sub of system === undefined ? this.decomposition.subtables : []) {
      for (let j = 0; j < sub.cells.length; j++) {
        const cell = sub.cells[j];
        if (sub.marginAbove[j] === 1 || status[cell] !== PRIMARY) continue;
        if (this.maxUp[cell] < upper[cell] - TOLERANCE) this.protect(sub.index, j, upper[cell]);
        if (this.maxDown[cell] < lower[cell] - TOLERANCE) this.protect(sub.index, j, -lower[cell]);
      }
    }
    this.boxPass(boxes, ownOrder, true);
    for (const cell of order) {
      if (this.lacking(cell, true) > 0) this.protectWhole(cell, upper[cell]);
      if (this.lacking(cell, false) > 0) this.protectWhole(cell, -lower[cell]);
    }
    const applied = { start: Int32Array.from(this.deviationStart), cells: Int32Array.from(this.deviationCells), moves: Float64Array.from(this.deviationMoves) };
    const pruned = this.unprotected > 0 ? { deviations: applied, republished: 0, added: 0 }
      : pruneSecondaries({ values, status, upper, lower, suppressed: this.suppressed, locked, boxes, deviations: applied, candidates: this.newlySuppressed });
    return {
      secondaries: this.secondaries - pruned.republished + pruned.added, republished: pruned.republished, subtables: this.decomposition.subtables.length, boxes: this.boxDeviations,
      linearProgrammes: this.linearProgrammes, wholeTableFallbacks: this.wholeTableFallbacks, unprotected: this.unprotected, deviations: pruned.deviations,
    };
  }

  private boxPass(boxes: BoxSearch, order: readonly number[], singles: boolean): void {
    for (const cell of order) {
      const up = this.lacking(cell, true);
      const down = this.lacking(cell, false);
      if (up === 0 && down === 0) continue;
      const both = up > 0 && down > 0 ? boxes.find(cell, up, down, singles) : null;
      if (both !== null) { this.applyBox(both, up, down); continue; }
      for (const direction of [true, false]) {
        const need = this.lacking(cell, direction);
        if (need === 0) continue;
        const box = boxes.find(cell, direction ? need : 0, direction ? 0 : need, singles);
        if (box !== null) this.applyBox(box, direction ? need : 0, direction ? 0 : need);
      }
    }
  }

  /** The protection level a primary cell still lacks in one direction, or 0. */
  private lacking(cell: number, up: boolean): number {
    const level = up ? this.input.upper[cell] : this.input.lower[cell];
    const has = up ? this.maxUp[cell] : this.maxDown[cell];
    return has < level - TOLERANCE ? level : 0;
  }

  private applyBox(box: Box, up: number, down: number): void {
    this.boxDeviations++;
    for (const [size, sign] of [[up, 1], [down, -1]]) {
      if (size === 0) continue;
      const deviation = new Map<number, number>();
      for (let i = 0; i < box.cells.length; i++) deviation.set(box.cells[i], sign * size * box.signs[i]);
      this.apply(deviation);
    }
  }

  private lp(index: number): ProtectionLp {
    let lp = this.lps.get(index);
    if (lp === undefined) {
      lp = new ProtectionLp(this.highs, this.decomposition.subtables[index], this.input.values, this.input.weights, this.suppressed);
      this.lps.set(index, lp);
    }
    lp.syncCosts(this.newlySuppressed);
    return lp;
  }

  /** Move cell `local` of subtable `index` by `target`, carry the deviation down, apply it. */
  private protect(index: number, local: number, target: number): void {
    if (this.linearProgrammes >= MAX_PROTECTION_LPS || this.lpWork >= LP_WORK_PER_CELL * this.input.shape.cells) return;
    const deviation = new Map<number, number>();
    const pending = new Set<number>();
    this.linearProgrammes++;
    const moves = this.solveWindow(index, local, target) ?? this.solveSubtable(index, local, target);
    if (moves === null) return;
    this.take(moves, deviation, pending);
    while (pending.size > 0) {
      const next = Math.min(...pending);
      pending.delete(next);
      const fixedLocal: number[] = [];
      const fixedMove: number[] = [];
      const sub = this.decomposition.subtables[next];
      for (let j = 0; j < sub.cells.length; j++) {
        const y = sub.marginAbove[j] === 1 ? deviation.get(sub.cells[j]) : undefined;
        if (y !== undefined) { fixedLocal.push(j); fixedMove.push(y); }
      }
      this.linearProgrammes++;
      const below = this.solveBelow(next, fixedLocal, fixedMove);
      if (below === null) return;
      this.take(below, deviation, pending);
    }
    this.apply(deviation);
  }

  /** The protection LP over a window of the subtable around the cell (protection-window.ts). */
  private solveWindow(index: number, local: number, target: number): number[] | null {
    const window = protectionWindow(this.input.shape, this.decomposition.subtables[index], local, this.input.values, this.suppressed);
    this.lpWork += window.region.cells.length;
    return solveInWindow(this.highs, window.region, { ...this.input, suppressed: this.suppressed }, [window.local], [target], shortOfProtection(window.region, window.local, this.protection()));
  }

  /**
   * Carry a deviation down into subtable `index` (its margins `fixedLocal` keep their moves from
   * above): over a window around them (protection-window.ts), else over the whole subtable.
   */
  private solveBelow(index: number, fixedLocal: readonly number[], fixedMove: readonly number[]): number[] | null {
    const sub = this.decomposition.subtables[index];
    const window = protectionWindow(this.input.shape, sub, fixedLocal[0], this.input.values, this.suppressed, fixedLocal);
    this.lpWork += window.region.cells.length;
    const moves = solveInWindow(this.highs, window.region, { ...this.input, suppressed: this.suppressed }, fixedLocal.map((j) => window.inWindow[j]), fixedMove);
    if (moves !== null) return moves;
    this.linearProgrammes++;
    this.lpWork += sub.cells.length;
    return this.lp(index).solve(fixedLocal, fixedMove);
  }

  private solveSubtable(index: number, local: number, target: number): number[] | null {
    this.linearProgrammes++;
    this.lpWork += this.decomposition.subtables[index].cells.length;
    const home = this.lp(index);
    return home.solve([local], [target], shortOfProtection(home.subtable, local, this.protection()));
  }

  /** The last resort (step 4): one protection LP over the whole table, or the linked system. */
  private protectWhole(cell: number, target: number): void {
    this.wholeTableFallbacks++;
    this.linearProgrammes++;
    if (this.whole === undefined) {
      const system = this.input.system;
      const { rowStart, entries } = system?.constraints ?? tableConstraints(this.input.shape);
      const cells = Int32Array.from({ length: this.input.values.length }, (_, c) => c);
      // Cells published in an earlier table stay where they are (held like margins from above).
      const marginAbove = system?.locked ?? new Uint8Array(cells.length);
      this.whole = new ProtectionLp(this.highs, { cells, marginAbove, rowStart, entries }, this.input.values, this.input.weights, this.suppressed);
    }
    this.whole.syncCosts(this.newlySuppressed);
    const moves = this.whole.solve([cell], [target]);
    if (moves === null) { this.unprotected++; return; }
    const deviation = new Map<number, number>();
    for (let i = 0; i < moves.length; i += 2) deviation.set(moves[i], moves[i + 1]);
    this.apply(deviation);
  }

  private protection() { return { ...this.input, maxUp: this.maxUp, maxDown: this.maxDown }; }

  /** Record the moves of cells a subtable owns, and schedule the subtables below them. */
  private take(moves: readonly number[], deviation: Map<number, number>, pending: Set<number>): void {
    for (let i = 0; i < moves.length; i += 2) {
      if (deviation.has(moves[i])) continue; // a margin from above: already decided higher up
      deviation.set(moves[i], moves[i + 1]);
      for (const s of subtablesBelow(this.input.shape, this.decomposition, moves[i])) pending.add(s);
    }
  }

  private apply(deviation: ReadonlyMap<number, number>): void {
    const { values, status } = this.input;
    let mirrored = true;
    for (const [cell, y] of deviation) if (y > values[cell] + MOVE_EPSILON) mirrored = false;
    for (const [cell, y] of deviation) {
      this.deviationCells.push(cell);
      this.deviationMoves.push(y);
      if (this.suppressed[cell] === 0) {
        this.suppressed[cell] = 1;
        status[cell] = SECONDARY;
        this.secondaries++;
        this.newlySuppressed.push(cell);
      }
      const up = mirrored ? Math.abs(y) : Math.max(y, 0);
      const down = mirrored ? Math.abs(y) : Math.max(-y, 0);
      if (up > this.maxUp[cell]) this.maxUp[cell] = up;
      if (down > this.maxDown[cell]) this.maxDown[cell] = down;
    }
    this.deviationStart.push(this.deviationCells.length);
  }

  dispose(): void {
    for (const lp of this.lps.values()) lp.dispose();
    this.whole?.dispose();
  }
}
