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
import type { PairList } from './blocking.js';
import type { DeterministicOutcome } from './deterministic.js';
import type { LinkFrame } from './link-frame.js';
import type { LinkSettings } from './link-settings.js';
import type { SpineLinks } from './spine-links.js';
import { chooseThreshold, type ThresholdChoice } from './threshold.js';
import { DECISION_MATCH, DECISION_NON_MATCH, type ClericalDecisions } from './clerical-decisions.js';

export const Union = { Rejected: 0, Merged: 1, Already: 2 } as const;
export type UnionOutcome = (typeof Union)[keyof typeof Union];

export class ConstrainedUnionFind {
  private readonly parent: Int32Array;
  private readonly rank: Uint8Array;
  private readonly mask: Uint32Array;
  /** Cannot-link constraints (clerical non-matches): at each root, the records it may never join. */
  private forbidden: Map<number, number[]> | null = null;

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
    if (this.forbidden !== null && this.forbids(rx, ry)) return Union.Rejected;
    if (this.rank[rx] < this.rank[ry]) { const t = rx; rx = ry; ry = t; }
    this.parent[ry] = rx;
    this.mask[rx] |= this.mask[ry];
    this.moveForbidden(ry, rx);
    if (this.rank[rx] === this.rank[ry]) this.rank[rx]++;
    return Union.Merged;
  }

  /**
   * x and y may never share a cluster from now on (a clerical non-match). Stored at both roots,
   * so a union checks only the shorter of its two lists. False when they already share one.
   */
  forbid(x: number, y: number): boolean {
    const rx = this.find(x);
    const ry = this.find(y);
    if (rx === ry) return false;
    this.forbidden ??= new Map();
    for (const [root, other] of [[rx, y], [ry, x]]) {
      const list = this.forbidden.get(root);
      if (list === undefined) this.forbidden.set(root, [other]);
      else list.push(other);
    }
    return true;
  }

  private forbids(rx: number, ry: number): boolean {
    const a = this.forbidden!.get(rx);
    const b = this.forbidden!.get(ry);
    if (a === undefined || b === undefined) return false;
    const [list, other] = a.length <= b.length ? [a, ry] : [b, rx];
    for (const record of list) if (this.find(record) === other) return true;
    return false;
  }

  private moveForbidden(from: number, to: number): void {
    const moved = this.forbidden?.get(from);
    if (moved === undefined) return;
    this.forbidden!.delete(from);
    const into = this.forbidden!.get(to);
    if (into === undefined) this.forbidden!.set(to, moved);
    else for (const r of moved) into.push(r);
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

/** Candidate pairs at or above the probability floor; `order` lists them by weight descending. */
export interface Edges {
  left: Int32Array; right: Int32Array; a: Int32Array; b: Int32Array; weight: Float64Array; order: Int32Array;
}

/** The assignment stage's result: the links it kept and the persons they make with the deterministic pass's. */
export interface Assigned {
  readonly edges: Edges;
  /** Edges assignment accepted before the threshold, and those it rejected (a unique source's record taken). */
  readonly accepted: number;
  readonly rejected: number;
  readonly choice: ThresholdChoice;
  /** The edges kept: accepted and at or above the threshold, strongest first. */
  readonly kept: readonly number[];
  /** The persons: the deterministic pass's, merged by the kept edges. */
  readonly persons: ConstrainedUnionFind;
  /** Clerical decisions that could not take effect (clerical.ts `applyDecisions`). */
  readonly decisions: { readonly refusedMatches: number; readonly overriddenNonMatches: number };
}

/**
 * The assignment stage of a run: candidate pairs strongest first into the persons of the
 * deterministic pass, a record of a unique source taken at most once; then the threshold.
 */
export function assignStage(
  frame: LinkFrame, settings: LinkSettings, det: DeterministicOutcome | null, lists: readonly PairList[], weights: readonly Float64Array[],
  prior?: SpineLinks['prior'],
): Assigned {
  const { offsets, constrained } = frame;
  const floorWeight = Math.log2(settings.probabilityFloor / (1 - settings.probabilityFloor));
  const edges = collectEdges(lists, weights, floorWeight);
  // The persons of the deterministic pass, as the union-find the probabilistic links extend.
  const uf = new ConstrainedUnionFind(offsets, constrained);
  if (det !== null) for (let g = 0; g < frame.totalRecords; g++) if (det.rep[g] !== g) uf.union(det.rep[g], g);
  // Cannot-links before the replayed spine, so a decided non-match stays apart in the next run.
  applyDecisions(uf, offsets, settings.decisions);
  replayPrior(prior, uf);
  const acceptedIdx: number[] = [];
  let rejected = 0;
  for (let i = 0; i < edges.order.length; i++) {
    const e = edges.order[i];
    const outcome = uf.union(offsets[edges.left[e]] + edges.a[e], offsets[edges.right[e]] + edges.b[e]);
    if (outcome === Union.Rejected) { rejected++; continue; }
    acceptedIdx.push(e);
  }
  // Thresholding after assignment equals assigning with the threshold, except for merges: redo
  // the union-find with only the links that pass, so clusters never hold sub-threshold links.
  const acceptedProb = Float64Array.from(acceptedIdx, (e) => 1 / (1 + Math.pow(2, -edges.weight[e])));
  const choice = chooseThreshold(acceptedProb, settings.threshold, settings.probabilityFloor);
  const persons = new ConstrainedUnionFind(offsets, constrained);
  replayDeterministic(det, persons, offsets);
  const decisions = applyDecisions(persons, offsets, settings.decisions);
  replayPrior(prior, persons);
  const kept: number[] = [];
  for (let i = 0; i < acceptedIdx.length; i++) {
    if (acceptedProb[i] < choice.threshold) continue;
    const e = acceptedIdx[i];
    if (persons.union(offsets[edges.left[e]] + edges.a[e], offsets[edges.right[e]] + edges.b[e]) !== Union.Rejected) kept.push(e);
  }
  return { edges, accepted: acceptedIdx.length, rejected, choice, kept, persons, decisions };
}

/** Candidate pairs at or above the floor, ordered by weight descending (ties: by record). */
function collectEdges(lists: readonly PairList[], weights: readonly Float64Array[], floor: number): Edges {
  let n = 0;
  for (const w of weights) for (let p = 0; p < w.length; p++) if (w[p] >= floor) n++;
  const e: Edges = {
    left: new Int32Array(n), right: new Int32Array(n), a: new Int32Array(n), b: new Int32Array(n),
    weight: new Float64Array(n), order: new Int32Array(n),
  };
  let k = 0;
  lists.forEach((list, i) => {
    const w = weights[i];
    for (let p = 0; p < list.length; p++) {
      if (w[p] < floor) continue;
      e.left[k] = list.left; e.right[k] = list.right; e.a[k] = list.a[p]; e.b[k] = list.b[p]; e.weight[k] = w[p]; e.order[k] = k; k++;
    }
  });
  // Ties by record, not by the order blocking produced the pairs in: the links do not depend
  // on how candidates were generated.
  e.order.sort((x, y) => e.weight[y] - e.weight[x] || e.left[x] - e.left[y] || e.a[x] - e.a[y] || e.right[x] - e.right[y] || e.b[x] - e.b[y]);
  return e;
}

/** The deterministic pass's merges and links, into a fresh union-find. */
function replayDeterministic(det: DeterministicOutcome | null, uf: ConstrainedUnionFind, offsets: Int32Array): void {
  if (det !== null) for (let p = 0; p < det.merges.length; p++) uf.union(det.merges.a[p], det.merges.b[p]);
  for (const list of det?.lists ?? []) {
    for (let p = 0; p < list.length; p++) uf.union(offsets[list.left] + list.a[p], offsets[list.right] + list.b[p]);
  }
}

/** An incremental run's spine: the previous run's links between known records (spine-links.ts). */
function replayPrior(prior: SpineLinks['prior'] | undefined, uf: ConstrainedUnionFind): void {
  if (prior !== undefined) for (let p = 0; p < prior.length; p++) uf.union(prior.a[p], prior.b[p]);
}

/**
 * Puts the decisions into a union-find that holds the deterministic pass: cannot-links first,
 * then must-links. Returns the must-links refused (a unique source's record taken, or a
 * cannot-link in the way) and the cannot-links the deterministic pass overrides.
 */
export function applyDecisions(uf: ConstrainedUnionFind, offsets: Int32Array, decisions: ClericalDecisions | null): { refusedMatches: number; overriddenNonMatches: number } {
  let refusedMatches = 0; let overriddenNonMatches = 0;
  if (decisions === null) return { refusedMatches, overriddenNonMatches };
  const n = decisions.verdict.length;
  const x = (i: number) => offsets[decisions.leftSource[i]] + decisions.leftRecord[i];
  const y = (i: number) => offsets[decisions.rightSource[i]] + decisions.rightRecord[i];
  for (let i = 0; i < n; i++) if (decisions.verdict[i] === DECISION_NON_MATCH && !uf.forbid(x(i), y(i))) overriddenNonMatches++;
  for (let i = 0; i < n; i++) if (decisions.verdict[i] === DECISION_MATCH && uf.union(x(i), y(i)) === Union.Rejected) refusedMatches++;
  return { refusedMatches, overriddenNonMatches };
}
