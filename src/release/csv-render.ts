/**
 * Render an Arrow table as CSV, streaming: an async generator of Buffer chunks of about
 * `chunkBytes`, built batch by batch straight from the column buffers (no string per row).
 *
 * Format (RFC 4180):
 *  - a header row of column names, then one line per row; lines end in CRLF (`\r\n`), as
 *    RFC 4180 section 2 specifies and spreadsheet programs expect; the last line ends too;
 *  - a field is quoted when it contains `,`, `"`, CR or LF, with `"` doubled inside;
 *  - null is an empty field; the empty string is `""`, so the two stay distinguishable.
 *  - numbers (ints and floats) are written as plain numbers; non-finite floats
 *    (NaN, Infinity) as an empty field, as CSV has no spelling for them that every reader
 *    accepts; booleans as `true` / `false`; dates as `YYYY-MM-DD`; timestamps as ISO 8601.
 *
 * Formula injection (OWASP "CSV Injection"): spreadsheet programs execute a cell starting with
 * `=`, `+`, `-`, `@`, tab or CR as a formula. Every TEXT cell (and header name) that starts
 * with one of them is prefixed with a single quote `'`, which makes the spreadsheet show it as
 * text. Numeric columns are not prefixed: `-3` there is a number, which is what the column means.
 */
import { DataType, DateUnit, Vector, type Data, type RecordBatch, type Schema, type Table } from 'apache-arrow';
import { CsvSink } from './csv-sink.js';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';

export interface CsvSource {
  readonly schema: Schema;
  readonly batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>;
}

export interface CsvOptions {
  /** Target size of each yielded chunk (default 64 KiB). */
  readonly chunkBytes?: number;
}

type CellWriter = (row: number) => void;

const encoder = new TextEncoder();

/** Render `source` (a Table, or a schema plus batches, e.g. from a RecordBatchReader). */
export async function* renderCsv(source: Table | CsvSource, options: CsvOptions = {}): AsyncGenerator<Buffer> {
  const chunkBytes = Math.max(1024, options.chunkBytes ?? 65536);
  const sink = new CsvSink(chunkBytes);
  const fields = source.schema.fields;
  for (let c = 0; c < fields.length; c++) {
    if (c > 0) sink.byte(0x2c);
    const name = encoder.encode(fields[c].name);
    sink.text(name, 0, name.length);
  }
  sink.lineEnd();
  const dictionaryCache = new Map<unknown, EncodedDictionary>();
  for await (const batch of source.batches) {
    const writers: CellWriter[] = [];
    for (let c = 0; c < fields.length; c++) writers.push(cellWriter(batch.data.children[c], sink, dictionaryCache));
    const rows = batch.numRows;
    for (let row = 0; row < rows; row++) {
      for (let c = 0; c < writers.length; c++) {
        if (c > 0) sink.byte(0x2c);
        writers[c](row);
      }
      sink.lineEnd();
      if (sink.full()) yield sink.take();
    }
  }
  if (sink.length > 0) yield sink.take();
}

/** Collect the whole CSV into one Buffer (small tables and tests). */
export async function renderCsvToBuffer(source: Table | CsvSource, options?: CsvOptions): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of renderCsv(source, options)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function validityOf(data: Data): (row: number) => boolean {
  const bitmap = validityBitmap(data);
  if (bitmap === null) return () => true;
  const offset = data.offset;
  return (row) => isBitSet(bitmap, offset + row);
}

/** Per dictionary entry, the ready-escaped field bytes (null entries as -1 length). */
interface EncodedDictionary {
  readonly bytes: Uint8Array;
  readonly offsets: Int32Array;
  readonly isNull: Uint8Array;
}

function encodeDictionary(dictionary: Vector): EncodedDictionary {
  const scratch = new CsvSink(4096);
  const offsets = new Int32Array(dictionary.length + 1);
  const isNull = new Uint8Array(dictionary.length);
  const numeric = DataType.isInt(dictionary.type) || DataType.isFloat(dictionary.type);
  // Dictionaries are small (code lists): one string per entry is fine here.
  for (let i = 0; i < dictionary.length; i++) {
    const value: unknown = dictionary.get(i);
    if (value === null || value === undefined) isNull[i] = 1;
    else if (numeric) scratch.number(Number(value));
    else {
      const bytes = encoder.encode(String(value));
      scratch.text(bytes, 0, bytes.length);
    }
    offsets[i + 1] = scratch.length;
  }
  return { bytes: scratch.take(), offsets, isNull };
}

function cellWriter(data: Data, sink: CsvSink, dictionaries: Map<unknown, EncodedDictionary>): CellWriter {
  const type = data.type;
  const valid = validityOf(data);
  if (DataType.isUtf8(type)) {
    const offsets = data.valueOffsets as Int32Array;
    const values = data.values as Uint8Array;
    return (row) => { if (valid(row)) sink.text(values, offsets[row], offsets[row + 1]); };
  }
  if (DataType.isDictionary(type)) {
    let encoded = dictionaries.get(data.dictionary);
    if (encoded === undefined) {
      encoded = encodeDictionary(data.dictionary!);
      dictionaries.set(data.dictionary, encoded);
    }
    const { bytes, offsets, isNull } = encoded;
    const indices = data.values as ArrayLike<number>;
    return (row) => {
      if (!valid(row)) return;
      const e = Number(indices[row]);
      if (isNull[e] === 0) sink.bytes(bytes, offsets[e], offsets[e + 1]);
    };
  }
  if (DataType.isInt(type) || (DataType.isFloat(type) && type.precision !== 0)) {
    const values = data.values as ArrayLike<number | bigint>;
    return (row) => { if (valid(row)) sink.number(values[row]); };
  }
  if (DataType.isBool(type)) {
    const bits = data.values as Uint8Array;
    const offset = data.offset;
    return (row) => {
      if (!valid(row)) return;
      const bit = offset + row;
      sink.boolean(isBitSet(bits, bit));
    };
  }
  if (DataType.isDate(type)) {
    const values = data.values as ArrayLike<number | bigint>;
    const perDay = type.unit === DateUnit.DAY;
    return (row) => {
      if (!valid(row)) return;
      const v = Number(values[row]);
      sink.date(perDay ? v : Math.floor(v / 86_400_000));
    };
  }
  if (DataType.isTimestamp(type)) {
    const values = data.values as ArrayLike<number | bigint>;
    const perMs = [1000, 1, 1e-3, 1e-6][type.unit];
    const utc = type.timezone !== null && type.timezone !== undefined && type.timezone !== '';
    return (row) => { if (valid(row)) sink.timestamp(Math.floor(Number(values[row]) * perMs), utc); };
  }
  // Rare types (decimal, time, binary, nested, ...): apache-arrow's own formatting, as text.
  const vector = new Vector([data]);
  return (row) => {
    if (!valid(row)) return;
    const bytes = encoder.encode(String(vector.get(row)));
    sink.text(bytes, 0, bytes.length);
  };
}
