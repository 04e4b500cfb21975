/**
 * The protection linear programme of one subtable (the per-cell subproblem of Fischetti and
 * Salazar's method, after Kelly, Golden and Assad): find a deviation y of the subtable's
 * cells that keeps every total equal to the sum of its parts (A y = 0), keeps every cell
 * non-negative (y >= -a), moves the sensitive cell by its protection level, and costs least.
 * Every cell y moves must then be suppressed; a + y is a table the attacker cannot tell from
 * the true one, so the attacker's bound on the sensitive cell is at least as wide.
 *
 * Columns: y+ (0 .. m-1) and y- (m .. 2m-1) per local cell, y = y+ - y-, cost w (|y+| + |y-|)
 * with w the information-loss weight of a published cell and almost nothing for a cell
 * already suppressed (reusing it loses nothing). Margins from above are fixed: at 0, or at
 * the deviation the subtable above already chose for them.
 *
 * One persistent HiGHS model per subtable: successive solves change a few bounds and costs
 * and start from the previous basis.
 */
import type { Highs, Model } from 'highs';
import { PRIMARY } from './primary-suppression.js';
import type { Subtable } from './subtables.js';

/** The cells and local constraints an LP spans: a subtable, or the whole table. */
export type LpRegion = Pick<Subtable, 'cells' | 'marginAbove' | 'rowStart' | 'entries'>;

/** Cost of moving a cell that is already suppressed: small, so solutions stay sparse. */
const REUSE_COST = 1e-4;
export const MOVE_EPSILON = 1e-7;
const TOLERANCE = 1e-6;
/** Earned per unit of move by a sensitive cell still short of protection (a published cell costs >= 1). */
const REWARD = 0.5;

/** Local cells rewarded for moving, each up to `up[i]` and down to `down[i]` (0: not rewarded). */
export interface Rewards {
  readonly local: readonly number[];
  readonly up: readonly number[];
  readonly down: readonly number[];
}

/** Where every cell's protection stands: its levels, and the largest move up and down found so far. */
export interface Protection {
  readonly status: Uint8Array;
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  readonly maxUp: Float64Array;
  readonly maxDown: Float64Array;
}

/** The region's own primary cells (but `except`) still short of protection, with what they lack. */
export function shortOfProtection(sub: LpRegion, except: number, { status, upper, lower, maxUp, maxDown }: Protection): Rewards {
  const local: number[] = [];
  const up: number[] = [];
  const down: number[] = [];
  for (let j = 0; j < sub.cells.length; j++) {
    const cell = sub.cells[j];
    if (j === except || sub.marginAbove[j] === 1 || status[cell] !== PRIMARY) continue;
    // One direction at a time: rewarding both would pay for y+ and y- cancelling out.
    const u = maxUp[cell] < upper[cell] - TOLERANCE ? upper[cell] : 0;
    const d = u === 0 && maxDown[cell] < lower[cell] - TOLERANCE ? lower[cell] : 0;
    if (u === 0 && d === 0) continue;
    local.push(j);
    up.push(u);
    down.push(d);
  }
  return { local, up, down };
}

export class ProtectionLp {
  private readonly model: Model;
  private readonly m: number;
  private readonly local = new Map<number, number>();
  /** How much of the shared list of newly suppressed cells this model's costs reflect. */
  private synced = 0;

  constructor(highs: Highs, readonly subtable: LpRegion, values: Float64Array, weights: Float64Array, suppressed: Uint8Array) {
    const m = subtable.cells.length;
    this.m = m;
    const cost = new Float64Array(2 * m);
    const lower = new Float64Array(2 * m);
    const upper = new Float64Array(2 * m);
    for (let j = 0; j < m; j++) {
      const cell = subtable.cells[j];
      this.local.set(cell, j);
      const w = suppressed[cell] !== 0 ? REUSE_COST : weights[cell];
      cost[j] = w;
      cost[m + j] = w;
      const fixed = subtable.marginAbove[j] === 1;
      upper[j] = fixed ? 0 : highs.infinity;
      upper[m + j] = fixed ? 0 : values[cell];
    }
    const rows = subtable.rowStart.length - 1;
    const starts = new Int32Array(rows + 1);
    const indices = new Int32Array(subtable.entries.length * 2);
    const coef = new Float64Array(subtable.entries.length * 2);
    let k = 0;
    for (let r = 0; r < rows; r++) {
      for (let e = subtable.rowStart[r]; e < subtable.rowStart[r + 1]; e++) {
        const sign = e === subtable.rowStart[r] ? 1 : -1;
        indices[k] = subtable.entries[e];
        coef[k++] = sign;
        indices[k] = m + subtable.entries[e];
        coef[k++] = -sign;
      }
      starts[r + 1] = k;
    }
    const zero = new Float64Array(rows);
    this.model = highs.createModel({
      numCols: 2 * m, numRows: rows, colCost: cost, colLower: lower, colUpper: upper, rowLower: zero, rowUpper: zero,
      matrix: { format: 'csr', numRows: rows, numCols: 2 * m, starts, indices, values: coef },
    });
    this.model.options.set({ output_flag: false, presolve: 'off' });
    this.statuses = highs.constants.modelStatus;
    this.values = values;
  }

