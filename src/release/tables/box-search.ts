/**
 * Hypercube deviations (in the spirit of tau-Argus's GHMITER, Repsilber 1994), found by
 * search instead of by a linear programme: the secondary suppression's cheap first choice.
 *
 * A deviation chosen on the leaf cells as a product y(x) = U f_0(x_0) f_1(x_1) ... , with each
 * f_e either a pair (+1 on leaf u, -1 on leaf w) or a single (+1 on leaf u), and carried up
 * to every total by summation, keeps every additive constraint of the table by construction.
 * Carried up, f_e becomes F_e(v) = [u below v] - [w below v] on the nodes of dimension e:
 * +1 on u's path and -1 on w's path up to (not including) their lowest common ancestor, 0
 * elsewhere; a single moves u's whole path up to the root. So the cells the deviation moves
 * are the product of one short node path per dimension (2 x 2 x 2 x 2 for a leaf cell with a
 * sibling in each dimension), and a sensitive cell p moves by U exactly when p's node lies on
 * u's path in every dimension. A pair needs p's node below the root; a total along e a single.
 *
 *   up-protection of p:   y = +U F   (cells with F = -1 go down: need value >= U)
 *   down-protection of p: y = -L F   (cells with F = +1 go down: need value >= L)
 *
 * Every cell the deviation moves must be suppressed; the search takes the box of least
 * weight (cells already suppressed cost nothing) among a bounded set of candidates: per
 * dimension the siblings of p's node, each followed down to a leaf through its largest child
 * (and, for the last resort, cousins and singles up to the root).
 */
import { jointSpread, type Factor } from './box-cone.js';
import type { TableShape } from './table-shape.js';

export interface BoxContext {
  readonly shape: TableShape;
  readonly values: Float64Array;
  /** 1 where the cell is suppressed already (moving it costs nothing). */
  readonly suppressed: Uint8Array;
  /** 1 where the cell may not move (published in an earlier table, or shared with one). */
  readonly locked: Uint8Array;
  /** Cost of suppressing a published cell. */
  readonly weights: Float64Array;
}

export interface Box {
  readonly cells: Int32Array;
  /** Per cell, the weight of its move (p's is +1). */
  readonly signs: Float64Array;
  readonly cost: number;
}

/** Boxes evaluated at most per search; with singles and cousins (the last resort). */
const BUDGET = 200;
const WIDE_BUDGET = 2000;
/** Siblings tried per dimension; siblings of each ancestor (cousin pairs). */
const SIBLINGS = 8;
const COUSINS = 3;
/** Cells a joint factor may span. */
const JOINT_LIMIT = 4096;
/** Cells the last resort's cone may span: a whole national table. */
const CONE_LIMIT = 1 << 20;

export class BoxSearch {
  /** Per dimension, per node, the node's one-dimensional marginal (other coordinates at the root). */
  private readonly marginal: Float64Array[];

  constructor(private readonly ctx: BoxContext) {
    const { dims, strides } = ctx.shape;
    let rootCell = 0;
    dims.forEach((tree, d) => { rootCell += tree.root * strides[d]; });
    this.marginal = dims.map((tree, d) => Float64Array.from({ length: tree.size }, (_, v) => ctx.values[rootCell + (v - tree.root) * strides[d]]));
  }

  /**
   * The cheapest box through `cell` that moves it up by `up` (if > 0) and down by `down`
   * (if > 0) without taking any other cell below 0, or null. `singles`: also cousin pairs and
   * totals moved up to the root (more loss, always possible); `wide`: more candidates.
   */
  find(cell: number, up: number, down: number, singles: boolean, wide = singles): Box | null {
    const { shape } = this.ctx;
    const options: Factor[][] = [];
    const roots: number[] = [];
    for (let d = 0; d < shape.dims.length; d++) {
      const v = Math.floor(cell / shape.strides[d]) % shape.dims[d].size;
      if (v === shape.dims[d].root) roots.push(d);
      const list = this.factors(cell, d, v, singles, up, down);
      if (list.length === 0) return null;
      options.push(list);
    }
    const budget = wide ? WIDE_BUDGET : BUDGET;
    const box = this.best(trim(options, budget), Array.from(shape.strides), up, down);
    if (box !== null || down === 0) return box;
    // A total along several dimensions moving down by its whole value: spread the move over all
    // its parts in those dimensions at once, each in proportion to its value (box-cone.ts).
    const joint = roots.length < 2 ? null : this.withJoint(options, roots, jointSpread(shape, this.ctx.values, cell, roots, false, JOINT_LIMIT), budget, up, down);
    if (joint !== null || !singles) return joint;
    // The last resort: the cone of every internal dimension with its ancestors (always feasible),
    // or, cheaper where it fits, moved to a sibling along one dimension (box-cone.ts).
    const internal: number[] = [];
    shape.dims.forEach((tree, d) => { if (tree.childStart[coordinateOf(cell, shape, d) + 1] > tree.childStart[coordinateOf(cell, shape, d)]) internal.push(d); });
    let best = this.withJoint(options, internal, jointSpread(shape, this.ctx.values, cell, internal, true, CONE_LIMIT), budget, up, down);
    for (const d of internal) {
      const tree = shape.dims[d];
      const v = coordinateOf(cell, shape, d);
      if (v === tree.root) continue;
      const siblings = Array.from(tree.children.subarray(tree.childStart[tree.parent[v]], tree.childStart[tree.parent[v] + 1])).filter((s) => s !== v);
      for (const s of siblings.slice(0, COUSINS)) {
        const partner = { d, nodes: this.path(d, this.descend(d, s), s) };
        const box = this.withJoint(options, internal, jointSpread(shape, this.ctx.values, cell, internal, true, CONE_LIMIT, partner), budget, up, down);
        if (box !== null && (best === null || box.cost < best.cost)) best = box;
      }
    }
    return best;
  }

