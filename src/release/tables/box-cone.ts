/**
 * Spread factors of the hypercube search (box-search.ts): a move of a total shared out over
 * its parts in proportion to their values, over several dimensions at once. A product of
 * one-dimensional shares does not match the table (the share of a municipality times the share
 * of a sex is not the share of that municipality's women), so a total moving down by more than
 * its small parts hold needs the shares of the cells themselves: the joint factor.
 *
 * The cone of a cell p along the dimensions J where its node is internal: every cell below p
 * along J (p's other coordinates kept), with share a(x) / a(p), and, with `ancestors`, every
 * ancestor of p's node along J at the share of p's node there (a single up to the root: the
 * parts' moves carried up). Moving p down by L <= a(p) moves each cell x down by L a(x) / a(p)
 * <= a(x), and an ancestor by no more than the cell below it that it contains: the scaled cone
 * is feasible for any L up to the cell's value, which is what makes it the last resort of the
 * search (a few cells the pairs and one-dimensional spreads cannot protect at 500k persons).
 */
import type { TableShape } from './table-shape.js';

/** One dimension's factor (or a joint one over several): nodes (offsets) with their weight. */
export interface Factor {
  readonly nodes: readonly number[];
  readonly signs: readonly number[];
}

/**
 * Instead of the ancestors along dimension d, the path from a leaf up to a sibling of the
 * cell's node there, moving the other way: the cone's persons moved to the sibling, so the
 * totals above the two (a province, the nation) stay published.
 */
export interface Partner {
  readonly d: number;
  readonly nodes: readonly number[];
}

/**
 * The joint factor of `cell` over `dims`: node offsets relative to the cell with its `dims`
 * coordinates at 0, or null if the cell is empty or the factor would span more than `limit`
 * cells. Without `ancestors` every dimension in `dims` must be at its root.
 */
export function jointSpread(
  shape: TableShape, values: Float64Array, cell: number, dims: readonly number[], ancestors: boolean, limit: number, partner?: Partner,
): Factor | null {
  const total = values[cell];
  if (!(total > 0)) return null;
  // Per dimension: the nodes of the factor, and the node whose value gives each one's share.
  const lists = dims.map((d) => {
    const tree = shape.dims[d];
    const v = Math.floor(cell / shape.strides[d]) % tree.size;
    const nodes: number[] = [];
    const stack = [v];
    while (stack.length > 0) {
      const x = stack.pop() as number;
      nodes.push(x);
      for (let k = tree.childStart[x]; k < tree.childStart[x + 1]; k++) stack.push(tree.children[k]);
    }
    const below = nodes.length;
    if (partner?.d === d) nodes.push(...partner.nodes);
    else if (ancestors) for (let a = tree.parent[v]; a >= 0; a = tree.parent[a]) nodes.push(a);
    return { d, v, nodes, below, flip: partner?.d === d };
  });
  let count = 1;
  for (const list of lists) count *= list.nodes.length;
  if (count > limit) return null;
  const base = lists.reduce((c, { d, v }) => c - v * shape.strides[d], cell);
  const nodes: number[] = [];
  const signs: number[] = [];
  for (let i = 0; i < count; i++) {
    let rest = i;
    let offset = 0;
    let source = 0;
    let sign = 1;
    for (const { d, v, nodes: list, below, flip } of lists) {
      const k = rest % list.length;
      rest = Math.floor(rest / list.length);
      offset += list[k] * shape.strides[d];
      source += (k < below ? list[k] : v) * shape.strides[d];
      if (flip && k >= below) sign = -1;
    }
    const share = values[base + source] / total;
    if (!(share > 0)) continue;
    nodes.push(offset);
    signs.push(sign * share);
  }
  return { nodes, signs };
}
