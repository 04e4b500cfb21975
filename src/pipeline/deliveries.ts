/**
 * A supplier's upload, from request body to stored delivery:
 * ingest (parse, validate, harmonise) -> pseudonymise (national id -> linkage pseudonym) ->
 * store (staged Arrow files, then one atomic commit). Cleartext leaves memory with each batch.
 */
import { createHash } from 'node:crypto';
import {
  FixedSizeBinary, Float64, Int32, Uint8, Uint32, Utf8, makeData, type DataType,
} from 'apache-arrow';
import { KoppelError } from '../errors.js';
import { isPeriod, type ColumnSpec, type DatasetSchema, type Principal } from '../model.js';
import { ingestDelivery, gunzipWithinLimit, type IngestBatch, type QualityReport, type UploadFormat } from '../ingest/index.js';
import { pseudonymiseNationalIdsInSlices, PURPOSES } from '../pseudonymise/index.js';
import type { DeliveryRecord } from '../store/index.js';
import { recordBatchOf, schemaOf } from '../util/arrow-batch.js';
import { purposeKey, type PipelineContext } from './context.js';
import { recordAudit } from './audit.js';
import { encodingFields, encodingKeys, linkageColumns } from './linkage-encoding.js';
import { openUploadEncoder } from './upload-encoder.js';
import type { FieldQuality } from '../pseudonymise/encoded-source.js';
import { deliveryFormatMetadata } from './delivery-format.js';
import { OldKeyCopy, mapWindowPersons } from './key-window.js';
import { productsAfterDelivery } from './product-runs.js';

export interface UploadRequest {
  readonly principal: Principal;
  readonly dataset: string;
  readonly period: string;
  readonly body: AsyncIterable<Uint8Array>;
  readonly contentType: string;
  readonly contentEncoding?: string;
  readonly supersede: boolean;
  /** `?empty=true`: the supplier declares a period without records; the body is a header only. Default false. */
  readonly declaredEmpty?: boolean;
}

export interface UploadResult {
  readonly delivery: DeliveryRecord;
  /** false when the same bytes were already stored for this period (idempotent re-upload). */
  readonly created: boolean;
}

/** Media types of upload bodies (design.md "Upload bodies") and the reader each takes. */
export const UPLOAD_MEDIA_TYPES: Readonly<Record<string, UploadFormat>> = {
  'text/csv': 'csv',
  'application/csv': 'csv',
  'text/plain': 'csv',
  'application/vnd.apache.arrow.stream': 'arrow',
  // IANA also registers the file format's own type; the reader tells the two apart by their bytes.
  'application/vnd.apache.arrow.file': 'arrow',
  'application/vnd.apache.parquet': 'parquet',
};

