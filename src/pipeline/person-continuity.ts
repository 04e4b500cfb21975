/**
 * Which persistent person each cluster of an incremental job continues (issue 13). Computed in
 * the link worker from the run's clusters and each spine record's previous person id; the main
 * thread then resolves the rest in SQLite (incremental-persons.ts).
 *
 * - A cluster whose spine records all had person P keeps P: a new record linked to a known
 *   person gets that person's id.
 * - A cluster holding the records of two or more previous persons is their **merge**: it keeps
 *   the smallest id (the oldest person) and the change log records which ids merged, on the new
 *   links that joined them.
 * - A previous person whose records now fall in two or more clusters (a superseding delivery
 *   removed the evidence that joined them) is **split**: the cluster with most of its records
 *   (ties: the earliest) keeps the id, the others get fresh ids.
 * - A cluster with no spine record is a new person, resolved as a full job resolves it (by
 *   national-number pseudonym, or by delivery and row).
 *
 * Passes over the records with typed arrays (first previous id per cluster; first cluster per
 * previous id, the ids made dense); only the rare merged or split persons get a further,
 * object-based pass.
 */
import type { LinkResult } from '../link/link-records.js';
import { LINK_DETERMINISTIC } from '../link/link-method.js';
import { densePersons } from './dense-persons.js';
import { pseudonymOrder, type PersonKeys } from './person-ids.js';

export interface Merge {
  /** The cluster, the previous ids it joins (ascending; the first is kept), what joined them. */
  readonly cluster: number;
  readonly persons: number[];
  readonly evidence: string;
}

export interface Split {
  readonly person: number;
  /** The clusters the person's records fall in; the first keeps the id. */
  readonly clusters: number[];
}

export interface Continuity {
  /** Per cluster: the previous id it keeps; NaN for a new person or a part split off. */
  readonly kept: Float64Array;
  /** Clusters split off a previous person: they get fresh ids. */
  readonly fresh: Int32Array;
  readonly merges: readonly Merge[];
  readonly splits: readonly Split[];
}

/**
 * The previous ids whose records fall in two or more clusters. The ids are made dense first
 * (dense-persons.ts: a table indexed by id, as they come from one counter; a sort otherwise),
 * then each keeps its first cluster in a typed array: no hash probe per record.
 */
function personsInTwoClusters(prior: Float64Array, clusters: Int32Array, total: number): Set<number> {
  let n = 0;
  for (let g = 0; g < total; g++) if (!Number.isNaN(prior[g])) n++;
  const ids = new Float64Array(n);
  for (let g = 0, j = 0; g < total; g++) if (!Number.isNaN(prior[g])) ids[j++] = prior[g];
  const { persons, indexOf } = densePersons(ids);
  const first = new Int32Array(persons.length).fill(-1);
  const multi = new Set<number>();
  for (let g = 0, j = 0; g < total; g++) {
    if (Number.isNaN(prior[g])) continue;
    const d = indexOf[j++];
    const c = clusters[g];
    if (first[d] < 0) first[d] = c;
    else if (first[d] !== c) multi.add(prior[g]);
  }
  return multi;
}

/** What a merged cluster's evidence counts: the run's links inside it that touch a new record. */
interface Evidence { deterministic: number; probabilistic: number; strongest: number; via: Set<string> }

/**
 * The evidence of every merged cluster, in one pass over the run's links (a pass per merge
 * would make a national job's thousands of merges quadratic in its links).
 */
function mergeEvidence(result: LinkResult, merged: ReadonlySet<number>, isNew: (g: number) => boolean, label: (g: number) => string): Map<number, Evidence> {
  const out = new Map<number, Evidence>();
  const { links, clusters } = result;
  for (let i = 0; i < links.length; i++) {
    const l = links.left[i]; const r = links.right[i];
    const c = clusters[l];
    if (!merged.has(c) || !(isNew(l) || isNew(r))) continue;
    let e = out.get(c);
    if (e === undefined) out.set(c, (e = { deterministic: 0, probabilistic: 0, strongest: Number.NEGATIVE_INFINITY, via: new Set() }));
    e.via.add(label(isNew(l) ? l : r));
    if (links.method[i] === LINK_DETERMINISTIC) e.deterministic++;
    else { e.probabilistic++; e.strongest = Math.max(e.strongest, links.weight[i]); }
  }
  return out;
}

function evidenceText(e: Evidence | undefined, fields: readonly string[]): string {
  const parts: string[] = [];
  const { deterministic = 0, probabilistic = 0, strongest = 0, via = new Set<string>() } = e ?? {};
  if (deterministic > 0) parts.push(`${deterministic} deterministic link${deterministic > 1 ? 's' : ''} on the national-number pseudonym`);
  if (probabilistic > 0) parts.push(`probabilistic link weight ${strongest.toFixed(1)} (fields: ${fields.join(', ')})${probabilistic > 1 ? ` and ${probabilistic - 1} more` : ''}`);
  return `${parts.join('; ') || 'links of the run'} through new records of ${[...via].sort().join(', ')}`;
}

export interface ContinuityInput {
  readonly result: LinkResult;
  /** Previous person id per global record; NaN for new records. */
  readonly prior: Float64Array;
  readonly newSources: readonly boolean[];
  /** Comparison fields other than the national number, for the evidence. */
  readonly fields: readonly string[];
  readonly deliveries: readonly string[];
}

