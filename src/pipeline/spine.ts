/**
 * The person spine of an incremental job (issue 13), read in the link worker: the previous
 * successful job's `clusters.arrow` (delivery, row, person id of every record it linked) and
 * `links.arrow` (its accepted links), restricted to the deliveries this job keeps. Both are
 * read batch by batch through the store's verified reader (store/stored-files.ts) into typed
 * arrays, one slot per record: no object per record. The spine's encodings are the kept
 * deliveries' own linkage.arrow files, read as every job reads them.
 *
 * ```
 * prior      Float64Array(records)  previous person id of each spine record; NaN for a new record
 * links      the previous probabilistic links between two spine records, in this run's global
 *            numbering, with their probability and weight (carried into this job's links.arrow)
 * ```
 * A deterministic link needs no carrying: equal pseudonyms link again in this run.
 */
import type { Data, Table, Vector } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import type { LinkTable } from '../link/clusters.js';
import { LINK_METHOD_NAMES, LINK_PROBABILISTIC } from '../link/link-method.js';
import { readStoredTable, type StoredFileRef } from '../store/stored-files.js';
import { concatNumbers } from '../util/arrow-columns.js';

export interface SpineInput {
  /** The previous successful job of the project. */
  readonly previousJob: string;
  readonly clusters: StoredFileRef;
  readonly links: StoredFileRef;
  /** Per source in job order: true for a delivery the previous job did not link. */
  readonly newSources: readonly boolean[];
}

export interface CarriedLinks {
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly probability: Float64Array;
  readonly weight: Float64Array;
  readonly length: number;
}

export interface Spine {
  readonly prior: Float64Array;
  readonly links: CarriedLinks;
}

/** Per dictionary chunk of a column: the label's spine source index (-1: not in this job's spine). */
function sourceCodes(chunk: Data, sourceOf: ReadonlyMap<string, number>): Int32Array {
  const labels = chunk.dictionary as Vector;
  const codes = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) codes[i] = sourceOf.get(String(labels.get(i))) ?? -1;
  return codes;
}

/** Global record number of (source, row) per spine source: row -> offsets[s] + index, -1 if absent. */
function rowIndex(rows: readonly Uint32Array[], offsets: Int32Array, spine: readonly boolean[]): Int32Array[] {
  return rows.map((r, s) => {
    if (!spine[s]) return new Int32Array(0);
    let max = -1;
    for (let i = 0; i < r.length; i++) if (r[i] > max) max = r[i];
    const index = new Int32Array(max + 1).fill(-1);
    for (let i = 0; i < r.length; i++) index[r[i]] = offsets[s] + i;
    return index;
  });
}

/** Global record numbers of a (delivery, row) pair of columns; -1 where the record is not in the spine. */
function globalRecords(table: Table, deliveryColumn: string, rowColumn: string, sourceOf: ReadonlyMap<string, number>, index: readonly Int32Array[], what: string): Int32Array {
  const rows = concatNumbers(table, rowColumn, (n) => new Uint32Array(n));
  const column = table.getChild(deliveryColumn);
  if (column === null) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `${what} has no ${deliveryColumn} column`);
  const out = new Int32Array(rows.length);
  let at = 0;
  for (const chunk of column.data) {
    const codes = sourceCodes(chunk, sourceOf);
    const indices = chunk.values as Int32Array;
    for (let i = 0; i < chunk.length; i++, at++) {
      const s = codes[indices[i]];
      const row = rows[at];
      out[at] = s < 0 ? -1 : (index[s][row] ?? -1);
    }
  }
  return out;
}

/** Method codes of links.arrow's dictionary-encoded `method` column. */
function methods(table: Table, what: string): Uint8Array {
  const column = table.getChild('method');
  if (column === null) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `${what} has no method column`);
  const out = new Uint8Array(table.numRows);
  let at = 0;
  for (const chunk of column.data) {
    const labels = chunk.dictionary as Vector;
    const codes = Uint8Array.from({ length: labels.length }, (_, i) => Math.max(0, (LINK_METHOD_NAMES as readonly string[]).indexOf(String(labels.get(i)))));
    const indices = chunk.values as Int32Array;
    for (let i = 0; i < chunk.length; i++) out[at++] = codes[indices[i]];
  }
  return out;
}

