/**
 * A job's persons after clerical decisions: re-derived from what the run stored, not by a new
 * run. The same order as the engine's (link/assignment.ts): the deterministic persons
 * (review-base.arrow), then the decisions (cannot-links, then must-links), then the job's
 * probabilistic links strongest first, each refused when it would join records a non-match
 * keeps apart (or two records of a unique source). Then persistent ids: a person keeps the
 * smallest id among its records' old ids unless an earlier person took it; a person split off
 * gets a new id. Merges and splits go to the person change log (person-change-log.ts).
 *
 * Approximation: links the run refused, or cut at the threshold, are not reconsidered when a
 * non-match frees a record; the next run over the deliveries does that, with the decisions.
 */
import { Float64, makeData, tableToIPC, type Table, type Vector } from 'apache-arrow';
import { applyDecisions, ConstrainedUnionFind } from '../link/assignment.js';
import { LINK_DETERMINISTIC, LINK_METHOD_NAMES } from '../link/link-method.js';
import { KoppelError } from '../errors.js';
import type { JobRecord } from '../store/index.js';
import { concatNumbers } from '../util/arrow-columns.js';
import type { PipelineContext } from './context.js';
import { clericalDecisions, REVIEW_BASE_FILE, settledDecisions } from './review-file.js';
import { recordBatchOf, tableOf } from '../util/arrow-batch.js';

export interface PersonChange {
  readonly kind: 'merge' | 'split';
  readonly personsBefore: number[];
  readonly personsAfter: number[];
}

/** Job index of each row's delivery, from a dictionary-encoded delivery column. */
function deliveryIndex(table: Table, column: string, deliveries: readonly string[]): Int32Array {
  const out = new Int32Array(table.numRows);
  let at = 0;
  for (const chunk of table.getChild(column)?.data ?? []) {
    const labels = chunk.dictionary as Vector;
    const map = Int32Array.from({ length: labels.length }, (_, i) => deliveries.indexOf(String(labels.get(i))));
    const indices = chunk.values as Int32Array;
    for (let i = 0; i < chunk.length; i++) out[at + i] = map[indices[i]];
    at += chunk.length;
  }
  return out;
}

/** Global record of (delivery s, row): rows ascend within a delivery (clusters.arrow's order). */
function recordOf(rows: Uint32Array, offsets: Int32Array, s: number, row: number): number {
  let lo = offsets[s]; let hi = offsets[s + 1] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid] === row) return mid;
    if (rows[mid] < row) lo = mid + 1; else hi = mid - 1;
  }
  throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `a link names row ${row} that the job's persons do not hold`, { row });
}

/** The new person id of every record, and the merges and splits against the old ids. */
export async function rederivePersons(ctx: PipelineContext, job: JobRecord): Promise<{ changes: PersonChange[]; moved: number }> {
  const deliveries = (job.settings as { deliveries: string[] }).deliveries;
  const report = job.report as { deliveries: { unique: boolean }[] };
  const clusters = await ctx.store.readJobFile(job.id, 'clusters');
  const links = await ctx.store.readJobFile(job.id, 'links');
  const base = concatNumbers(await ctx.store.readJobFile(job.id, REVIEW_BASE_FILE), 'base', (n) => new Uint32Array(n));
  const total = clusters.numRows;
  const delivery = deliveryIndex(clusters, 'delivery', deliveries);
  const rows = concatNumbers(clusters, 'row', (n) => new Uint32Array(n));
  const old = concatNumbers(clusters, 'person_id', (n) => new Float64Array(n));
  const offsets = new Int32Array(deliveries.length + 1);
  for (let g = 0; g < total; g++) offsets[delivery[g] + 1]++;
  for (let s = 0; s < deliveries.length; s++) offsets[s + 1] += offsets[s];

  const uf = new ConstrainedUnionFind(offsets, report.deliveries.map((d) => d.unique));
  for (let g = 0; g < total; g++) if (base[g] !== g) uf.union(base[g], g);
  const perSource = deliveries.map((_, s) => rows.subarray(offsets[s], offsets[s + 1]));
  applyDecisions(uf, offsets, clericalDecisions(settledDecisions(ctx, deliveries), deliveries, perSource));
  const ld = deliveryIndex(links, 'left_delivery', deliveries);
  const rd = deliveryIndex(links, 'right_delivery', deliveries);
  const lr = concatNumbers(links, 'left_row', (n) => new Uint32Array(n));
  const rr = concatNumbers(links, 'right_row', (n) => new Uint32Array(n));
  const method = deliveryIndex(links, 'method', LINK_METHOD_NAMES.slice(LINK_DETERMINISTIC) as unknown as string[]);
  const probability = concatNumbers(links, 'match_probability', (n) => new Float64Array(n));
  const order = Int32Array.from({ length: links.numRows }, (_, i) => i).sort((a, b) => method[a] - method[b] || probability[b] - probability[a]);
  for (const i of order) uf.union(recordOf(rows, offsets, ld[i], lr[i]), recordOf(rows, offsets, rd[i], rr[i]));

  const { ids: cluster, count } = uf.clusterIds();
  const fresh = await newIds(ctx, old, cluster, count);
  replaceClusters(ctx, job.id, clusters, old, cluster, fresh);
  return changesOf(old, cluster, fresh);
}

