/**
 * One dimension of an aggregate table as a tree of nodes: the leaves are the released
 * categories (a municipality, an age band), each hierarchy level groups the level below
 * (municipality < district < province < region), and the root is the dimension's total.
 *
 *   node ids:  0 .. leaves-1 | level-1 groups | level-2 groups | ... | root (size - 1)
 *
 * Every internal node's value is the sum of its children's (the additivity that secondary
 * suppression and the attacker's linear programme rest on). The levels are the chain of
 * partitions release/hierarchy.ts builds for key variables, without its top `*` level:
 * the root takes that place.
 */

export interface DimensionLevel {
  /** Per leaf, its group at this level (0 .. groups-1). */
  readonly codeOf: Int32Array;
  readonly labels: readonly string[];
}

export interface DimensionTree {
  readonly name: string;
  readonly leaves: number;
  /** Number of nodes: leaves, groups of every level, and the root. */
  readonly size: number;
  readonly root: number;
  /** Per node, its parent (-1 for the root). */
  readonly parent: Int32Array;
  /** Children of node v are children[childStart[v] .. childStart[v + 1]). */
  readonly childStart: Int32Array;
  readonly children: Int32Array;
  /** Per node, its distance from the root (root 0). */
  readonly depth: Int32Array;
  readonly labels: readonly string[];
}

export const TOTAL_LABEL = 'Total';

/**
 * The tree of one dimension. Each level must be a partition of the level below (a leaf's
 * group at level h+1 is decided by its group at level h); otherwise the table would not be
 * additive along the hierarchy.
 */
export function dimensionTree(name: string, leafLabels: readonly string[], levels: readonly DimensionLevel[] = []): DimensionTree {
  const leaves = leafLabels.length;
  const offsets = [0, leaves];
  for (const level of levels) offsets.push(offsets[offsets.length - 1] + level.labels.length);
  const size = offsets[offsets.length - 1] + 1;
  const root = size - 1;
  const parent = new Int32Array(size).fill(-2);
  parent[root] = -1;
  for (let leaf = 0; leaf < leaves; leaf++) {
    let node = leaf;
    for (let h = 0; h < levels.length; h++) {
      const up = offsets[h + 1] + levels[h].codeOf[leaf];
      if (parent[node] !== -2 && parent[node] !== up) {
        throw new RangeError(`dimension ${name}: level ${h + 1} is not a grouping of the level below`);
      }
      parent[node] = up;
      node = up;
    }
    parent[node] = root;
  }
  for (let v = 0; v < root; v++) if (parent[v] === -2) throw new RangeError(`dimension ${name}: a group at some level covers no leaf`);
  const childStart = new Int32Array(size + 1);
  for (let v = 0; v < root; v++) childStart[parent[v] + 1]++;
  for (let v = 0; v < size; v++) childStart[v + 1] += childStart[v];
  const fill = childStart.slice(0, size);
  const children = new Int32Array(size - 1);
  for (let v = 0; v < root; v++) children[fill[parent[v]]++] = v;
  const depth = new Int32Array(size);
  for (let v = root - 1; v >= 0; v--) depth[v] = depth[parent[v]] + 1; // parents have higher ids
  return {
    name, leaves, size, root, parent, childStart, children, depth,
    labels: [...leafLabels, ...levels.flatMap((l) => l.labels), TOTAL_LABEL],
  };
}

export function isInternal(tree: DimensionTree, node: number): boolean {
  return tree.childStart[node + 1] > tree.childStart[node];
}
