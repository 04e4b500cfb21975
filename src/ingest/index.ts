/**
 * The ingest stage: upload bytes (CSV, Arrow IPC, Parquet) -> validated, typed Arrow batches and
 * a quality report.
 * Pure library: the caller supplies the bytes as an AsyncIterable and owns all I/O.
 */
export { ingestDelivery, DEFAULT_MAX_REJECTED_SHARE, type DeliveryIngest, type IngestBatch, type IngestOptions } from './ingest-delivery.js';
export { compileIngestSchema, validateIngestSchema, type IngestPlan } from './ingest-schema.js';
export { validateDerivations, DERIVE_FUNCTIONS, type Derivation } from './derivations.js';
export { openCsv, type CsvOptions, type CsvStream } from './csv-reader.js';
export { CsvParser, type CsvBatch, type CsvDelimiter } from './csv-parser.js';
export { DEFAULT_BATCH_ROWS } from './utf8-batch-source.js';
export type { ReaderStats } from './utf8-batch-source.js';
export { gunzipStream, gunzipWithinLimit, limitBytes, latin1ToUtf8, transcodeLatin1 } from './body-decoding.js';
export { openBatchSource, sniffUploadFormat, UPLOAD_FORMATS, type BatchSourceOptions, type UploadFormat, type Utf8BatchSource } from './batch-source.js';
export { openArrowIpc, openParquet, type ColumnarOptions } from './columnar-reader.js';
export { textOf, unreadableType } from './arrow-text.js';
export type { TextContext } from './text-builder.js';
export {
  normaliseInsz,
  normaliseInszBytes,
  normaliseInszColumn,
  inszSex,
  inszBirthYear,
  INSZ_VALID,
  INSZ_MISSING,
  INSZ_MALFORMED,
  INSZ_BAD_DATE,
  INSZ_BAD_CHECK,
  INSZ_STATUS_NAMES,
  INSZ_LENGTH,
  type InszColumn,
  type InszStatusName,
} from './insz.js';
export { compileDateFormat, parseDateColumn, parseDateBytes, type DateFormat } from './date-format.js';
export { FAULT_REASONS, type FaultReason, type QualityFault, type QualityReport } from './quality-report.js';
