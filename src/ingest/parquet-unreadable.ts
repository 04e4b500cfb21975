/** The refusal of a Parquet body that cannot be decoded: the decoder's and its worker's one wording. */
import { KoppelError } from '../errors.js';

export function parquetUnreadable(where: 'footer' | 'data'): KoppelError {
  const what = where === 'footer' ? 'it has no valid Parquet footer' : 'it is truncated or damaged';
  return new KoppelError('KOPPEL_ERR_INGEST_COLUMNAR', `The body is not a readable Parquet file: ${what}.`, { format: 'Parquet file' });
}
