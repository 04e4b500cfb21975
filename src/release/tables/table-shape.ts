/**
 * The cells of a table: the Cartesian product of its dimensions' nodes, leaves, subtotals
 * and totals alike, numbered in mixed radix (the last dimension varies fastest):
 *
 *   cell = node_0 * stride_0 + node_1 * stride_1 + ... + node_{d-1}      (stride_{d-1} = 1)
 *
 * so the grand total is the cell whose every coordinate is its dimension's root.
 */
import type { DimensionTree } from './dimension-tree.js';

export interface TableShape {
  readonly dims: readonly DimensionTree[];
  readonly strides: Int32Array;
  readonly cells: number;
}

export function tableShape(dims: readonly DimensionTree[]): TableShape {
  if (dims.length === 0) throw new RangeError('a table needs at least one dimension');
  const strides = new Int32Array(dims.length);
  let cells = 1;
  for (let d = dims.length - 1; d >= 0; d--) {
    strides[d] = cells;
    cells *= dims[d].size;
  }
  if (cells > 2 ** 31 - 1) throw new RangeError(`a table of ${cells} cells is too large`);
  return { dims, strides, cells };
}

/** The node of `cell` in dimension d. */
export function coordinate(shape: TableShape, cell: number, d: number): number {
  return Math.floor(cell / shape.strides[d]) % shape.dims[d].size;
}

/**
 * Every additive constraint of the table, in compressed rows: row r's first entry is a total
 * cell and the rest its parts (total = sum of parts), one row per dimension, internal node
 * of that dimension, and combination of the other dimensions' nodes.
 */
export interface Constraints {
  readonly rowStart: Int32Array;
  readonly entries: Int32Array;
}

export function tableConstraints(shape: TableShape): Constraints {
  const { dims, strides, cells } = shape;
  let rows = 0;
  let nnz = 0;
  dims.forEach((tree, d) => {
    const others = cells / tree.size;
    for (let v = 0; v < tree.size; v++) {
      const k = tree.childStart[v + 1] - tree.childStart[v];
      if (k === 0) continue;
      rows += others;
      nnz += others * (k + 1);
    }
  });
  const rowStart = new Int32Array(rows + 1);
  const entries = new Int32Array(nnz);
  let r = 0;
  let e = 0;
  dims.forEach((tree, d) => {
    const stride = strides[d];
    for (let cell = 0; cell < cells; cell++) {
      const v = Math.floor(cell / stride) % tree.size;
      const from = tree.childStart[v];
      const to = tree.childStart[v + 1];
      if (from === to) continue;
      const base = cell - v * stride;
      entries[e++] = cell;
      for (let c = from; c < to; c++) entries[e++] = base + tree.children[c] * stride;
      rowStart[++r] = e;
    }
  });
  return { rowStart, entries };
}
