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
import { isBitSet } from '../util/null-bitmap.js';
import { checkCodeColumn, markNulls, parseIntegerColumn, parseNumberColumn, type TypedColumn } from './attribute-kernels.js';
import { openBatchSource, type UploadFormat } from './batch-source.js';
import type { CsvBatch, CsvDelimiter } from './csv-parser.js';
import { DATE_EMPTY, DATE_INVALID, parseDateColumn } from './date-format.js';
import { isoDateColumn } from './date-text.js';
import { deriveAgeOn, deriveBirthYear, deriveSex } from './derivations.js';
import { matchHeader } from './header-match.js';
import { INSZ_LENGTH, countInszStatus, normaliseInszColumn, type InszColumn } from './insz.js';
import { compileIngestSchema, type AttributePlan, type IngestPlan } from './ingest-schema.js';
import { checkRowLimit } from './row-limit.js';
import { checkTextLimits, type TextLimits } from './text-limits.js';
import { FaultTally, emptyNationalIdCounts, type QualityReport } from './quality-report.js';

export interface IngestOptions extends TextLimits {
  /** How the bytes are to be read; default `csv`. */
  readonly format?: UploadFormat;
  /** Limit on the body's bytes (the decompressed bytes when the caller gunzips first). */
  readonly maxBytes: number;
  readonly batchRows?: number;
  /** Limit on data rows, whatever the format (row-limit.ts); none when undefined. */
  readonly maxRows?: number;
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
      // Before the batch is processed: what was yielded so far is within the limit.
      checkRowLimit(counts.read, options.maxRows);
      // The CSV parser counts field and row bytes as they arrive; Arrow and Parquet text is here whole.
      if (options.format === 'arrow' || options.format === 'parquet') checkTextLimits(raw.columns, raw.rows, input.header, options);
      // A turn of the event loop between parsing and checking a batch: each stays a short task.
      await new Promise((resolve) => setImmediate(resolve));
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

/** Per-batch context of the steps below: the batch's columns by schema name, its row numbers and faults. */
interface BatchFaults {
  readonly column: (name: string) => Data<Utf8>;
  readonly rows: Uint32Array;
  readonly tally: FaultTally;
  /** 1 for a row rejected by any check so far. */
  readonly reject: Uint8Array;
  /** Scratch: the rows one check marks. */
  readonly bad: Uint8Array;
}

/** The rows a batch keeps: those not rejected, `kept` of them. */
interface KeptRows {
  readonly reject: Uint8Array;
  readonly kept: number;
  readonly dropping: boolean;
}

/**
 * One batch through the ingest checks: attributes typed, required values checked, rejected
 * rows dropped from every column, national numbers normalised, derived attributes computed.
 */
function processBatch(raw: CsvBatch, plan: IngestPlan, columnIndex: Map<string, number>, tally: FaultTally): IngestBatch {
  const n = raw.length;
  const faults: BatchFaults = {
    column: (name) => raw.columns[columnIndex.get(name) as number],
    rows: raw.rows, tally, reject: new Uint8Array(n), bad: new Uint8Array(n),
  };
  const pending = new Map<string, Pending>();
  for (const attr of plan.attributes) pending.set(attr.name, typeAttribute(attr, faults, plan));
  for (const spec of plan.linkage) if (spec.required) markMissing(spec.name, faults.column(spec.name), faults);

  let kept = n;
  for (let i = 0; i < n; i++) kept -= faults.reject[i];
  const keep: KeptRows = { reject: faults.reject, kept, dropping: kept < n };

  const linkage = new Map<string, Data<Utf8>>();
  for (const spec of plan.linkage) linkage.set(spec.name, keepUtf8(faults.column(spec.name), keep));
  let nid: InszColumn | null = plan.nationalId === null ? null : normaliseInszColumn(faults.column(plan.nationalId));
  if (nid !== null) nid = { digits: keepFixed(nid.digits, INSZ_LENGTH, keep), status: keepFixed(nid.status, 1, keep) };
  const { attributes, dates } = keptAttributes(pending, keep);
  deriveAttributes(plan, faults.column, nid, keep, attributes, dates);
  return { length: kept, rows: keepFixed(raw.rows, 1, keep), nationalId: nid, linkage, attributes };
}

/** Types one attribute column, rejecting the rows whose value does not fit its type (or is missing when required). */
function typeAttribute(attr: AttributePlan, faults: BatchFaults, plan: IngestPlan): Pending {
  const { rows, tally, reject, bad } = faults;
  const col = faults.column(attr.name);
  const n = col.length;
  bad.fill(0);
  if (attr.type === 'number' || attr.type === 'integer') {
    const typed = attr.type === 'number' ? parseNumberColumn(col, bad) : parseIntegerColumn(col, bad);
    tally.addMarked(attr.type === 'number' ? 'not_a_number' : 'not_an_integer', attr.name, bad, rows, reject);
    if (attr.required) {
      // Empty after trimming, and not already a type fault.
      for (let i = 0; i < n; i++) bad[i] = bad[i] === 0 && !isBitSet(typed.validity, i) ? 1 : 0;
      tally.addMarked('missing_required', attr.name, bad, rows, reject);
    }
    return attr.type === 'number' ? { kind: 'float64', col: typed as TypedColumn<Float64Array> } : { kind: 'int32', col: typed as TypedColumn<Int32Array> };
  }
  if (attr.type === 'date') {
    const parsed = parseDateColumn(col, plan.dateFormats.get(attr.name)!);
    for (let i = 0; i < n; i++) bad[i] = parsed.status[i] === DATE_INVALID ? 1 : 0;
    tally.addMarked('bad_date', attr.name, bad, rows, reject);
    if (attr.required) {
      for (let i = 0; i < n; i++) bad[i] = parsed.status[i] === DATE_EMPTY ? 1 : 0;
      tally.addMarked('missing_required', attr.name, bad, rows, reject);
    }
    return { kind: 'date', ymd: parsed.ymd };
  }
  const codes = plan.codeSets.get(attr.name);
  if (codes !== undefined) {
    checkCodeColumn(col, codes, bad);
    tally.addMarked('not_in_code_list', attr.name, bad, rows, reject);
  }
  if (attr.required) markMissing(attr.name, col, faults);
  return { kind: 'utf8', data: col };
}

/** Rejects the rows of a required column that have no value. */
function markMissing(name: string, col: Data<Utf8>, faults: BatchFaults): void {
  faults.bad.fill(0);
  markNulls(col, faults.bad);
  faults.tally.addMarked('missing_required', name, faults.bad, faults.rows, faults.reject);
}

function keepUtf8(col: Data<Utf8>, keep: KeptRows): Data<Utf8> {
  return keep.dropping ? filterUtf8(col, keep.reject, keep.kept) : col;
}

function keepFixed<T extends Int32Array | Float64Array | Uint8Array | Uint32Array>(values: T, width: number, keep: KeptRows): T {
  return keep.dropping ? filterFixed(values, width, keep.reject, keep.kept) : values;
}

/** The typed attributes of the kept rows as Arrow columns, and the packed dates derivations reuse. */
function keptAttributes(pending: Map<string, Pending>, keep: KeptRows): { attributes: Map<string, Data>; dates: Map<string, Int32Array> } {
  const attributes = new Map<string, Data>();
  const dates = new Map<string, Int32Array>();
  for (const [name, p] of pending) {
    if (p.kind === 'utf8') attributes.set(name, keepUtf8(p.data, keep));
    else if (p.kind === 'date') {
      const ymd = keepFixed(p.ymd, 1, keep);
      dates.set(name, ymd);
      attributes.set(name, isoDateColumn(ymd));
    } else {
      const { values, validity, nullCount } = p.col;
      const v = keep.dropping ? filterValidity(validity, keep.reject, keep.kept) : { validity, nullCount };
      attributes.set(
        name,
        p.kind === 'float64'
          ? makeFloat64(keepFixed(values as Float64Array, 1, keep), v.validity, v.nullCount)
          : makeInt32(keepFixed(values as Int32Array, 1, keep), v.validity, v.nullCount),
      );
    }
  }
  return { attributes, dates };
}

/** Derived values come last, from kept rows only: they never reject a row themselves. */
function deriveAttributes(
  plan: IngestPlan, column: (name: string) => Data<Utf8>, nid: InszColumn | null, keep: KeptRows,
  attributes: Map<string, Data>, dates: Map<string, Int32Array>,
): void {
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
      ymd = keepFixed(parsed.ymd, 1, keep);
      dates.set(derivation.source, ymd);
    }
    attributes.set(name, derivation.fn === 'birth_year' ? deriveBirthYear(ymd) : deriveAgeOn(ymd, derivation.onDate));
  }
}