  /** The cheapest box of a joint factor over `dims` with the other dimensions' options. */
  private withJoint(options: Factor[][], dims: readonly number[], joint: Factor | null, budget: number, up: number, down: number): Box | null {
    if (joint === null) return null;
    const rest = options.filter((_, d) => !dims.includes(d));
    const strides = Array.from(this.ctx.shape.strides).filter((_, d) => !dims.includes(d));
    return this.best(trim([...rest, [joint]], budget), [...strides, 1], up, down);
  }

  /** Candidate factors of dimension d for a cell whose node there is v. */
  private factors(cell: number, d: number, v: number, singles: boolean, up: number, down: number): Factor[] {
    const tree = this.ctx.shape.dims[d];
    const out: Factor[] = [];
    const ups = this.upSides(cell, d, v);
    if (v === tree.root) return ups;
    const parent = tree.parent[v];
    const need = Math.max(up, down);
    const pairs = ups.flatMap((u) => this.pairs(cell, d, v, v, need, u, SIBLINGS));
    // Singles go first so that trimming to the budget keeps them: they always fit. In a
    // dimension without hierarchy a single moves just its total beside the cell (a
    // municipality's all-ages count): offered from the first pass, priced by its weight.
    if (singles || pairs.length === 0 || tree.size === tree.leaves + 1) {
      for (const u of ups) {
        const above = this.path(d, parent, tree.root);
        out.push({ nodes: [...u.nodes, ...above], signs: [...u.signs, ...above.map(() => 1)] });
      }
    }
    if (!singles) return [...out, ...pairs];
    // Cousin pairs: the -1 side under a sibling of an ancestor a of v, the +1 side from u up
    // to a (v's district against a neighbouring district, say), stopping below their common
    // parent: far less loss than a single, which moves every total up to the root.
    const cousins: Factor[] = [];
    for (let a = parent; a !== tree.root; a = tree.parent[a]) cousins.push(...this.pairs(cell, d, v, a, need, ups[0], COUSINS));
    // Trimming keeps the front: the nearest pairs, then the cousins, then the other pairs.
    return [...out, ...pairs.slice(0, 2), ...cousins, ...pairs.slice(2)];
  }

  /**
   * Pairs of the +1 side `u` (carried from v up to a) with the paths from a leaf up to a
   * sibling s of a: those whose cell beside this one is suppressed already first, then the
   * smallest that can carry the move (the least value lost), then the rest.
   */
  private pairs(cell: number, d: number, v: number, a: number, need: number, u: Factor, limit: number): Factor[] {
    const tree = this.ctx.shape.dims[d];
    const stride = this.ctx.shape.strides[d];
    const grand = tree.parent[a];
    const others: number[] = [];
    for (let k = tree.childStart[grand]; k < tree.childStart[grand + 1]; k++) if (tree.children[k] !== a) others.push(tree.children[k]);
    const key = (s: number) => {
      const beside = cell + (s - v) * stride;
      const x = this.ctx.values[beside];
      return this.ctx.suppressed[beside] === 1 ? -1 : x >= need ? x : 1e300 - x;
    };
    others.sort((x, y) => key(x) - key(y));
    const above = a === v ? [] : this.path(d, tree.parent[v], a);
    return others.slice(0, limit).map((s) => {
      const down = this.path(d, this.descend(d, s), s);
      return { nodes: [...u.nodes, ...above, ...down], signs: [...u.signs, ...above.map(() => 1), ...down.map(() => -1)] };
    });
  }

