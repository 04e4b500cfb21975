/**
 * The limit on data rows per delivery. Bytes do not bound rows: an Arrow column of the Null type
 * declares any number of rows in no bytes, and every row costs a pseudonym, encodings and a
 * place in staging. Readers check rows as they are declared (an Arrow record batch's length),
 * ingest checks them as they are read, so staging never holds more than the limit.
 */
import { KoppelError } from '../errors.js';

/** Throws KOPPEL_ERR_INGEST_TOO_MANY_ROWS when `rows` exceeds `maxRows` (no limit when undefined). */
export function checkRowLimit(rows: number, maxRows: number | undefined): void {
  if (maxRows === undefined || rows <= maxRows) return;
  throw new KoppelError(
    'KOPPEL_ERR_INGEST_TOO_MANY_ROWS',
    `The delivery has more than ${maxRows} data rows, the limit per delivery.`,
    { max_rows: maxRows },
  );
}
