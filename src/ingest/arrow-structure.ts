/**
 * Structural checks of a column's Arrow buffers against the rows it declares, before any value
 * is read. apache-arrow slices each buffer out of the message body with `subarray`, which
 * silently clamps a region lying past the body to a shorter (or empty) view: a 1,000-row batch
 * whose offsets buffer points 2^31 bytes past the body loads without complaint and then reads as
 * 1,000 empty values. So every buffer is checked here for the length its type and row count
 * require:
 *
 *   validity bitmap     ceil((offset + length) / 8) bytes whenever nullCount > 0
 *   fixed width         length * stride elements (Int, Float, Decimal, Date, Timestamp,
 *                       dictionary indices); Bool length bits
 *   Utf8, LargeUtf8     length + 1 offsets, the first not negative (arrow-text.ts checks the
 *                       rest: monotone, and the last within the values buffer)
 *   Utf8View            length 16-byte views (arrow-text.ts checks each view's range)
 *   Dictionary          the dictionary present, its own chunks checked; indices in range are
 *                       checked by arrow-text.ts as they are gathered
 *
 * A nullCount above the row count is damage too (a negative one has no bitmap loaded and reads
 * as no nulls, which apache-arrow's getter reports as 0).
 * Types with no text form are refused elsewhere (arrow-text.ts `unreadableType`) and skipped.
 */
import { Type, type Data, type DataType, type RecordBatch } from 'apache-arrow';
import { KoppelError } from '../errors.js';

function damaged(column: string, what: string): KoppelError {
  return new KoppelError('KOPPEL_ERR_INGEST_COLUMNAR', `Column ${column} ${what}; the file is damaged.`, { column });
}

/** Dictionaries already checked: a stream's batches share them. */
const checkedDictionaries = new WeakSet<object>();

/** Throws KOPPEL_ERR_INGEST_COLUMNAR when a buffer of `data` is too short for its declared rows. */
export function checkColumnStructure(data: Data, column: string): void {
  const n = data.length;
  const type = data.type as DataType & Record<string, unknown>;
  if (type.typeId === Type.Null) return;
  const nullCount = data.nullCount;
  if (!(nullCount >= 0 && nullCount <= n)) throw damaged(column, `declares ${nullCount} nulls in ${n} rows`);
  if (nullCount > 0 && lengthOf(data.nullBitmap) < Math.ceil((data.offset + n) / 8)) {
    throw damaged(column, `has a validity bitmap shorter than its ${n} rows`);
  }
  switch (type.typeId) {
    case Type.Utf8:
    case Type.LargeUtf8: {
      const offsets = data.valueOffsets as ArrayLike<number | bigint> | undefined;
      if (lengthOf(offsets) < n + 1) throw damaged(column, `has ${Math.max(0, lengthOf(offsets) - 1)} text offsets for ${n} rows`);
      if (n > 0 && offsets![0] < 0) throw damaged(column, 'has a negative text offset');
      return;
    }
    case Type.Utf8View:
      if (lengthOf(data.values) < n * 16) throw damaged(column, `has text views for fewer than its ${n} rows`);
      return;
    case Type.Bool:
      if (lengthOf(data.values) * 8 < n) throw damaged(column, `has values for fewer than its ${n} rows`);
      return;
    case Type.Int: case Type.Float: case Type.Decimal: case Type.Date: case Type.Timestamp:
      if (lengthOf(data.values) < n * data.stride) throw damaged(column, `has values for fewer than its ${n} rows`);
      return;
    case Type.Dictionary: {
      if (lengthOf(data.values) < n * data.stride) throw damaged(column, `has dictionary indices for fewer than its ${n} rows`);
      const dictionary = data.dictionary;
      if (dictionary === undefined || dictionary === null) throw damaged(column, 'has dictionary indices without a dictionary');
      if (!checkedDictionaries.has(dictionary)) {
        for (const chunk of dictionary.data as Data[]) checkColumnStructure(chunk, column);
        checkedDictionaries.add(dictionary);
      }
      return;
    }
    default:
      return;
  }
}

function lengthOf(buffer: ArrayLike<unknown> | null | undefined): number {
  return buffer === null || buffer === undefined ? 0 : buffer.length;
}

/**
 * Every column of a record batch that will be read: buffers that hold the rows it declares.
 * (A column node shorter than its batch cannot be seen here: apache-arrow pads it with nulls when
 * it builds the batch.)
 */
export function checkRecordStructure(record: RecordBatch, names: readonly string[], read: readonly boolean[]): void {
  const children = record.data.children as Data[];
  children.forEach((child, c) => {
    if (!read[c]) return;
    if (child.length !== record.numRows) throw damaged(names[c], `has ${child.length} rows in a record batch of ${record.numRows}`);
    checkColumnStructure(child, names[c]);
  });
}
