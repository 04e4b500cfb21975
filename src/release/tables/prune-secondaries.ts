/**
 * Less information lost: after the secondary suppression, try to publish its complementary
 * cells again, the largest first (a district or the grand total costs far more persons than a
 * small cell), and keep each re-publication only if every primary cell stays protected.
 *
 * Protection is what the certificates say (deviation-certificates.ts): per primary cell and
 * direction, the applied deviations that move it by at least its protection level. Publishing
 * a cell voids the deviations through it; the primary cells left without one get a new
 * hypercube box that keeps the cell fixed (it is locked from then on), and the re-publication
 * is undone if any of them finds none, or if the new boxes suppress as many persons as the
 * cell holds. At the end, a complementary cell no valid deviation moves is not needed and is
 * published. The attacker's audit then checks the result as before, from the deviations kept.
 */
import type { BoxSearch } from './box-search.js';
import { PRIMARY, PUBLISHED, SECONDARY } from './primary-suppression.js';
import type { Deviations } from './deviation-certificates.js';

export interface PruneInput {
  readonly values: Float64Array;
  readonly status: Uint8Array;
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  readonly suppressed: Uint8Array;
  /** The table's own cells that boxes may not move (this pass locks the cells it publishes). */
  readonly locked: Uint8Array;
  readonly boxes: BoxSearch;
  readonly deviations: Deviations;
  /** The complementary cells this run suppressed (cells an earlier table suppressed stay so). */
  readonly candidates: readonly number[];
}

export interface Pruned {
  readonly deviations: Deviations;
  /** Complementary cells published again. */
  readonly republished: number;
  /** Cells the new boxes suppressed instead (net loss saved: republished - added cells). */
  readonly added: number;
}

const TOLERANCE = 1e-6;
/**
 * A cell whose re-publication voids more deviations than this is left suppressed: it bounds the
 * work (a large total sits in thousands of boxes, and re-boxing them rarely succeeds).
 */
const MAX_VOIDED = 48;
/** The largest candidates re-boxed with the wide search (more candidate boxes: slower, saves more). */
const WIDE_TRIES = 2000;

interface Deviation { readonly cells: Int32Array; readonly moves: Float64Array; active: boolean }

export function pruneSecondaries(input: PruneInput): Pruned {
  return new Pruning(input).run();
}

class Pruning {
  private readonly list: Deviation[] = [];
  private readonly through: number[][];
  private readonly coverUp: Int32Array;
  private readonly coverDown: Int32Array;
  private lacking: number[] = [];
  private added = 0;

  constructor(private readonly input: PruneInput) {
    const { start, cells, moves } = input.deviations;
    const n = input.values.length;
    this.through = Array.from({ length: n }, () => []);
    this.coverUp = new Int32Array(n);
    this.coverDown = new Int32Array(n);
    for (let i = 0; i + 1 < start.length; i++) this.add(cells.slice(start[i], start[i + 1]), moves.slice(start[i], start[i + 1]));
  }

  run(): Pruned {
    const { values, status, upper, lower, locked, candidates } = this.input;
    // Only where every primary cell is certified to begin with: otherwise leave it to the audit.
    for (let c = 0; c < values.length; c++) {
      if (status[c] !== PRIMARY) continue;
      if ((upper[c] > TOLERANCE && this.coverUp[c] === 0) || (lower[c] > TOLERANCE && this.coverDown[c] === 0)) return { deviations: this.input.deviations, republished: 0, added: 0 };
    }
    let republished = 0;
    const order = candidates.filter((c) => c < locked.length && status[c] === SECONDARY).sort((a, b) => values[b] - values[a] || a - b);
    for (let i = 0; i < order.length; i++) if (this.tryPublish(order[i], i < WIDE_TRIES)) republished++;
    const moved = new Uint8Array(values.length);
    for (const d of this.list) if (d.active) for (const c of d.cells) moved[c] = 1;
    for (const c of order) {
      if (status[c] === SECONDARY && moved[c] === 0) { status[c] = PUBLISHED; this.input.suppressed[c] = 0; republished++; }
    }
    return { deviations: this.active(), republished, added: this.added };
  }

