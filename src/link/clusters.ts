/**
 * The last stage of a run: the accepted links as one table in global record numbering, and
 * each record's cluster (person). The deterministic links come first, in the pass's order,
 * then the probabilistic ones strongest first.
 */
import type { Assigned } from './assignment.js';
import type { DeterministicOutcome } from './deterministic.js';
import { LINK_DETERMINISTIC, LINK_PROBABILISTIC } from './link-method.js';

/** Accepted links in global record numbering (`offsets[s] + record`), left source first. */
export interface LinkTable {
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly probability: Float64Array;
  /** Match weight (log2 Bayes factor incl. prior); NaN for deterministic links. */
  readonly weight: Float64Array;
  /** A code of link-method.ts: LINK_DETERMINISTIC or LINK_PROBABILISTIC. */
  readonly method: Uint8Array;
  readonly length: number;
}

/** The links and persons of a run. */
export interface Linked {
  readonly links: LinkTable;
  /** Cluster (person) id per global record, 0.. in order of first record. */
  readonly clusters: Int32Array;
  readonly clusterCount: number;
}

/** The clusters stage of a run: the deterministic links, the kept probabilistic ones, the persons. */
export function linksAndClusters(offsets: Int32Array, det: DeterministicOutcome | null, assigned: Assigned): Linked {
  const { edges, kept } = assigned;
  const links = linkTable(offsets, det, kept.length);
  let k = det?.links ?? 0;
  for (const e of kept) {
    links.left[k] = offsets[edges.left[e]] + edges.a[e];
    links.right[k] = offsets[edges.right[e]] + edges.b[e];
    links.weight[k] = edges.weight[e];
    links.probability[k] = 1 / (1 + Math.pow(2, -edges.weight[e]));
    links.method[k] = LINK_PROBABILISTIC;
    k++;
  }
  const { ids: clusters, count: clusterCount } = assigned.persons.clusterIds();
  return { links, clusters, clusterCount };
}

/** A link table holding the deterministic links, with room for `more` links after them. */
export function linkTable(offsets: Int32Array, det: DeterministicOutcome | null, more: number): LinkTable {
  const n = (det?.links ?? 0) + more;
  const links = {
    left: new Int32Array(n), right: new Int32Array(n), probability: new Float64Array(n),
    weight: new Float64Array(n), method: new Uint8Array(n), length: n,
  };
  let k = 0;
  for (const list of det?.lists ?? []) {
    const l = offsets[list.left]; const r = offsets[list.right];
    for (let p = 0; p < list.length; p++, k++) {
      links.left[k] = l + list.a[p];
      links.right[k] = r + list.b[p];
      links.probability[k] = 1;
      links.weight[k] = Number.NaN;
      links.method[k] = LINK_DETERMINISTIC;
    }
  }
  return links;
}

/** Clusters of one record, and clusters holding records of two or more sources (at most 32). */
export function clusterShapes(offsets: Int32Array, linked: Linked): { singletons: number; multiSource: number } {
  // Per cluster, side by side (one cache line per cluster): its size and a bitmask of the
  // sources it holds.
  const perCluster = new Int32Array(linked.clusterCount * 2);
  for (let s = 0; s + 1 < offsets.length; s++) {
    const bit = 1 << s;
    for (let g = offsets[s]; g < offsets[s + 1]; g++) {
      const c = linked.clusters[g] * 2;
      perCluster[c]++;
      perCluster[c + 1] |= bit;
    }
  }
  let singletons = 0; let multiSource = 0;
  for (let c = 0; c < linked.clusterCount * 2; c += 2) {
    if (perCluster[c] === 1) singletons++;
    const mask = perCluster[c + 1];
    if ((mask & (mask - 1)) !== 0) multiSource++;
  }
  return { singletons, multiSource };
}
