/**
 * The inputs of a release from a finished job: the person spine (dense person indices), each
 * record's link method and match probability, and one release source per approved dataset
 * (its deliveries' approved attribute columns concatenated in job order), with the project's
 * recodings of key variables applied.
 */
import type { Data, Table, Vector } from 'apache-arrow';
import { canGeneralise, describeGeneralisation, generaliseColumn } from '../release/generalise.js';
import { KoppelError } from '../errors.js';
import { LINK_METHOD_NAMES, LINK_UNLINKED } from '../link/link-method.js';
import type { PeriodRun, ReleaseSourceInput } from '../release/assemble.js';
import type { ProjectRecord } from '../store/records.js';
import { readStoredTable, type StoredFileRef } from '../store/stored-files.js';
import { concatNumbers } from '../util/arrow-columns.js';
import { deliveryFormatOf } from './delivery-format.js';

/** A delivery of the job as a release build reads it: its dataset, period and stored payload.arrow. */
export interface ReleaseDelivery {
  readonly id: string;
  readonly dataset: string;
  readonly period: string;
  readonly payload: StoredFileRef;
}

/** Per-record link method codes from the job's dictionary-encoded `link_method` column. */
export function methodCodes(clusters: Table, jobId: string, records: number): { method: Uint8Array; probability: Float64Array } {
  const method = new Uint8Array(records);
  const probability = concatNumbers(clusters, 'match_probability', (n) => new Float64Array(n));
  const column = clusters.getChild('link_method');
  if (column === null) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `job ${jobId} clusters have no link_method column`);
  let at = 0;
  for (const chunk of column.data) {
    const labels = chunk.dictionary as Vector;
    const codes = new Uint8Array(labels.length);
    for (let i = 0; i < labels.length; i++) {
      const code = (LINK_METHOD_NAMES as readonly string[]).indexOf(String(labels.get(i)));
      codes[i] = code < 0 ? LINK_UNLINKED : code;
    }
    const indices = chunk.values as Int32Array;
    for (let i = 0; i < chunk.length; i++) method[at + i] = codes[indices[i]];
    at += chunk.length;
  }
  return { method, probability };
}

/**
 * Applies the project's recodings to the key-variable columns of every source (in place), and
 * says what was done, for the manifest.
 */
export function generaliseKeyVariables(project: ProjectRecord, sources: ReleaseSourceInput[]): Record<string, string> {
  const done: Record<string, string> = {};
  for (const [name, rule] of Object.entries(project.generalise ?? {})) {
    for (const source of sources) {
      const column = source.columns[name];
      if (column === undefined) continue;
      const type = column.type;
      if (!canGeneralise(type, rule)) {
        throw new KoppelError('KOPPEL_ERR_RELEASE_BAD_POLICY', `key variable ${name} of ${source.name} is ${String(type)} and cannot be generalised by ${describeGeneralisation(rule)}`, { variable: name, dataset: source.name });
      }
      (source.columns as Record<string, Vector | Data>)[name] = generaliseColumn(column, rule);
    }
    done[name] = describeGeneralisation(rule);
  }
  return done;
}

/** One release source per approved dataset: its deliveries' rows concatenated in job order. */
export async function releaseSources(
  project: ProjectRecord, deliveries: readonly ReleaseDelivery[], deliveryOfRecord: Int32Array,
  personIndex: Int32Array, method: Uint8Array, probability: Float64Array,
): Promise<ReleaseSourceInput[]> {
  const datasets = [...new Set(deliveries.map((d) => d.dataset))];
  const recordsOfDelivery = new Int32Array(deliveries.length);
  for (let r = 0; r < deliveryOfRecord.length; r++) recordsOfDelivery[deliveryOfRecord[r]]++;
  const out: ReleaseSourceInput[] = [];
  for (const dataset of datasets) {
    const approved = project.approved[dataset] ?? [];
    const parts = deliveries.map((d, i) => ({ d, i })).filter(({ d }) => d.dataset === dataset);
    const isPart = new Uint8Array(deliveries.length);
    let rows = 0;
    for (const { i } of parts) {
      isPart[i] = 1;
      rows += recordsOfDelivery[i];
    }
    const personOfRow = new Int32Array(rows);
    const linkMethod = new Uint8Array(rows);
    const matchProbability = new Float64Array(rows);
    const periods: PeriodRun[] = [];
    const columns: Record<string, Vector> = {};
    // The job's records of each delivery keep the delivery's row order, as payload.arrow does.
    let at = 0;
    for (let r = 0; r < deliveryOfRecord.length; r++) {
      if (isPart[deliveryOfRecord[r]] === 0) continue;
      personOfRow[at] = personIndex[r];
      linkMethod[at] = method[r];
      matchProbability[at] = probability[r];
      at++;
    }
    for (const { d, i } of parts) {
      const payload = await readStoredTable(d.payload);
      deliveryFormatOf(payload.schema, d.payload.what);
      const count = recordsOfDelivery[i];
      if (count !== payload.numRows) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `delivery ${d.id} has ${payload.numRows} payload rows but the job linked ${count}`);
      periods.push({ period: d.period, rows: count });
      for (const name of approved) {
        const column = payload.getChild(name);
        if (column === null) throw new KoppelError('KOPPEL_ERR_RELEASE_BAD_POLICY', `delivery ${d.id} has no attribute ${name}`, { dataset, attribute: name });
        columns[name] = columns[name] === undefined ? column : columns[name].concat(column);
      }
    }
    out.push({ name: dataset, personOfRow, periods, approved, columns, linkMethod, matchProbability });
  }
  return out;
}

