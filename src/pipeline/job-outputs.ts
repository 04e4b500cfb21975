/**
 * What a job stores: every record with its person (`clusters`), the accepted pairwise links
 * (`links`), and the persistent person id of each cluster.
 *
 * Invariant the release relies on: `clusters` lists the records delivery by delivery in the
 * job's order, and each delivery's records in its row order (as in payload.arrow).
 */
import { Dictionary, Float64, Int32, Uint32, Utf8, makeData, tableToIPC } from 'apache-arrow';
import type { LinkResult } from '../link/link-records.js';
import { METHOD_DETERMINISTIC } from '../link/link-records.js';
import { hasPseudonym, type PseudonymColumn } from '../link/pseudonym-join.js';
import type { DeliveryRecord, NamedBytes } from '../store/index.js';
import { dictionaryColumn } from '../util/arrow-columns.js';
import { recordBatchOf, schemaOf, tableOf } from '../util/arrow-batch.js';
import type { PipelineContext } from './context.js';

/** Record-level methods, in the dictionary order of clusters.arrow's `link_method`. */
export const RECORD_METHODS = ['unlinked', 'deterministic', 'probabilistic'] as const;
const LINK_METHODS = ['deterministic', 'probabilistic'] as const;

/** The source and row of global record g (sources concatenated in job order). */
function sourceOf(offsets: Int32Array, g: number): number {
  let s = 0;
  while (offsets[s + 1] <= g) s++;
  return s;
}

/**
 * What the store needs to give each cluster its persistent person id, worked out where the
 * linkage ran (a worker thread) so the main thread only talks to SQLite:
 * ```
 * keyedPseudonyms  Uint8Array(k * 32)   the pseudonym of the first record carrying one, per keyed cluster
 * keyedClusters    Int32Array(k)        ... and that cluster, in cluster order
 * unkeyedRows[s]   Uint32Array          row (in delivery s) of the first record of each cluster
 *                                       without any pseudonym whose first record is in s
 * unkeyedClusters[s] Int32Array         ... and that cluster
 * ```
 */
export interface PersonKeys {
  readonly clusterCount: number;
  readonly keyedPseudonyms: Uint8Array;
  readonly keyedClusters: Int32Array;
  readonly unkeyedRows: readonly Uint32Array[];
  readonly unkeyedClusters: readonly Int32Array[];
}

export function personKeys(result: LinkResult, pseudonyms: readonly PseudonymColumn[], rows: readonly Uint32Array[]): PersonKeys {
  const C = result.clusterCount;
  const { offsets, clusters } = result;
  const byPseudonym = new Int32Array(C).fill(-1);
  const first = new Int32Array(C).fill(-1);
  for (let s = 0; s < pseudonyms.length; s++) {
    for (let r = 0; r < pseudonyms[s].length; r++) {
      const g = offsets[s] + r;
      const c = clusters[g];
      if (first[c] < 0) first[c] = g;
      if (byPseudonym[c] < 0 && hasPseudonym(pseudonyms[s], r)) byPseudonym[c] = g;
    }
  }
  let keyed = 0;
  for (let c = 0; c < C; c++) if (byPseudonym[c] >= 0) keyed++;
  const keyedPseudonyms = new Uint8Array(keyed * 32);
  const keyedClusters = new Int32Array(keyed);
  let k = 0;
  for (let c = 0; c < C; c++) {
    const g = byPseudonym[c];
    if (g < 0) continue;
    const s = sourceOf(offsets, g);
    const r = g - offsets[s];
    keyedPseudonyms.set(pseudonyms[s].pseudonyms.subarray(r * 32, r * 32 + 32), k * 32);
    keyedClusters[k++] = c;
  }
  const unkeyedRows: Uint32Array[] = [];
  const unkeyedClusters: Int32Array[] = [];
  for (let s = 0; s < pseudonyms.length; s++) {
    let count = 0;
    for (let c = 0; c < C; c++) if (byPseudonym[c] < 0 && first[c] >= offsets[s] && first[c] < offsets[s + 1]) count++;
    const sourceRows = new Uint32Array(count);
    const which = new Int32Array(count);
    let j = 0;
    for (let c = 0; c < C; c++) {
      if (byPseudonym[c] < 0 && first[c] >= offsets[s] && first[c] < offsets[s + 1]) {
        sourceRows[j] = rows[s][first[c] - offsets[s]];
        which[j++] = c;
      }
    }
    unkeyedRows.push(sourceRows);
    unkeyedClusters.push(which);
  }
  return { clusterCount: C, keyedPseudonyms, keyedClusters, unkeyedRows, unkeyedClusters };
}

