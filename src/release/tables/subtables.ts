/**
 * The modular decomposition of a hierarchical table (tau-Argus's HiTaS, de Wolf 2002): one
 * non-hierarchical subtable per choice of an internal node in every dimension, holding that
 * node and its direct children in each dimension (so a district with its municipalities,
 * crossed with every age band and its total, ...).
 *
 * A cell belongs to exactly one subtable as its own: per dimension the parent of its node
 * (the root stays the root). In the subtables one level down it reappears as a margin
 * ("margin from above"): its value there is fixed by the decision already taken higher up.
 * Subtables are processed top-down (by the summed depth of their parent nodes), so every
 * margin from above is decided before the subtable that sums it is reached.
 */
import { isInternal } from './dimension-tree.js';
import { coordinate, type TableShape } from './table-shape.js';

export interface Subtable {
  /** Position in the top-down order. */
  readonly index: number;
  /** Per dimension, the internal node whose children the subtable spans. */
  readonly parents: Int32Array;
  /** Global ids of its cells, local id = position. */
  readonly cells: Int32Array;
  /** Per local cell, 1 if it is a margin from above (its own subtable is higher up). */
  readonly marginAbove: Uint8Array;
  /** Local additive constraints: row r's first entry the total, the rest its parts. */
  readonly rowStart: Int32Array;
  readonly entries: Int32Array;
}

export interface Decomposition {
  readonly subtables: readonly Subtable[];
  /** Position in `subtables` by the parents tuple (`"p0,p1,..."`). */
  readonly byParents: ReadonlyMap<string, number>;
}

export function decompose(shape: TableShape): Decomposition {
  const internal = shape.dims.map((tree) => {
    const nodes: number[] = [];
    for (let v = 0; v < tree.size; v++) if (isInternal(tree, v)) nodes.push(v);
    return nodes;
  });
  const tuples: Int32Array[] = [];
  const pick = new Int32Array(shape.dims.length);
  const walk = (d: number): void => {
    if (d === shape.dims.length) { tuples.push(pick.slice()); return; }
    for (const v of internal[d]) { pick[d] = v; walk(d + 1); }
  };
  walk(0);
  const depthSum = (t: Int32Array): number => t.reduce((s, v, d) => s + shape.dims[d].depth[v], 0);
  tuples.sort((a, b) => depthSum(a) - depthSum(b));
  const subtables = tuples.map((parents, index) => subtable(shape, parents, index));
  const byParents = new Map<string, number>();
  subtables.forEach((s) => byParents.set(s.parents.join(','), s.index));
  return { subtables, byParents };
}

function subtable(shape: TableShape, parents: Int32Array, index: number): Subtable {
  const D = shape.dims.length;
  const lists = shape.dims.map((tree, d) => {
    const p = parents[d];
    return [p, ...tree.children.subarray(tree.childStart[p], tree.childStart[p + 1])];
  });
  const localStride = new Int32Array(D);
  let size = 1;
  for (let d = D - 1; d >= 0; d--) { localStride[d] = size; size *= lists[d].length; }
  const cells = new Int32Array(size);
  const marginAbove = new Uint8Array(size);
  for (let local = 0; local < size; local++) {
    let cell = 0;
    for (let d = 0; d < D; d++) {
      const i = Math.floor(local / localStride[d]) % lists[d].length;
      cell += lists[d][i] * shape.strides[d];
      if (i === 0 && parents[d] !== shape.dims[d].root) marginAbove[local] = 1;
    }
    cells[local] = cell;
  }
  const rowStart: number[] = [0];
  const entries: number[] = [];
  for (let d = 0; d < D; d++) {
    const k = lists[d].length;
    for (let local = 0; local < size; local++) {
      if (Math.floor(local / localStride[d]) % k !== 0) continue;
      entries.push(local);
      for (let i = 1; i < k; i++) entries.push(local + i * localStride[d]);
      rowStart.push(entries.length);
    }
  }
  return { index, parents, cells, marginAbove, rowStart: Int32Array.from(rowStart), entries: Int32Array.from(entries) };
}

/** The subtables one level down in which `cell` is a margin from above. */
export function subtablesBelow(shape: TableShape, decomposition: Decomposition, cell: number): number[] {
  const options = shape.dims.map((tree, d) => {
    const v = coordinate(shape, cell, d);
    if (v === tree.root) return [v];
    return isInternal(tree, v) ? [tree.parent[v], v] : [tree.parent[v]];
  });
  const out: number[] = [];
  const pick: number[] = [];
  const walk = (d: number, margin: boolean): void => {
    if (d === options.length) {
      if (!margin) return;
      const s = decomposition.byParents.get(pick.join(','));
      if (s !== undefined) out.push(s);
      return;
    }
    options[d].forEach((v, i) => { pick[d] = v; walk(d + 1, margin || i === 1); });
  };
  walk(0, false);
  return out;
}