export function personContinuity(input: ContinuityInput): Continuity {
  const { result, prior } = input;
  const { clusters, clusterCount: C, offsets } = result;
  const total = offsets[offsets.length - 1];
  const firstPrior = new Float64Array(C).fill(Number.NaN);
  const mixed = new Set<number>();
  for (let g = 0; g < total; g++) {
    const p = prior[g];
    if (Number.isNaN(p)) continue;
    const c = clusters[g];
    const f = firstPrior[c];
    if (Number.isNaN(f)) firstPrior[c] = p;
    else if (f !== p) mixed.add(c);
  }
  const splitIds = personsInTwoClusters(prior, clusters, total);
  // Second pass, only for merged clusters and split persons: records per (person, cluster).
  const count = new Map<number, Map<number, number>>();
  for (let g = 0; g < total; g++) {
    const p = prior[g];
    if (Number.isNaN(p) || !(splitIds.has(p) || mixed.has(clusters[g]))) continue;
    let perCluster = count.get(p);
    if (perCluster === undefined) count.set(p, (perCluster = new Map()));
    perCluster.set(clusters[g], (perCluster.get(clusters[g]) ?? 0) + 1);
  }
  const home = new Map<number, number>();
  const splits: Split[] = [];
  for (const p of splitIds) {
    const ranked = [...count.get(p)!].sort((x, y) => y[1] - x[1] || x[0] - y[0]).map(([c]) => c);
    home.set(p, ranked[0]);
    splits.push({ person: p, clusters: ranked });
  }
  const keeps = (p: number, c: number) => !splitIds.has(p) || home.get(p) === c;
  const kept = new Float64Array(C).fill(Number.NaN);
  const fresh: number[] = [];
  for (let c = 0; c < C; c++) {
    const p = firstPrior[c];
    if (Number.isNaN(p) || mixed.has(c)) continue;
    if (keeps(p, c)) kept[c] = p; else fresh.push(c);
  }
  const isNew = (g: number) => Number.isNaN(prior[g]);
  const sourceOf = (g: number) => { let s = 0; while (offsets[s + 1] <= g) s++; return s; };
  // Previous persons per mixed cluster, from the second pass's counts (one pass, not one per cluster).
  const personsIn = new Map<number, number[]>();
  for (const [p, perCluster] of count) {
    for (const c of perCluster.keys()) {
      if (!mixed.has(c) || !keeps(p, c)) continue;
      let list = personsIn.get(c);
      if (list === undefined) personsIn.set(c, (list = []));
      list.push(p);
    }
  }
  const merged = new Set<number>();
  for (const [c, list] of personsIn) if (list.length > 1) merged.add(c);
  const evidence = mergeEvidence(result, merged, isNew, (g) => input.deliveries[sourceOf(g)]);
  const merges: Merge[] = [];
  for (const c of [...mixed].sort((x, y) => x - y)) {
    const persons = (personsIn.get(c) ?? []).sort((x, y) => x - y);
    if (persons.length === 0) { fresh.push(c); continue; }
    kept[c] = persons[0];
    if (persons.length > 1) merges.push({ cluster: c, persons, evidence: evidenceText(evidence.get(c), input.fields) });
  }
  splits.sort((x, y) => x.person - y.person);
  return { kept, fresh: Int32Array.from(fresh.sort((x, y) => x - y)), merges, splits };
}

/**
 * The person keys of the clusters that `resolve` selects only (new persons: no spine record),
 * as personKeys would have made them for those clusters alone.
 */
export function restrictKeys(keys: PersonKeys, resolve: (cluster: number) => boolean): PersonKeys {
  const k = keys.keyedClusters.length;
  const remap = new Int32Array(k).fill(-1);
  let n = 0;
  for (let i = 0; i < k; i++) if (resolve(keys.keyedClusters[i])) remap[i] = n++;
  const keyedPseudonyms = new Uint8Array(n * 32);
  const keyedClusters = new Int32Array(n);
  const keyedFirst = new Int32Array(n);
  // The first kept entry of each pseudonym stands for the rest (its first entry may be dropped).
  const firstKept = new Int32Array(k).fill(-1);
  for (let i = 0; i < k; i++) {
    const j = remap[i];
    if (j < 0) continue;
    keyedPseudonyms.set(keys.keyedPseudonyms.subarray(i * 32, i * 32 + 32), j * 32);
    keyedClusters[j] = keys.keyedClusters[i];
    const f = keys.keyedFirst[i];
    if (firstKept[f] < 0) firstKept[f] = j;
    keyedFirst[j] = firstKept[f];
  }
  const unkeyedClusters = keys.unkeyedClusters.map((cs) => cs.filter((c) => resolve(c)));
  const unkeyedRows = keys.unkeyedRows.map((rows, s) => rows.filter((_, j) => resolve(keys.unkeyedClusters[s][j])));
  return { clusterCount: keys.clusterCount, keyedPseudonyms, keyedClusters, keyedFirst, keyedOrder: pseudonymOrder(keyedPseudonyms, n), unkeyedRows, unkeyedClusters };
}