/**
 * Person lookups per SQLite transaction. A transaction blocks the event loop (better-sqlite3
 * is synchronous); at this size one takes well under 50 ms on the reference machine, and the
 * loop runs between them. Ids are the same as from one big transaction: new persons are
 * numbered in order of first appearance either way.
 */
export const PERSON_CHUNK = 20_000;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The TTP's persistent person id of each cluster: that of the first record carrying a
 * pseudonym (looked up or created by pseudonym), or else of the cluster's first record
 * (by delivery and row), so that the same person keeps one id across jobs.
 */
export async function resolvePersonIds(ctx: PipelineContext, keys: PersonKeys, deliveries: readonly DeliveryRecord[], chunk = PERSON_CHUNK): Promise<Float64Array> {
  const ids = new Float64Array(keys.clusterCount);
  const keyed = keys.keyedClusters.length;
  for (let at = 0; at < keyed; at += chunk) {
    const n = Math.min(chunk, keyed - at);
    const found = ctx.store.resolvePersonsByPseudonym(keys.keyedPseudonyms.subarray(at * 32, (at + n) * 32), n, deliveries[0].key_id);
    for (let i = 0; i < n; i++) ids[keys.keyedClusters[at + i]] = found[i];
    await nextTurn();
  }
  for (let s = 0; s < deliveries.length; s++) {
    const rows = keys.unkeyedRows[s];
    const which = keys.unkeyedClusters[s];
    for (let at = 0; at < rows.length; at += chunk) {
      const n = Math.min(chunk, rows.length - at);
      const found = ctx.store.resolvePersonsByRecord(deliveries[s].id, rows.subarray(at, at + n));
      for (let i = 0; i < n; i++) ids[which[at + i]] = found[i];
      await nextTurn();
    }
  }
  return ids;
}

/** A Float64 column whose NaN entries are null. */
function nullableF64(values: Float64Array) {
  const bitmap = new Uint8Array((values.length + 7) >>> 3);
  let nulls = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) nulls++;
    else bitmap[i >>> 3] |= 1 << (i & 7);
  }
  return makeData({ type: new Float64(), length: values.length, nullCount: nulls, data: values, nullBitmap: bitmap });
}

const u32 = (a: Uint32Array) => makeData({ type: new Uint32(), length: a.length, nullCount: 0, data: a });
const f64 = (a: Float64Array) => makeData({ type: new Float64(), length: a.length, nullCount: 0, data: a });
const dict = () => new Dictionary(new Utf8(), new Int32());

const CLUSTERS_SCHEMA = schemaOf([
  { name: 'delivery', type: dict() },
  { name: 'row', type: new Uint32() },
  { name: 'person_id', type: new Float64() },
  { name: 'link_method', type: dict() },
  { name: 'match_probability', type: new Float64() },
]);

const LINKS_SCHEMA = schemaOf([
  { name: 'left_delivery', type: dict() },
  { name: 'left_row', type: new Uint32() },
  { name: 'right_delivery', type: dict() },
  { name: 'right_row', type: new Uint32() },
  { name: 'method', type: dict() },
  { name: 'match_probability', type: new Float64() },
  { name: 'match_weight', type: new Float64() },
]);