  private readonly values: Float64Array;
  private readonly statuses: { readonly optimal: number; readonly infeasible: number };

  /** Local id of a global cell, or -1. */
  localOf(cell: number): number {
    return this.local.get(cell) ?? -1;
  }

  /** Bring the costs up to date with the cells suppressed since the last solve. */
  syncCosts(newlySuppressed: readonly number[]): void {
    for (; this.synced < newlySuppressed.length; this.synced++) {
      const j = this.local.get(newlySuppressed[this.synced]);
      if (j === undefined) continue;
      this.model.changeColCost(j, REUSE_COST);
      this.model.changeColCost(this.m + j, REUSE_COST);
    }
  }

  /**
   * Solve with the given local cells fixed at the given deviations; the deviation of every
   * cell that moved, as pairs (global cell, deviation), or null if there is none.
   */
  solve(fixedLocal: readonly number[], fixedMove: readonly number[], rewards?: Rewards): number[] | null {
    const { optimal, infeasible } = this.statuses;
    for (let i = 0; i < fixedLocal.length; i++) this.fix(fixedLocal[i], fixedMove[i]);
    if (rewards !== undefined) this.reward(rewards);
    try {
      this.model.run();
      if (this.model.getModelStatus() !== optimal && this.model.getModelStatus() !== infeasible) {
        // No verdict from the warm start (HiGHS "unknown"): once more from a cold start.
        this.model.clearSolver();
        this.model.run();
      }
      if (this.model.getModelStatus() !== optimal) return null;
      const x = this.model.getSolution().colValue;
      const moves: number[] = [];
      for (let j = 0; j < this.m; j++) {
        const y = x[j] - x[this.m + j];
        if (Math.abs(y) > MOVE_EPSILON) moves.push(this.subtable.cells[j], y);
      }
      return moves;
    } finally {
      for (const j of fixedLocal) this.release(j);
      if (rewards !== undefined) {
        for (const j of rewards.local) {
          this.release(j);
          this.model.changeColCost(j, REUSE_COST);
          this.model.changeColCost(this.m + j, REUSE_COST);
        }
      }
    }
  }

  /**
   * Other sensitive cells still short of protection earn a little for moving, up to their
   * levels: the deviation then protects every one it can reach through cells already
   * suppressed, sparing an LP each. The reward stays below the cost of a published cell, so
   * it never buys a new suppression by itself.
   */
  private reward({ local, up, down }: Rewards): void {
    for (let i = 0; i < local.length; i++) {
      const j = local[i];
      if (up[i] > 0) {
        this.model.changeColBounds(j, 0, up[i]);
        this.model.changeColCost(j, -REWARD);
      }
      if (down[i] > 0) {
        this.model.changeColBounds(this.m + j, 0, Math.min(down[i], this.values[this.subtable.cells[j]]));
        this.model.changeColCost(this.m + j, -REWARD);
      }
    }
  }

  private fix(j: number, y: number): void {
    this.model.changeColBounds(j, Math.max(y, 0), Math.max(y, 0));
    this.model.changeColBounds(this.m + j, Math.max(-y, 0), Math.max(-y, 0));
  }

  private release(j: number): void {
    const fixed = this.subtable.marginAbove[j] === 1;
    this.model.changeColBounds(j, 0, fixed ? 0 : Infinity);
    this.model.changeColBounds(this.m + j, 0, fixed ? 0 : this.values[this.subtable.cells[j]]);
  }

  dispose(): void {
    this.model.dispose();
  }
}
