/**
 * What a job stores: every record with its person (`clusters`) and the accepted pairwise links
 * (`links`). The persistent person id of each cluster comes from person-ids.ts.
 *
 * Invariant the release relies on: `clusters` lists the records delivery by delivery in the
 * job's order, and each delivery's records in its row order (as in payload.arrow).
 */
import { Dictionary, Float64, Int32, Uint32, Utf8, makeData, tableToIPC } from 'apache-arrow';
import { LINK_DETERMINISTIC, LINK_METHOD_NAMES, LINK_PROBABILISTIC, LINK_UNLINKED } from '../link/link-method.js';
import type { LinkResult } from '../link/link-result.js';
import type { NamedBytes } from '../store/index.js';
import { dictionaryColumn } from '../util/arrow-columns.js';
import { recordBatchOf, schemaOf, tableOf } from '../util/arrow-batch.js';
import { densePersons } from './dense-persons.js';

/**
 * The dictionaries of clusters.arrow's `link_method` (every name: a record may be unlinked) and
 * links.arrow's `method` (a link is deterministic or probabilistic; index = code - LINK_DETERMINISTIC).
 */
const RECORD_METHODS = [...LINK_METHOD_NAMES];
const LINK_METHODS = LINK_METHOD_NAMES.slice(LINK_DETERMINISTIC);

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

/** Keeps link (m, p) as record g's method and probability when it is its strongest so far. */
function strongest(method: Int32Array, probability: Float64Array, g: number, m: number, p: number): void {
  if (method[g] === LINK_UNLINKED || (m === LINK_DETERMINISTIC && method[g] === LINK_PROBABILISTIC) || (m === method[g] && p > probability[g])) {
    method[g] = m;
    probability[g] = p;
  }
}

/**
 * Distinct persons (clusters that share a pseudonym share a person id and are one person) and
 * those with records in two or more deliveries: one pass over the records with the clusters'
 * dense person indices (no comparator sort of every record).
 */
function personCounts(clusters: Int32Array, personIds: Float64Array, delivery: Int32Array, clusterCount: number): { persons: number; linkedAcrossSources: number } {
  const { persons: distinct, indexOf: personOfCluster } = densePersons(personIds.subarray(0, clusterCount));
  const persons = distinct.length;
  const firstDelivery = new Int32Array(persons).fill(-1);
  const spans = new Uint8Array(persons);
  for (let g = 0; g < delivery.length; g++) {
    const p = personOfCluster[clusters[g]];
    if (firstDelivery[p] < 0) firstDelivery[p] = delivery[g];
    else if (firstDelivery[p] !== delivery[g]) spans[p] = 1;
  }
  let linkedAcrossSources = 0;
  for (let p = 0; p < persons; p++) linkedAcrossSources += spans[p];
  return { persons, linkedAcrossSources };
}

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
    const m = links.method[i];
    const p = m === LINK_DETERMINISTIC ? 1 : links.probability[i];
    strongest(method, probability, links.left[i], m, p);
    strongest(method, probability, links.right[i], m, p);
    leftDelivery[i] = delivery[links.left[i]];
    rightDelivery[i] = delivery[links.right[i]];
    leftRow[i] = row[links.left[i]];
    rightRow[i] = row[links.right[i]];
    linkMethod[i] = m - LINK_DETERMINISTIC;
  }
  const { persons, linkedAcrossSources } = personCounts(clusters, personIds, delivery, result.clusterCount);

  const clustersTable = tableOf(CLUSTERS_SCHEMA, [recordBatchOf(CLUSTERS_SCHEMA, [
    dictionaryColumn(labels, delivery), u32(row), f64(person), dictionaryColumn(RECORD_METHODS, method), nullableF64(probability),
  ])]);
  const linksTable = tableOf(LINKS_SCHEMA, [recordBatchOf(LINKS_SCHEMA, [
    dictionaryColumn(labels, leftDelivery), u32(leftRow), dictionaryColumn(labels, rightDelivery), u32(rightRow),
    dictionaryColumn(LINK_METHODS, linkMethod), f64(Float64Array.from(links.probability)), nullableF64(Float64Array.from(links.weight)),
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