/** The job's tables; `deliveryIds` in job order label the records' deliveries. */
export function jobTables(result: LinkResult, personIds: Float64Array, rows: readonly Uint32Array[], deliveryIds: readonly string[]) {
  const { offsets, clusters, links } = result;
  const total = offsets[deliveryIds.length];
  const labels = [...deliveryIds];
  const delivery = new Int32Array(total);
  const row = new Uint32Array(total);
  const person = new Float64Array(total);
  const method = new Int32Array(total);
  const probability = new Float64Array(total).fill(Number.NaN);
  for (let s = 0; s < deliveryIds.length; s++) {
    delivery.fill(s, offsets[s], offsets[s + 1]);
    row.set(rows[s], offsets[s]);
  }
  for (let g = 0; g < total; g++) person[g] = personIds[clusters[g]];
  // A record's method and probability: its strongest link (a deterministic one wins).
  const leftDelivery = new Int32Array(links.length);
  const rightDelivery = new Int32Array(links.length);
  const leftRow = new Uint32Array(links.length);
  const rightRow = new Uint32Array(links.length);
  const linkMethod = new Int32Array(links.length);
  for (let i = 0; i < links.length; i++) {
    const m = links.method[i] === METHOD_DETERMINISTIC ? 1 : 2;
    const p = links.method[i] === METHOD_DETERMINISTIC ? 1 : links.probability[i];
    for (const g of [links.left[i], links.right[i]]) {
      if (method[g] === 0 || (m === 1 && method[g] === 2) || (m === method[g] && p > probability[g])) {
        method[g] = m;
        probability[g] = p;
      }
    }
    leftDelivery[i] = delivery[links.left[i]];
    rightDelivery[i] = delivery[links.right[i]];
    leftRow[i] = row[links.left[i]];
    rightRow[i] = row[links.right[i]];
    linkMethod[i] = m - 1;
  }
  // Persons (distinct person ids: clusters that share a pseudonym are one person) and those
  // with records in two or more deliveries.
  const order = Int32Array.from({ length: total }, (_, g) => g).sort((a, b) => person[a] - person[b] || delivery[a] - delivery[b]);
  let persons = 0;
  let linkedAcrossSources = 0;
  let spans = false;
  for (let i = 0; i < total; i++) {
    const g = order[i];
    if (i === 0 || person[g] !== person[order[i - 1]]) {
      if (spans) linkedAcrossSources++;
      persons++;
      spans = false;
    } else if (delivery[g] !== delivery[order[i - 1]]) {
      spans = true;
    }
  }
  if (spans) linkedAcrossSources++;

  const clustersTable = tableOf(CLUSTERS_SCHEMA, [recordBatchOf(CLUSTERS_SCHEMA, [
    dictionaryColumn(labels, delivery), u32(row), f64(person), dictionaryColumn([...RECORD_METHODS], method), nullableF64(probability),
  ])]);
  const linksTable = tableOf(LINKS_SCHEMA, [recordBatchOf(LINKS_SCHEMA, [
    dictionaryColumn(labels, leftDelivery), u32(leftRow), dictionaryColumn(labels, rightDelivery), u32(rightRow),
    dictionaryColumn([...LINK_METHODS], linkMethod), f64(Float64Array.from(links.probability)), nullableF64(Float64Array.from(links.weight)),
  ])]);
  return { clusters: clustersTable, links: linksTable, persons, linkedAcrossSources };
}

/**
 * The job's files as Arrow IPC *file* bytes (byte for byte what `writeTableFileSync` writes),
 * so they can be built off the main thread and handed over as transferable buffers.
 */
export function jobFiles(result: LinkResult, personIds: Float64Array, rows: readonly Uint32Array[], deliveryIds: readonly string[]) {
  const tables = jobTables(result, personIds, rows, deliveryIds);
  const files: NamedBytes[] = [
    { name: 'clusters', bytes: tableToIPC(tables.clusters, 'file'), rows: tables.clusters.numRows },
    { name: 'links', bytes: tableToIPC(tables.links, 'file'), rows: tables.links.numRows },
  ];
  return { files, persons: tables.persons, linkedAcrossSources: tables.linkedAcrossSources };
}
