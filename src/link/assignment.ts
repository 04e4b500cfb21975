/**
 * Constrained union-find: clusters of records (persons) built from links taken strongest first,
 * where two records of a source that holds each person at most once never share a cluster.
 *
 * Every cluster root carries a bitmask of the constrained sources it already contains; a link
 * is accepted when the two clusters' masks do not overlap. For two unique sources this is greedy
 * one-to-one assignment by weight; for N sources it is the person spine. Because links are taken
 * in descending weight, accepting only links above a threshold gives the same clusters as
 * stopping there: the threshold can be chosen after assignment.
 *
 * ```
 * parent  Int32Array(records)   parent[x] === x for a root (path halving on find)
 * mask    Uint32Array(records)  at roots: bit s set when the cluster holds a record of source s
 * ```
 */

export const Union = { Rejected: 0, Merged: 1, Already: 2 } as const;
export type UnionOutcome = (typeof Union)[keyof typeof Union];

export class ConstrainedUnionFind {
  private readonly parent: Int32Array;
  private readonly rank: Uint8Array;
  private readonly mask: Uint32Array;

  /**
   * `offsets[s]..offsets[s+1]` are source s's records in the global numbering; `constrained[s]`
   * marks sources whose records must never share a cluster (at most 32 sources).
   */
  constructor(readonly offsets: Int32Array, constrained: readonly boolean[]) {
    const total = offsets[offsets.length - 1];
    this.parent = new Int32Array(total);
    this.rank = new Uint8Array(total);
    this.mask = new Uint32Array(total);
    for (let s = 0; s + 1 < offsets.length; s++) {
      const bit = constrained[s] ? (1 << s) >>> 0 : 0;
      for (let x = offsets[s]; x < offsets[s + 1]; x++) { this.parent[x] = x; this.mask[x] = bit; }
    }
  }

  find(x: number): number {
    const parent = this.parent;
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  }

  /** Links x and y when their clusters do not both hold a record of the same constrained source. */
  union(x: number, y: number): UnionOutcome {
    let rx = this.find(x);
    let ry = this.find(y);
    if (rx === ry) return Union.Already;
    if ((this.mask[rx] & this.mask[ry]) !== 0) return Union.Rejected;
    if (this.rank[rx] < this.rank[ry]) { const t = rx; rx = ry; ry = t; }
    this.parent[ry] = rx;
    this.mask[rx] |= this.mask[ry];
    if (this.rank[rx] === this.rank[ry]) this.rank[rx]++;
    return Union.Merged;
  }

  /** Dense cluster ids 0.. in order of each cluster's first record; returns [ids, count]. */
  clusterIds(): { ids: Int32Array; count: number } {
    const total = this.parent.length;
    const ids = new Int32Array(total);
    const byRoot = new Int32Array(total).fill(-1);
    let count = 0;
    for (let x = 0; x < total; x++) {
      const r = this.find(x);
      if (byRoot[r] < 0) byRoot[r] = count++;
      ids[x] = byRoot[r];
    }
    return { ids, count };
  }
}