/**
 * The spine of a job whose sources (deliveries in job order, with their records' rows) are
 * `deliveries` and `rows`: the previous person of each kept record, and the links to carry.
 */
export async function readSpine(input: SpineInput, deliveries: readonly string[], rows: readonly Uint32Array[]): Promise<Spine> {
  const offsets = new Int32Array(rows.length + 1);
  for (let s = 0; s < rows.length; s++) offsets[s + 1] = offsets[s] + rows[s].length;
  const isSpine = input.newSources.map((n) => !n);
  const sourceOf = new Map<string, number>();
  deliveries.forEach((d, s) => { if (isSpine[s]) sourceOf.set(d, s); });
  const index = rowIndex(rows, offsets, isSpine);

  const clusters = await readStoredTable(input.clusters);
  const records = globalRecords(clusters, 'delivery', 'row', sourceOf, index, `job ${input.previousJob} clusters`);
  const persons = concatNumbers(clusters, 'person_id', (n) => new Float64Array(n));
  const prior = new Float64Array(offsets[rows.length]).fill(Number.NaN);
  for (let i = 0; i < records.length; i++) if (records[i] >= 0) prior[records[i]] = persons[i];
  for (let s = 0; s < rows.length; s++) {
    if (!isSpine[s]) continue;
    for (let g = offsets[s]; g < offsets[s + 1]; g++) {
      if (Number.isNaN(prior[g])) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `job ${input.previousJob} has no person for a record of delivery ${deliveries[s]}`, { job: input.previousJob, delivery: deliveries[s] });
    }
  }

  const table = await readStoredTable(input.links);
  const what = `job ${input.previousJob} links`;
  const left = globalRecords(table, 'left_delivery', 'left_row', sourceOf, index, what);
  const right = globalRecords(table, 'right_delivery', 'right_row', sourceOf, index, what);
  const method = methods(table, what);
  const probability = concatNumbers(table, 'match_probability', (n) => new Float64Array(n));
  const weight = concatNumbers(table, 'match_weight', (n) => new Float64Array(n));
  let n = 0;
  for (let i = 0; i < left.length; i++) if (left[i] >= 0 && right[i] >= 0 && method[i] === LINK_PROBABILISTIC) n++;
  const links = { a: new Int32Array(n), b: new Int32Array(n), probability: new Float64Array(n), weight: new Float64Array(n), length: n };
  for (let i = 0, k = 0; i < left.length; i++) {
    if (left[i] < 0 || right[i] < 0 || method[i] !== LINK_PROBABILISTIC) continue;
    links.a[k] = Math.min(left[i], right[i]); links.b[k] = Math.max(left[i], right[i]); links.probability[k] = probability[i]; links.weight[k] = weight[i]; k++;
  }
  return { prior, links };
}

/**
 * The run's links followed by the carried ones: this job's links.arrow holds every link of its
 * persons. A carried link whose records no longer share a person (a cannot-link decided since)
 * is dropped.
 */
export function withCarried(links: LinkTable, carried: CarriedLinks, clusters: Int32Array): LinkTable {
  const keep: number[] = [];
  for (let p = 0; p < carried.length; p++) if (clusters[carried.a[p]] === clusters[carried.b[p]]) keep.push(p);
  const n = links.length + keep.length;
  const join = <T extends Int32Array | Float64Array | Uint8Array>(x: T, y: T, make: (n: number) => T): T => {
    const out = make(n);
    out.set(x.subarray(0, links.length) as never);
    for (let k = 0; k < keep.length; k++) out[links.length + k] = y[keep[k]];
    return out;
  };
  return {
    left: join(links.left, carried.a, (k) => new Int32Array(k)),
    right: join(links.right, carried.b, (k) => new Int32Array(k)),
    probability: join(links.probability, carried.probability, (k) => new Float64Array(k)),
    weight: join(links.weight, carried.weight, (k) => new Float64Array(k)),
    method: join(links.method, new Uint8Array(carried.length).fill(LINK_PROBABILISTIC), (k) => new Uint8Array(k)),
    length: n,
  };
}