/** Per new cluster its id: the smallest old id of its records unless taken, else a new one. */
async function newIds(ctx: PipelineContext, old: Float64Array, cluster: Int32Array, count: number): Promise<Float64Array> {
  const least = new Float64Array(count).fill(Number.POSITIVE_INFINITY);
  for (let g = 0; g < old.length; g++) if (old[g] < least[cluster[g]]) least[cluster[g]] = old[g];
  const ids = new Float64Array(count);
  const taken = new Set<number>();
  const wanting: number[] = [];
  for (let g = 0, seen = new Uint8Array(count); g < old.length; g++) {
    const c = cluster[g];
    if (seen[c] === 1) continue;
    seen[c] = 1;
    if (taken.has(least[c])) wanting.push(c);
    else { taken.add(least[c]); ids[c] = least[c]; }
  }
  if (wanting.length > 0) {
    let next = ctx.store.reservePersonIds(wanting.length);
    for (const c of wanting) ids[c] = ++next;
  }
  return ids;
}

function changesOf(old: Float64Array, cluster: Int32Array, ids: Float64Array): { changes: PersonChange[]; moved: number } {
  const beforeOf = new Map<number, Set<number>>();
  const afterOf = new Map<number, Set<number>>();
  let moved = 0;
  for (let g = 0; g < old.length; g++) {
    const now = ids[cluster[g]];
    let after = afterOf.get(old[g]);
    if (after === undefined) afterOf.set(old[g], after = new Set());
    after.add(now);
    let before = beforeOf.get(now);
    if (before === undefined) beforeOf.set(now, before = new Set());
    before.add(old[g]);
    if (now !== old[g]) moved++;
  }
  const changes: PersonChange[] = [];
  for (const [now, before] of beforeOf) if (before.size > 1) changes.push({ kind: 'merge', personsBefore: [...before].sort((a, b) => a - b), personsAfter: [now] });
  for (const [was, after] of afterOf) if (after.size > 1) changes.push({ kind: 'split', personsBefore: [was], personsAfter: [...after].sort((a, b) => a - b) });
  return { changes, moved };
}

/** clusters.arrow with the new person ids, when any changed (the other columns as they were). */
function replaceClusters(ctx: PipelineContext, jobId: string, clusters: Table, old: Float64Array, cluster: Int32Array, ids: Float64Array): void {
  const person = Float64Array.from(cluster, (c) => ids[c]);
  if (person.every((v, g) => v === old[g])) return;
  const at = clusters.schema.fields.findIndex((f) => f.name === 'person_id');
  let from = 0;
  const batches = clusters.batches.map((batch) => {
    const part = person.subarray(from, from + batch.numRows);
    from += batch.numRows;
    const children = batch.data.children.map((child, i) => (i === at ? makeData({ type: new Float64(), length: part.length, nullCount: 0, data: part }) : child));
    return recordBatchOf(clusters.schema, children);
  });
  ctx.store.replaceJobFile(jobId, { name: 'clusters', bytes: tableToIPC(tableOf(clusters.schema, batches), 'file'), rows: clusters.numRows });
}