/** Arrow type of an attribute in payload.arrow; ingest produces exactly these. */
export function attributeArrowType(column: ColumnSpec): DataType {
  if (column.derive !== undefined) {
    return /^\s*sex\s*\(/.test(column.derive) ? new Utf8() : new Int32();
  }
  switch (column.type) {
    case 'number': return new Float64();
    case 'integer': return new Int32();
    default: return new Utf8();
  }
}

/** payload.arrow: source row, then the attributes; marked with its format (delivery-format.ts). */
export function payloadSchema(schema: DatasetSchema) {
  const attributes = schema.columns.filter((c) => c.role === 'attribute');
  return schemaOf([{ name: 'row', type: new Uint32() }, ...attributes.map((c) => ({ name: c.name, type: attributeArrowType(c) }))], deliveryFormatMetadata());
}

/** linkage.arrow: source row, linkage pseudonym, why it is null, then the keyed encodings; marked with its format. */
export function linkageSchema(schema: DatasetSchema) {
  return schemaOf([
    { name: 'row', type: new Uint32() },
    { name: 'pseudonym', type: new FixedSizeBinary(32) },
    { name: 'national_id_status', type: new Uint8() },
    ...linkageColumns(schema).flatMap(encodingFields),
  ], deliveryFormatMetadata());
}

/** The dataset a supplier may write to, or the refusal. */
export function datasetForSupplier(ctx: PipelineContext, principal: Principal, name: string): DatasetSchema {
  const record = ctx.store.getDataset(name);
  // Another supplier's dataset answers exactly as a dataset that does not exist: a supplier
  // cannot learn which datasets others deliver.
  if (record === null || principal.role !== 'supplier' || principal.name !== record.schema.supplier) {
    throw new KoppelError('KOPPEL_ERR_SCHEMA_UNKNOWN_DATASET', `no dataset named ${name} for ${principal.id}`, { dataset: name });
  }
  return record.schema;
}

/** Counts and hashes the (decompressed) body as it streams by: idempotency is on content. */
async function* measured(source: AsyncIterable<Uint8Array>, sink: { hash: ReturnType<typeof createHash>; bytes: number }) {
  for await (const chunk of source) {
    sink.hash.update(chunk);
    sink.bytes += chunk.length;
    yield chunk;
  }
}

export async function receiveDelivery(ctx: PipelineContext, req: UploadRequest): Promise<UploadResult> {
  if (!isPeriod(req.period)) {
    // The period is not echoed: a wrong path segment may hold anything, an identifier included.
    throw new KoppelError('KOPPEL_ERR_SCHEMA_BAD_PERIOD', 'the period must be YYYY, YYYYQn or YYYY-MM', { length: req.period.length });
  }
  const schema = datasetForSupplier(ctx, req.principal, req.dataset);
  try {
    return await storeUpload(ctx, req, schema);
  } catch (err) {
    noteRefusal(ctx, req, err);
    throw err;
  }
}

/**
 * A refused upload of a known dataset and period counts in its timeliness (`rejected`): its code
 * is recorded, nothing from the body. An upload cut off by the client is not a refusal, and a
 * fault of the server (5xx) is not the supplier's.
 */
function noteRefusal(ctx: PipelineContext, req: UploadRequest, err: unknown): void {
  if (!(err instanceof KoppelError) || err.statusCode < 400 || err.statusCode > 499 || err.code === 'KOPPEL_ERR_INGEST_ABORTED') return;
  try {
    ctx.store.recordRefusedUpload(req.dataset, req.period, err.code, req.principal.id);
  } catch (recordErr) {
    ctx.log.error({ err: recordErr, dataset: req.dataset, code: err.code }, 'could not record a refused upload');
  }
}

async function storeUpload(ctx: PipelineContext, req: UploadRequest, schema: DatasetSchema): Promise<UploadResult> {
  const declaredEmpty = req.declaredEmpty === true;
  const { format, gzip } = bodyFormat(req);
  const { maxUploadBytes, maxRowsPerDelivery, maxFieldBytes, maxRowBytes, batchRows, maxRejectedShare } = ctx.config;
  // gzip is accepted for every format: Arrow IPC streams are uncompressed and shrink well; the
  // limit and the idempotency hash apply to the decompressed bytes, as for CSV. The decompressed
  // size is known to be within the limit before a row is staged (a gzip bomb stages nothing).
  const decoded = gzip ? await gunzipWithinLimit(req.body, maxUploadBytes) : req.body;
  const tally = { hash: createHash('sha256'), bytes: 0 };
  const ingest = ingestDelivery(measured(decoded, tally), schema, { format, maxBytes: maxUploadBytes, maxRows: maxRowsPerDelivery, maxFieldBytes, maxRowBytes, batchRows, maxRejectedShare });
  const keyId = ctx.keyring.currentId;
  const staging = ctx.store.stageDelivery();
  // During a key rotation window, also under the old key (key-window.ts).
  const copy = OldKeyCopy.open(ctx, keyId, schema, linkageSchema(schema), staging);
  try {
    const staged = await stageBatches(ctx, schema, keyId, ingest.batches(), staging, declaredEmpty, copy);
    const report: QualityReport & { linkage_fields: Record<string, FieldQuality> } = { ...ingest.report(), linkage_fields: staged.linkageQuality };
    checkEmptiness(report.rows_read, declaredEmpty);
    const result = ctx.store.commitDelivery(staging, {
      dataset: req.dataset,
      period: req.period,
      bodySha256: tally.hash.digest('hex'),
      keyId,
      report,
      rowsKept: staged.rowsKept,
      declaredEmpty,
      by: req.principal.id,
      supersede: req.supersede,
      withRow: copy?.claim,
    });
    if (copy !== null && !result.created) copy.discard();
    recordAudit(ctx, {
      actor: req.principal.id,
      action: result.created ? 'delivery.upload' : 'delivery.upload.repeat',
      target: result.delivery.id,
      outcome: 'ok',
      detail: { dataset: req.dataset, period: req.period, declared_empty: declaredEmpty, rows_read: report.rows_read, rows_kept: report.rows_kept, rows_rejected: report.rows_rejected, bytes: tally.bytes,
        body_sha256: result.delivery.body_sha256, files: ctx.store.deliveryAuditFiles(result.delivery) },
    });
    // During a key rotation window: the persons of this delivery gain their new-key pseudonym.
    if (copy !== null && result.created) mapWindowPersons(ctx, [result.delivery]);
    // The period may now be complete for a recurrent product (idempotent: a repeat starts nothing new).
    productsAfterDelivery(ctx, result.delivery);
    return result;
  } catch (err) {
    staging.abort();
    copy?.discard();
    throw err;
  }
}

/**
 * A delivery without data rows is refused unless declared empty: a header-only file is more
 * often an export gone wrong than a period without records, and a current 0-row delivery would
 * stand in for the real one. A declared-empty upload with rows contradicts itself.
 */
function checkEmptiness(rowsRead: number, declaredEmpty: boolean): void {
  if (rowsRead === 0 && !declaredEmpty) {
    throw new KoppelError('KOPPEL_ERR_INGEST_EMPTY', 'The upload has a header but no data rows; send ?empty=true to declare a period without records.', { rows_read: 0 });
  }
  if (rowsRead > 0 && declaredEmpty) {
    throw new KoppelError('KOPPEL_ERR_INGEST_NOT_EMPTY', `The upload was declared empty but has ${rowsRead} data rows.`, { rows_read: rowsRead });
  }
}

/** The reader an upload's `Content-Type` asks for, and whether its `Content-Encoding` is gzip. */
function bodyFormat(req: UploadRequest): { format: UploadFormat; gzip: boolean } {
  const mediaType = req.contentType.split(';')[0].trim().toLowerCase();
  const format = Object.hasOwn(UPLOAD_MEDIA_TYPES, mediaType) ? UPLOAD_MEDIA_TYPES[mediaType] : undefined;
  if (format === undefined) {
    throw new KoppelError(
      'KOPPEL_ERR_INGEST_UNSUPPORTED_MEDIA',
      `content type ${mediaType || '(none)'} is not supported for uploads; send text/csv, application/vnd.apache.arrow.stream or application/vnd.apache.parquet`,
      { contentType: mediaType },
    );
  }
  const encoding = (req.contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new KoppelError('KOPPEL_ERR_INGEST_UNSUPPORTED_MEDIA', `content encoding ${encoding} is not supported; send gzip or no encoding`, { contentEncoding: encoding });
  }
  return { format, gzip: encoding === 'gzip' };
}

/**
 * Pseudonymises and encodes each ingested batch and writes it to the staged linkage and payload
 * files; the cleartext national numbers are overwritten once their pseudonyms are made. A
 * batch's encoding (on the encode worker, upload-encoder.ts) overlaps the parsing of the next
 * one; batches are written in order, and at most two are in hand.
 */
async function stageBatches(
  ctx: PipelineContext, schema: DatasetSchema, keyId: string, batches: AsyncIterable<IngestBatch>, staging: ReturnType<PipelineContext['store']['stageDelivery']>,
  declaredEmpty: boolean, copy: OldKeyCopy | null,
): Promise<{ rowsKept: number; linkageQuality: Record<string, FieldQuality> }> {
  const linkKey = purposeKey(ctx, PURPOSES.nationalId, keyId);
  const linkageSpec = linkageSchema(schema);
  const encoder = openUploadEncoder(ctx, linkageColumns(schema), encodingKeys(ctx, keyId));
  const linkageQuality: Record<string, FieldQuality> = {};
  const payload = payloadSchema(schema);
  const linkageSink = staging.linkageWriter(linkageSpec);
  const payloadSink = staging.payloadWriter(payload);
  let rowsKept = 0;
  let written: Promise<void> = Promise.resolve();
  try {
    for await (const batch of batches) {
      // A batch's steps (ingest's checks, the national numbers' HMACs, the copy to the encode
      // worker) chain as microtasks: turns of the event loop between them keep each task short,
      // so other requests (and the other uploads) are served while a body streams in.
      await nextTurn();
      // Refused at the first row rather than after reading the whole body.
      if (declaredEmpty) checkEmptiness(batch.length, true);
      const n = batch.length;
      const rows = makeData({ type: new Uint32(), length: n, data: batch.rows });
      const status = batch.nationalId === null ? new Uint8Array(n).fill(1) : batch.nationalId.status;
      const digits = batch.nationalId === null ? new Uint8Array(n * 11) : batch.nationalId.digits;
      const pseudonyms = await pseudonymiseNationalIdsInSlices(linkKey, digits, status, nextTurn);
      copy?.pseudonymise(digits, status);
      // The cleartext digits are not needed past this point: overwrite them.
      batch.nationalId?.digits.fill(0);
      const encodings = encoder.encodeBatch(batch.linkage, linkageQuality);
      // If the batch before failed, this one is never awaited: its failure is not unhandled.
      encodings.catch(() => undefined);
      await written;
      written = encodings.then(async (encoded) => {
        await copy?.write(batch, rows, status, pseudonyms, {});
        await linkageSink.write(recordBatchOf(linkageSpec, [rows, pseudonyms, makeData({ type: new Uint8(), length: n, data: status }), ...encoded]));
        await payloadSink.write(recordBatchOf(payload, [rows, ...payload.fields.slice(1).map((f) => attributeOf(batch, f.name))]));
        rowsKept += n;
        ctx.log.debug({ dataset: schema.name, rows: rowsKept }, 'delivery batch stored');
      });
      // Awaited at the next batch or the end; until then its failure must not count as unhandled.
      written.catch(() => undefined);
    }
    await written;
  } catch (err) {
    // Nothing may still write into the staging that the caller is about to remove.
    await written.catch(() => undefined);
    throw err;
  } finally {
    await encoder.close();
  }
  await linkageSink.close();
  await copy?.close();
  await payloadSink.close();
  return { rowsKept, linkageQuality };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function attributeOf(batch: IngestBatch, name: string) {
  const data = batch.attributes.get(name);
  if (data === undefined) throw new Error(`ingest produced no column ${name}`);
  return data;
}

/** Operators see every delivery; a supplier only its own datasets' deliveries. */
export function readDeliveryFor(ctx: PipelineContext, principal: Principal, id: string): DeliveryRecord {
  const delivery = ctx.store.getDelivery(id);
  if (delivery !== null) {
    if (principal.role === 'operator') return delivery;
    const dataset = ctx.store.getDataset(delivery.dataset);
    if (principal.role === 'supplier' && dataset !== null && dataset.schema.supplier === principal.name) return delivery;
  }
  throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no delivery ${id} visible to ${principal.id}`, { delivery: id });
}
