/**
 * Building a table's cells from per-record typed arrays (no object per record).
 *
 * Contributions are aggregated per contributor before any rule (sdc.md, Tables): one
 * employer's many records, or one person's several records, are one contributor of every
 * cell they fall in, with the sum of their values. Records are visited grouped by contributor
 * (a counting sort over the dense contributor codes). A contributor in one leaf cell (the
 * common case) adds there once, and one pass per dimension carries the leaves up to every
 * total; a contributor spread over several leaf cells is added, once per cell, to every cell
 * its records count in.
 */
import type { TableShape } from './table-shape.js';

export interface TableInput {
  /** Per dimension, per record, the leaf node (-1: the record is left out, e.g. a null). */
  readonly leaves: readonly Int32Array[];
  /** Per record, the contributor (a person or unit) code, 0 .. contributors-1. */
  readonly contributor: Int32Array;
  readonly contributors: number;
  /** Per record, the value summed (magnitude tables); null: every record counts 1. */
  readonly value: Float64Array | null;
}

export interface CellStats {
  /** Per cell, the number of distinct contributors. */
  readonly contributors: Int32Array;
  /** Per cell, the sum of the contributions. */
  readonly total: Float64Array;
  /** Per cell, its K largest contributions in descending order (cell * K + i), 0-padded. */
  readonly top: Float64Array;
  readonly topK: number;
  /** Records left out because a dimension had no leaf for them. */
  readonly recordsLeftOut: number;
  /** Contributors whose records fall in more than one leaf cell (a person in two quarters). */
  readonly contributorsSplit: number;
}

export function buildCells(shape: TableShape, input: TableInput, topK: number): CellStats {
  const { dims, cells } = shape;
  const n = input.contributor.length;
  for (const column of input.leaves) if (column.length !== n) throw new RangeError('every dimension needs one leaf per record');
  if (input.value !== null && input.value.length !== n) throw new RangeError('the value column needs one value per record');
  const order = byContributor(input.contributor, input.contributors);
  const out = { contributors: new Int32Array(cells), total: new Float64Array(cells), top: new Float64Array(cells * topK) };
  const { split, recordsLeftOut } = leafPass(shape, input, order, out, topK);
  for (let d = 0; d < dims.length; d++) propagate(shape, d, out, topK);
  if (split.length > 0) spreadSplit(shape, input, order, split, out, topK);
  return { ...out, topK, recordsLeftOut, contributorsSplit: split.length };
}

interface Accumulators {
  readonly contributors: Int32Array;
  readonly total: Float64Array;
  readonly top: Float64Array;
}

/**
 * The common case, cheaply: a contributor whose records all fall in one leaf cell adds to that
 * leaf cell only; `propagate` then carries the leaves up to every total (exact, because such
 * contributors are disjoint across leaves). Contributors spread over several leaf cells are
 * returned for `spreadSplit`.
 */
function leafPass(shape: TableShape, input: TableInput, order: { start: Int32Array; rows: Int32Array }, out: Accumulators, topK: number) {
  const { strides } = shape;
  const D = shape.dims.length;
  const split: number[] = [];
  let recordsLeftOut = 0;
  for (let c = 0; c < input.contributors; c++) {
    let leafCell = -1;
    let sum = 0;
    let isSplit = false;
    for (let o = order.start[c]; o < order.start[c + 1]; o++) {
      const row = order.rows[o];
      let here = 0;
      for (let d = 0; d < D && here >= 0; d++) {
        const leaf = input.leaves[d][row];
        here = leaf < 0 ? -1 : here + leaf * strides[d];
      }
      if (here < 0) { recordsLeftOut++; continue; }
      if (leafCell >= 0 && here !== leafCell) isSplit = true;
      leafCell = here;
      sum += input.value === null ? 1 : input.value[row];
    }
    if (isSplit) { split.push(c); continue; }
    if (leafCell < 0) continue;
    out.contributors[leafCell]++;
    out.total[leafCell] += sum;
    insertTop(out.top, leafCell * topK, topK, sum);
  }
  return { split, recordsLeftOut };
}

