/** The column shape the joins and the stored-file readers share. */
/**
 * One column of pseudonyms, in the shape of an apache-arrow `Data<FixedSizeBinary>`:
 * `{ pseudonyms: data.values, valid: data.nullBitmap, offset: data.offset, length: data.length }`.
 *
 * As in apache-arrow, `pseudonyms` is already sliced (row i is at bytes [32 i, 32 i + 32)),
 * while the validity bitmap is shared with the parent and row i is bit `offset + i`
 * (LSB first). `valid` null or empty means every row is valid. Null rows hold zeros.
 */
export interface PseudonymColumn {
  readonly pseudonyms: Uint8Array;
  readonly valid: Uint8Array | null;
  readonly offset?: number;
  readonly length: number;
}
