/**
 * One delivery through the ingest stage: upload bytes (CSV, Arrow IPC or Parquet, read by
 * batch-source.ts into the same Utf8 batches) -> header checked against the dataset schema
 * -> per batch: national numbers validated, attributes typed, derived attributes computed, bad
 * rows rejected and counted -> IngestBatch, plus a value-free quality report.
 *
 * Row faults (a value that does not fit its type, an empty required value, a record with the
 * wrong number of fields) reject that row and the delivery goes on; a missing or invalid
 * national number keeps the row (it can still link probabilistically) and is counted. Faults of
 * the whole delivery are KoppelErrors: see csv-reader.ts and columnar-reader.ts, plus
 * KOPPEL_ERR_INGEST_HEADER and, at the end, KOPPEL_ERR_INGEST_TOO_MANY_REJECTED.
 */
import type { Data, Utf8 } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import type { DatasetSchema } from '../model.js';
import { filterFixed, filterUtf8, filterValidity, makeFloat64, makeInt32 } from '../util/arrow-columns.js';
import { checkCodeColumn, markNulls, parseIntegerColumn, parseNumberColumn, type TypedColumn } from './attribute-kernels.js';
import { openBatchSource, type UploadFormat } from './batch-source.js';
import type { CsvBatch, CsvDelimiter } from './csv-parser.js';
import { DATE_EMPTY, DATE_INVALID, parseDateColumn } from './date-format.js';
import { isoDateColumn } from './date-text.js';
import { deriveAgeOn, deriveBirthYear, deriveSex } from './derivations.js';
import { matchHeader } from './header-match.js';
import { INSZ_LENGTH, countInszStatus, normaliseInszColumn, type InszColumn } from './insz.js';
import { compileIngestSchema, type IngestPlan } from './ingest-schema.js';
import { FaultTally, emptyNationalIdCounts, type QualityReport } from './quality-report.js';

export interface IngestOptions {
  /** How the bytes are to be read; default `csv`. */
  readonly format?: UploadFormat;
  /** Limit on the body's bytes (the decompressed bytes when the caller gunzips first). */
  readonly maxBytes: number;
  readonly batchRows?: number;
  /** Share of rows read that may be rejected before the delivery fails (default 0.5). */
  readonly maxRejectedShare?: number;
  readonly delimiter?: CsvDelimiter;
  readonly encoding?: 'utf-8' | 'latin1';
}

export interface IngestBatch {
  readonly length: number;
  /** Data row number of each row. */
  readonly rows: Uint32Array;
  /** Normalised national numbers (length * 11 ASCII digits) and their status; null without such a column. */
  readonly nationalId: InszColumn | null;
  /** Cleartext linkage columns, as read. Memory only: the pseudonymise stage encodes them. */
  readonly linkage: Map<string, Data<Utf8>>;
  /** Typed attributes, derived ones included, by schema column name. */
  readonly attributes: Map<string, Data>;
}

export interface DeliveryIngest {
  /** The validated batches; iterate once. Throws the delivery's KoppelErrors. */
  batches(): AsyncGenerator<IngestBatch>;
  /** The quality report; final once `batches()` has finished (or failed with TOO_MANY_REJECTED). */
  report(): QualityReport;
}

export const DEFAULT_MAX_REJECTED_SHARE = 0.5;

/** Validated attribute values of one batch, before rejected rows are dropped. */
type Pending =
  | { kind: 'utf8'; data: Data<Utf8> }
  | { kind: 'float64'; col: TypedColumn<Float64Array> }
  | { kind: 'int32'; col: TypedColumn<Int32Array> }
  | { kind: 'date'; ymd: Int32Array };

/** Throws KOPPEL_ERR_SCHEMA_INVALID at once when the schema cannot be ingested. */
export function ingestDelivery(source: AsyncIterable<Uint8Array>, schema: DatasetSchema, options: IngestOptions): DeliveryIngest {
  const plan = compileIngestSchema(schema);
  const maxShare = options.maxRejectedShare ?? DEFAULT_MAX_REJECTED_SHARE;
  const tally = new FaultTally();
  const nationalId = emptyNationalIdCounts();
  const counts = { read: 0, csvRejected: 0, typeRejected: 0 };

  function report(): QualityReport {
    const rejected = counts.csvRejected + counts.typeRejected;
    return { rows_read: counts.read, rows_kept: counts.read - rejected, rows_rejected: rejected, national_id: { ...nationalId }, faults: tally.list() };
  }

  let started = false;
  async function* batches(): AsyncGenerator<IngestBatch> {
    if (started) throw new Error('DeliveryIngest.batches() can be iterated only once');
    started = true;
    // Arrow and Parquet dates are written in the format of the schema column they land in.
    const input = await openBatchSource(source, { ...options, dateFormats: plan.dateFormats });
    let columnIndex: Map<string, number>;
    try {
      columnIndex = matchHeader(input.header, plan);
    } catch (err) {
      await input.close();
      throw err;
    }
    const sync = (): void => {
      counts.read = input.stats.rowsRead;
      counts.csvRejected = input.stats.rowsRejected;
      tally.setFieldCount(input.stats.rowsRejected, input.stats.fieldCountFaults);
    };
    for await (const raw of input.batches()) {
      sync();
      const batch = processBatch(raw, plan, columnIndex, tally);
      counts.typeRejected += raw.length - batch.length;
      if (batch.nationalId !== null) countInszStatus(batch.nationalId.status, nationalId);
      if (batch.length > 0) yield batch;
    }
    sync();
    const rejected = counts.csvRejected + counts.typeRejected;
    if (counts.read > 0 && rejected / counts.read > maxShare) {
      throw new KoppelError(
        'KOPPEL_ERR_INGEST_TOO_MANY_REJECTED',
        `${rejected} of ${counts.read} rows were rejected, more than the allowed share of ${maxShare}; see the quality report.`,
        { rows_read: counts.read, rows_rejected: rejected, max_rejected_share: maxShare },
      );
    }
  }

  return { batches, report };
}