  private tryPublish(cell: number, wide: boolean): boolean {
    const { values, status, upper, lower, suppressed, locked, boxes } = this.input;
    const voided = this.through[cell].filter((i) => this.list[i].active);
    if (voided.length > MAX_VOIDED) return false;
    this.lacking = [];
    for (const i of voided) this.remove(i);
    suppressed[cell] = 0;
    status[cell] = PUBLISHED;
    locked[cell] = 1;
    const added: number[] = [];
    const made: number[] = [];
    let cost = 0;
    let ok = true;
    for (const p of this.lacking) {
      const up = upper[p] > TOLERANCE && this.coverUp[p] === 0 ? upper[p] : 0;
      const down = lower[p] > TOLERANCE && this.coverDown[p] === 0 ? lower[p] : 0;
      if (up === 0 && down === 0) continue;
      const box = p < locked.length ? boxes.find(p, up, down, false) ?? boxes.find(p, up, down, true, wide) : null;
      if (box === null) { ok = false; break; }
      for (const c of box.cells) {
        if (suppressed[c] === 1) continue;
        suppressed[c] = 1;
        status[c] = SECONDARY;
        added.push(c);
        cost += values[c];
      }
      for (const [size, sign] of [[up, 1], [down, -1]]) {
        if (size > 0) made.push(this.add(box.cells, Float64Array.from(box.signs, (s) => sign * size * s)));
      }
      if (cost >= values[cell]) { ok = false; break; }
    }
    if (ok) { this.added += added.length; return true; }
    for (const i of made) this.remove(i);
    for (const c of added) { suppressed[c] = 0; status[c] = PUBLISHED; }
    for (const i of voided) this.activate(i);
    suppressed[cell] = 1;
    status[cell] = SECONDARY;
    locked[cell] = 0;
    return false;
  }

  private add(cells: Int32Array, moves: Float64Array): number {
    const index = this.list.length;
    this.list.push({ cells, moves, active: false });
    for (const c of cells) this.through[c].push(index);
    this.activate(index);
    return index;
  }

  /** Per cell of a deviation, how far it moves the cell up and down (as certifiedMoves counts). */
  private each(index: number, f: (cell: number, up: number, down: number) => void): void {
    const { cells, moves } = this.list[index];
    const { values } = this.input;
    let mirrored = true;
    for (let k = 0; k < cells.length; k++) if (values[cells[k]] - moves[k] < -TOLERANCE) mirrored = false;
    for (let k = 0; k < cells.length; k++) {
      const y = moves[k];
      f(cells[k], mirrored ? Math.abs(y) : Math.max(y, 0), mirrored ? Math.abs(y) : Math.max(-y, 0));
    }
  }

  private activate(index: number): void {
    const { status, upper, lower } = this.input;
    this.list[index].active = true;
    this.each(index, (c, up, down) => {
      if (status[c] !== PRIMARY) return;
      if (upper[c] > TOLERANCE && up >= upper[c] - TOLERANCE) this.coverUp[c]++;
      if (lower[c] > TOLERANCE && down >= lower[c] - TOLERANCE) this.coverDown[c]++;
    });
  }

  private remove(index: number): void {
    const { status, upper, lower } = this.input;
    this.list[index].active = false;
    this.each(index, (c, up, down) => {
      if (status[c] !== PRIMARY) return;
      if (upper[c] > TOLERANCE && up >= upper[c] - TOLERANCE && --this.coverUp[c] === 0) this.lacking.push(c);
      if (lower[c] > TOLERANCE && down >= lower[c] - TOLERANCE && --this.coverDown[c] === 0) this.lacking.push(c);
    });
  }

  private active(): Deviations {
    const start = [0];
    const cells: number[] = [];
    const moves: number[] = [];
    for (const d of this.list) {
      if (!d.active) continue;
      cells.push(...d.cells);
      moves.push(...d.moves);
      start.push(cells.length);
    }
    return { start: Int32Array.from(start), cells: Int32Array.from(cells), moves: Float64Array.from(moves) };
  }
}