  /**
   * The +1 side of dimension d's factor, from the leaves up to v: one leaf's path (v itself,
   * or through each of v's largest children), or every node below v in proportion to its
   * value beside the cell (so a total can move down by its whole value, spread over parts
   * too small to carry the move alone).
   */
  private upSides(cell: number, d: number, v: number): Factor[] {
    const tree = this.ctx.shape.dims[d];
    const out: Factor[] = this.leavesUnder(d, v).slice(0, 2).map((u) => {
      const nodes = this.path(d, u, v);
      return { nodes, signs: nodes.map(() => 1) };
    });
    const total = this.ctx.values[cell];
    if (tree.childStart[v + 1] === tree.childStart[v] || !(total > 0)) return out;
    const nodes: number[] = [];
    const signs: number[] = [];
    const stack = [v];
    while (stack.length > 0) {
      const x = stack.pop() as number;
      const share = this.ctx.values[cell + (x - v) * this.ctx.shape.strides[d]] / total;
      if (!(share > 0)) continue;
      nodes.push(x);
      signs.push(share);
      for (let k = tree.childStart[x]; k < tree.childStart[x + 1]; k++) stack.push(tree.children[k]);
    }
    out.push({ nodes, signs });
    return out;
  }

  /** Leaves to start u from: v itself, or one per child of v (largest first), each through its largest children. */
  private leavesUnder(d: number, v: number): number[] {
    const tree = this.ctx.shape.dims[d];
    if (tree.childStart[v + 1] === tree.childStart[v]) return [v];
    const children = Array.from(tree.children.subarray(tree.childStart[v], tree.childStart[v + 1]));
    children.sort((a, b) => this.marginal[d][b] - this.marginal[d][a]);
    return children.map((c) => this.descend(d, c));
  }

  /** The leaf reached from v by always taking the largest child. */
  private descend(d: number, v: number): number {
    const tree = this.ctx.shape.dims[d];
    const m = this.marginal[d];
    while (tree.childStart[v + 1] > tree.childStart[v]) {
      let next = tree.children[tree.childStart[v]];
      for (let k = tree.childStart[v] + 1; k < tree.childStart[v + 1]; k++) if (m[tree.children[k]] > m[next]) next = tree.children[k];
      v = next;
    }
    return v;
  }

  /** Nodes from `from` up to its ancestor `to`, both included. */
  private path(d: number, from: number, to: number): number[] {
    const parent = this.ctx.shape.dims[d].parent;
    const out = [from];
    for (let v = from; v !== to; out.push(v)) v = parent[v];
    return out;
  }

  /** Evaluate every combination of the factors; the cheapest feasible box (stops at one that costs nothing). */
  private best(options: readonly Factor[][], strides: readonly number[], up: number, down: number): Box | null {
    const { values, suppressed, locked, weights } = this.ctx;
    const D = options.length;
    let room = 1;
    for (const list of options) room *= list.reduce((m, f) => Math.max(m, f.nodes.length), 1);
    const cells = new Int32Array(room);
    const signs = new Float64Array(room);
    const pick = new Int32Array(D);
    let best: Box | null = null;
    let bestCost = Infinity;
    for (;;) {
      // The box of this pick: the product of its factors' nodes.
      let size = 1;
      cells[0] = 0;
      signs[0] = 1;
      for (let d = 0; d < D; d++) {
        const f = options[d][pick[d]];
        const stride = strides[d];
        const count = size;
        for (let k = f.nodes.length - 1; k >= 0; k--) {
          const dc = f.nodes[k] * stride;
          const g = f.signs[k];
          for (let i = 0; i < count; i++) {
            const j = k === 0 ? i : size++;
            cells[j] = cells[i] + dc;
            signs[j] = signs[i] * g;
          }
        }
      }
      let cost = 0;
      let ok = true;
      for (let i = 0; i < size; i++) {
        const c = cells[i];
        // Going down: weight < 0 under the up move, weight > 0 under the down move.
        const g = signs[i];
        const need = g < 0 ? -g * up : g * down;
        if (locked[c] === 1 || values[c] < need - 1e-9 * Math.max(1, need)) { ok = false; break; }
        if (suppressed[c] === 0) {
          cost += weights[c] + 1e-9 * values[c];
          if (cost >= bestCost) { ok = false; break; }
        }
      }
      if (ok) {
        bestCost = cost;
        best = { cells: cells.slice(0, size), signs: signs.slice(0, size), cost };
        if (cost === 0) return best;
      }
      let d = D - 1;
      while (d >= 0 && ++pick[d] === options[d].length) { pick[d] = 0; d--; }
      if (d < 0) break;
    }
    return best;
  }
}

function coordinateOf(cell: number, shape: TableShape, d: number): number {
  return Math.floor(cell / shape.strides[d]) % shape.dims[d].size;
}

/** Halve the longest candidate lists until their product fits the budget. */
function trim(options: Factor[][], budget: number): Factor[][] {
  for (;;) {
    let product = 1;
    let longest = 0;
    for (let d = 0; d < options.length; d++) {
      product *= options[d].length;
      if (options[d].length > options[longest].length) longest = d;
    }
    if (product <= budget || options[longest].length === 1) return options;
    options[longest] = options[longest].slice(0, Math.max(1, Math.floor(options[longest].length / 2)));
  }
}