function processBatch(raw: CsvBatch, plan: IngestPlan, columnIndex: Map<string, number>, tally: FaultTally): IngestBatch {
  const n = raw.length;
  const rows = raw.rows;
  const reject = new Uint8Array(n);
  const bad = new Uint8Array(n);
  const column = (name: string): Data<Utf8> => raw.columns[columnIndex.get(name) as number];

  const pending = new Map<string, Pending>();
  for (const attr of plan.attributes) {
    const col = column(attr.name);
    let value: Pending;
    bad.fill(0);
    if (attr.type === 'number' || attr.type === 'integer') {
      const typed = attr.type === 'number' ? parseNumberColumn(col, bad) : parseIntegerColumn(col, bad);
      tally.addMarked(attr.type === 'number' ? 'not_a_number' : 'not_an_integer', attr.name, bad, rows, reject);
      if (attr.required) {
        // Empty after trimming, and not already a type fault.
        for (let i = 0; i < n; i++) bad[i] = bad[i] === 0 && ((typed.validity[i >> 3] >> (i & 7)) & 1) === 0 ? 1 : 0;
      }
      value = attr.type === 'number' ? { kind: 'float64', col: typed as TypedColumn<Float64Array> } : { kind: 'int32', col: typed as TypedColumn<Int32Array> };
    } else if (attr.type === 'date') {
      const parsed = parseDateColumn(col, plan.dateFormats.get(attr.name)!);
      for (let i = 0; i < n; i++) bad[i] = parsed.status[i] === DATE_INVALID ? 1 : 0;
      tally.addMarked('bad_date', attr.name, bad, rows, reject);
      if (attr.required) for (let i = 0; i < n; i++) bad[i] = parsed.status[i] === DATE_EMPTY ? 1 : 0;
      value = { kind: 'date', ymd: parsed.ymd };
    } else {
      const codes = plan.codeSets.get(attr.name);
      if (codes !== undefined) {
        checkCodeColumn(col, codes, bad);
        tally.addMarked('not_in_code_list', attr.name, bad, rows, reject);
      }
      if (attr.required) {
        bad.fill(0);
        markNulls(col, bad);
      }
      value = { kind: 'utf8', data: col };
    }
    if (attr.required) tally.addMarked('missing_required', attr.name, bad, rows, reject);
    pending.set(attr.name, value);
  }
  for (const spec of plan.linkage) {
    if (!spec.required) continue;
    bad.fill(0);
    markNulls(column(spec.name), bad);
    tally.addMarked('missing_required', spec.name, bad, rows, reject);
  }

  let nid: InszColumn | null = plan.nationalId === null ? null : normaliseInszColumn(column(plan.nationalId));
  let kept = n;
  for (let i = 0; i < n; i++) kept -= reject[i];
  const dropping = kept < n;

  const linkage = new Map<string, Data<Utf8>>();
  for (const spec of plan.linkage) {
    const col = column(spec.name);
    linkage.set(spec.name, dropping ? filterUtf8(col, reject, kept) : col);
  }
  if (nid !== null && dropping) {
    nid = { digits: filterFixed(nid.digits, INSZ_LENGTH, reject, kept), status: filterFixed(nid.status, 1, reject, kept) };
  }

  const attributes = new Map<string, Data>();
  const dates = new Map<string, Int32Array>();
  for (const [name, p] of pending) {
    if (p.kind === 'utf8') attributes.set(name, dropping ? filterUtf8(p.data, reject, kept) : p.data);
    else if (p.kind === 'date') {
      const ymd = dropping ? filterFixed(p.ymd, 1, reject, kept) : p.ymd;
      dates.set(name, ymd);
      attributes.set(name, isoDateColumn(ymd));
    } else {
      const { values, validity, nullCount } = p.col;
      const v = dropping ? filterValidity(validity, reject, kept) : { validity, nullCount };
      attributes.set(
        name,
        p.kind === 'float64'
          ? makeFloat64(dropping ? filterFixed(values as Float64Array, 1, reject, kept) : (values as Float64Array), v.validity, v.nullCount)
          : makeInt32(dropping ? filterFixed(values as Int32Array, 1, reject, kept) : (values as Int32Array), v.validity, v.nullCount),
      );
    }
  }

  // Derived values come last, from kept rows only: they never reject a row themselves.
  for (const { name, derivation } of plan.derived) {
    if (derivation.fn === 'sex') {
      const ids = nid as InszColumn;
      attributes.set(name, deriveSex(ids.digits, ids.status));
      continue;
    }
    let ymd = dates.get(derivation.source);
    if (ymd === undefined) {
      // A linkage or drop date column: parsed here only for the derivation; a bad date is null.
      const parsed = parseDateColumn(column(derivation.source), plan.dateFormats.get(derivation.source)!);
      ymd = dropping ? filterFixed(parsed.ymd, 1, reject, kept) : parsed.ymd;
      dates.set(derivation.source, ymd);
    }
    attributes.set(name, derivation.fn === 'birth_year' ? deriveBirthYear(ymd) : deriveAgeOn(ymd, derivation.onDate));
  }

  return { length: kept, rows: dropping ? filterFixed(rows, 1, reject, kept) : rows, nationalId: nid, linkage, attributes };
}
