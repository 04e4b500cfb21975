/**
 * What every upload reader (CSV, Arrow IPC, Parquet) gives the ingest stage: header names,
 * running counts and batches of Arrow Utf8 columns. A leaf of its own, so that the readers and
 * batch-source.ts, which picks one, do not import each other.
 */
import type { Utf8Batch } from './csv-batch-builder.js';

export type { Utf8Batch } from './csv-batch-builder.js';

/** Rows per batch unless the caller asks otherwise (design.md: batches of about 64k rows). */
export const DEFAULT_BATCH_ROWS = 65_536;

export interface FieldCountFault {
  readonly row: number;
  readonly expected: number;
  readonly actual: number;
}

export interface ReaderStats {
  /** Data records read, kept or rejected (trailing blank lines are not records). */
  rowsRead: number;
  rowsRejected: number;
  /** The first rejected records, with their field counts. */
  readonly fieldCountFaults: FieldCountFault[];
}

export interface Utf8BatchSource {
  /** The file's column names, in file order. */
  readonly header: readonly string[];
  /** Running counts (rows read, rows the reader itself rejected); final once `batches()` has finished. */
  readonly stats: Readonly<ReaderStats>;
  /** The data batches, one Utf8 column per header name; iterate once. Leaving early releases the source. */
  batches(): AsyncGenerator<Utf8Batch>;
  /** Release the source without reading on (e.g. when the header is refused). */
  close(): Promise<void>;
}
