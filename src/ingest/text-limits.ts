/**
 * Limits on the bytes of one field and of one row, in every format. A name is a few dozen
 * bytes; one of 100 MiB cost 49 s of the event loop and 4 GB of memory to parse and encode. The
 * CSV parser counts bytes as a field grows (so it never holds more than the limit of one field);
 * Arrow and Parquet text, already in memory as a record batch, is checked per batch before any
 * stage reads it. Errors name the row and column, never a value.
 */
import type { Data, Utf8 } from 'apache-arrow';
import { KoppelError, type ErrorDetails } from '../errors.js';

export const DEFAULT_MAX_FIELD_BYTES = 64 * 1024;
export const DEFAULT_MAX_ROW_BYTES = 1024 * 1024;

export interface TextLimits {
  /** Bytes of one field's text; default 64 KiB. */
  readonly maxFieldBytes?: number;
  /** Bytes of one row's text, all fields together; default 1 MiB. */
  readonly maxRowBytes?: number;
}

/** `column` is the column's name where the header gives one, else its 1-based number. */
export function fieldTooLarge(row: number, column: string | number, maxFieldBytes: number): KoppelError {
  const details: ErrorDetails = typeof column === 'number' ? { row, column, max_field_bytes: maxFieldBytes } : { row, column_name: column, max_field_bytes: maxFieldBytes };
  return new KoppelError('KOPPEL_ERR_INGEST_FIELD_TOO_LARGE', `The value in row ${row}, column ${column} is longer than the limit of ${maxFieldBytes} bytes per field.`, details);
}

export function rowTooLarge(row: number, maxRowBytes: number): KoppelError {
  return new KoppelError('KOPPEL_ERR_INGEST_ROW_TOO_LARGE', `Row ${row} is longer than the limit of ${maxRowBytes} bytes per row.`, { row, max_row_bytes: maxRowBytes });
}

/** Bytes of the CSV field and record being read, refused as soon as either passes its limit. */
export class RecordBytes {
  field = 0;
  row = 0;
  private readonly maxField: number;
  private readonly maxRow: number;

  constructor(limits: TextLimits) {
    this.maxField = limits.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
    this.maxRow = limits.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES;
  }

  /** `k` more bytes of row `row`, column `column` (its name, or its number past the header). */
  add(k: number, row: number, column: string | number): void {
    this.field += k;
    this.row += k;
    if (this.field > this.maxField) throw fieldTooLarge(row, column, this.maxField);
    if (this.row > this.maxRow) throw rowTooLarge(row, this.maxRow);
  }
}

/**
 * Throws KOPPEL_ERR_INGEST_FIELD_TOO_LARGE or _ROW_TOO_LARGE for the first row of a batch of
 * text columns (offsets from 0, as ingest's readers make them) over a limit. `rows` are the
 * batch's row numbers; `names` the columns' names.
 */
export function checkTextLimits(columns: readonly Data<Utf8>[], rows: Uint32Array, names: readonly string[], limits: TextLimits): void {
  const maxField = limits.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
  const maxRow = limits.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES;
  const n = rows.length;
  // Whole columns first: most batches are far below both limits and end here.
  let total = 0;
  for (const col of columns) total += col.valueOffsets[col.length] - col.valueOffsets[0];
  if (total <= maxField && total <= maxRow) return;
  const rowBytes = new Float64Array(n);
  columns.forEach((col, c) => {
    const o = col.valueOffsets;
    for (let i = 0; i < n; i++) {
      const len = o[i + 1] - o[i];
      if (len > maxField) throw fieldTooLarge(rows[i], names[c], maxField);
      rowBytes[i] += len;
    }
  });
  for (let i = 0; i < n; i++) if (rowBytes[i] > maxRow) throw rowTooLarge(rows[i], maxRow);
}
