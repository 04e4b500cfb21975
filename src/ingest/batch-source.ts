/**
 * The seam between reading an upload and validating it: every upload format (CSV, Arrow IPC,
 * Parquet) becomes header names plus batches of Arrow Utf8 columns, so header matching, INSZ
 * validation, attribute typing, derivations, row rejection and the quality report are one code
 * path (ingest-delivery.ts) whatever the supplier sent.
 */
import { openArrowIpc, openParquet } from './columnar-reader.js';
import type { Utf8Batch } from './csv-batch-builder.js';
import { openCsv, type CsvOptions } from './csv-reader.js';
import type { Utf8BatchSource } from './utf8-batch-source.js';
import type { DateFormat } from './date-format.js';

export type { Utf8BatchSource } from './utf8-batch-source.js';

/** Upload formats ingest reads. */
export const UPLOAD_FORMATS = ['csv', 'arrow', 'parquet'] as const;
export type UploadFormat = (typeof UPLOAD_FORMATS)[number];


/** Options of every reader; each uses what applies to its format. */
export interface BatchSourceOptions extends CsvOptions {
  /** Default `csv`. */
  readonly format?: UploadFormat;
  /** Arrow and Parquet: date format per column name, for dates and timestamps landing there. */
  readonly dateFormats?: ReadonlyMap<string, DateFormat>;
  /** Arrow and Parquet: read only these columns (see columnar-reader.ts); CSV reads every column as text anyway. */
  readonly columns?: ReadonlySet<string>;
}

/** Open the reader for `options.format`; each fails with its own KoppelErrors (see the readers). */
export async function openBatchSource(source: AsyncIterable<Uint8Array>, options: BatchSourceOptions): Promise<Utf8BatchSource> {
  switch (options.format ?? 'csv') {
    case 'arrow': return openArrowIpc(source, options);
    case 'parquet': return openParquet(source, options);
    default: return openCsv(source, options);
  }
}

/**
 * The format a file's first bytes show: `PAR1` is Parquet, `ARROW1` (file) or the IPC
 * continuation marker 0xFFFFFFFF (stream) is Arrow, anything else is taken for CSV.
 */
export function sniffUploadFormat(head: Uint8Array): UploadFormat {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31) return 'parquet';
  if (head.length >= 6 && String.fromCharCode(...head.subarray(0, 6)) === 'ARROW1') return 'arrow';
  if (head.length >= 4 && head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff) return 'arrow';
  return 'csv';
}