/** Add every cell into its parent along dimension d; children have lower node ids than parents. */
function propagate(shape: TableShape, d: number, out: Accumulators, topK: number): void {
  const tree = shape.dims[d];
  const stride = shape.strides[d];
  const block = stride * tree.size;
  for (let outer = 0; outer < shape.cells; outer += block) {
    for (let v = 0; v < tree.root; v++) {
      const from = outer + v * stride;
      const to = outer + tree.parent[v] * stride;
      for (let i = 0; i < stride; i++) {
        const a = from + i;
        if (out.contributors[a] === 0) continue;
        const b = to + i;
        out.contributors[b] += out.contributors[a];
        out.total[b] += out.total[a];
        for (let k = 0; k < topK; k++) insertTop(out.top, b * topK, topK, out.top[a * topK + k]);
      }
    }
  }
}

/**
 * Contributors whose records fall in several leaf cells: each one's records are spread over
 * every cell they count in (the product of the ancestor chains of their leaf in each
 * dimension) into a sparse accumulator, and only then does each touched cell take the
 * contributor once.
 */
function spreadSplit(
  shape: TableShape, input: TableInput, order: { start: Int32Array; rows: Int32Array }, split: readonly number[], out: Accumulators, topK: number,
): void {
  const { dims, strides, cells } = shape;
  const chains = dims.map((tree, d) => ancestorChains(tree.parent, tree.leaves, tree.depth, strides[d]));
  const acc = new Float64Array(cells);
  const stamp = new Int32Array(cells).fill(-1);
  let touched: Int32Array<ArrayBuffer> = new Int32Array(256);
  const D = dims.length;
  const pos = new Int32Array(D);
  const start = new Int32Array(D);
  const end = new Int32Array(D);
  for (const c of split) {
    let used = 0;
    for (let o = order.start[c]; o < order.start[c + 1]; o++) {
      const row = order.rows[o];
      let skip = false;
      for (let d = 0; d < D; d++) {
        const leaf = input.leaves[d][row];
        if (leaf < 0) { skip = true; break; }
        start[d] = chains[d].start[leaf];
        end[d] = chains[d].start[leaf + 1];
        pos[d] = start[d];
      }
      if (skip) continue; // counted by leafPass
      const v = input.value === null ? 1 : input.value[row];
      // Odometer over the product of the ancestor chains: every cell the record counts in.
      for (;;) {
        let cell = 0;
        for (let d = 0; d < D; d++) cell += chains[d].cells[pos[d]];
        if (stamp[cell] !== c) {
          stamp[cell] = c;
          acc[cell] = 0;
          if (used === touched.length) touched = grow(touched);
          touched[used++] = cell;
        }
        acc[cell] += v;
        let d = D - 1;
        while (d >= 0 && ++pos[d] === end[d]) { pos[d] = start[d]; d--; }
        if (d < 0) break;
      }
    }
    for (let i = 0; i < used; i++) {
      const cell = touched[i];
      const x = acc[cell];
      out.contributors[cell]++;
      out.total[cell] += x;
      insertTop(out.top, cell * topK, topK, x);
    }
  }
}

/** Per leaf, its ancestors from itself to the root, each pre-multiplied by the stride. */
function ancestorChains(parent: Int32Array, leaves: number, depth: Int32Array, stride: number): { start: Int32Array; cells: Int32Array } {
  const start = new Int32Array(leaves + 1);
  for (let l = 0; l < leaves; l++) start[l + 1] = start[l] + depth[l] + 1;
  const cells = new Int32Array(start[leaves]);
  for (let l = 0; l < leaves; l++) {
    let i = start[l];
    for (let v = l; v >= 0; v = parent[v]) cells[i++] = v * stride;
  }
  return { start, cells };
}

function byContributor(contributor: Int32Array, count: number): { start: Int32Array; rows: Int32Array } {
  const start = new Int32Array(count + 1);
  for (let i = 0; i < contributor.length; i++) {
    const c = contributor[i];
    if (c < 0 || c >= count) throw new RangeError(`record ${i} has a contributor code outside 0..${count - 1}`);
    start[c + 1]++;
  }
  for (let c = 0; c < count; c++) start[c + 1] += start[c];
  const fill = start.slice(0, count);
  const rows = new Int32Array(contributor.length);
  for (let i = 0; i < contributor.length; i++) rows[fill[contributor[i]]++] = i;
  return { start, rows };
}

function insertTop(top: Float64Array, base: number, k: number, x: number): void {
  let i = k - 1;
  if (k === 0 || x <= top[base + i]) return;
  while (i > 0 && top[base + i - 1] < x) {
    top[base + i] = top[base + i - 1];
    i--;
  }
  top[base + i] = x;
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
