/**
 * Arrow IPC and Parquet uploads as header names plus Utf8 batches (batch-source.ts), so the rest
 * of ingest cannot tell them from CSV.
 *
 * - Arrow IPC stream (`0xFFFFFFFF` continuation marker first): read message by message as the
 *   body arrives (apache-arrow's async stream reader); never held whole. The stream must end with
 *   its end-of-stream marker and nothing after it, so a body cut off at a batch boundary is
 *   refused as truncated rather than stored short. Legacy streams (before Arrow 0.15, no
 *   continuation marker) are refused.
 * - Arrow IPC file (`ARROW1` first): the format's footer is at the end, so the body is collected
 *   (up to the upload limit) and read from memory.
 * - Parquet: the decoder needs random access too; the body is collected up to the limit, then
 *   decoded in a worker thread (parquet-decoder.ts) row group by row group, `batchRows` rows at
 *   a time, each batch crossing over as a small IPC stream.
 *
 * Every column is turned into the text ingest reads from CSV by arrow-text.ts; dates and
 * timestamps are written in the date format of the schema column they land in, so a
 * `DD/MM/YYYY` column reads them as well as `YYYY-MM-DD`. A column type with no text form
 * refuses the delivery (KOPPEL_ERR_INGEST_COLUMN_TYPE) before any data is read; a body that is
 * not Arrow or Parquet, or is truncated or damaged (a buffer too short for the rows its batch
 * declares: arrow-structure.ts), refuses it with KOPPEL_ERR_INGEST_COLUMNAR.
 * Parser messages are never passed on: only what went wrong, where, in names and counts.
 */
import { RecordBatchReader, Utf8, makeData, type Data, type RecordBatch, type Schema } from 'apache-arrow';
import { KoppelError, isKoppelError } from '../errors.js';
import { unreadableType, textOf } from './arrow-text.js';
import { DEFAULT_BATCH_ROWS, type ReaderStats, type Utf8Batch, type Utf8BatchSource } from './utf8-batch-source.js';
import { limitBytes } from './body-decoding.js';
import { checkedIpcStream } from './ipc-framing.js';
import type { DateFormat } from './date-format.js';
import { decodeParquet } from './parquet-decoder.js';
import { checkRowLimit } from './row-limit.js';
import { checkRecordStructure } from './arrow-structure.js';

export interface ColumnarOptions {
  /** Limit on the bytes read from the source. */
  readonly maxBytes: number;
  readonly batchRows?: number;
  /** Limit on data rows (row-limit.ts), checked against each record batch's declared length before it is read. */
  readonly maxRows?: number;
  /** Date format per column name (trimmed), for dates and timestamps landing in that column. */
  readonly dateFormats?: ReadonlyMap<string, DateFormat>;
  /** Heap limit of the Parquet decoder's worker, in MB (default `PARQUET_HEAP_MB`). */
  readonly parquetHeapMb?: number;
  /**
   * Only these columns (trimmed names) are read; the others are neither type-checked nor
   * converted and come through as all-null columns. For a caller that ignores a file's extra
   * columns (`koppel link`), so a column it never reads, of any type, cannot refuse the file.
   */
  readonly columns?: ReadonlySet<string>;
}

const ARROW_MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"
const EOS = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];

function unreadable(what: string, message: string): KoppelError {
  return new KoppelError('KOPPEL_ERR_INGEST_COLUMNAR', `The body is not a readable ${what}: ${message}.`, { format: what });
}

function emptyBody(): KoppelError {
  return new KoppelError('KOPPEL_ERR_INGEST_EMPTY', 'The upload has no data.', {});
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (bytes[k] !== prefix[k]) return false;
  return true;
}

/**
 * The upload's chunks for apache-arrow: the consumer may stop early (at the end-of-stream
 * marker) without closing the body, so the rest can still be drained and hashed. Remembers the
 * last bytes seen, and whether an error came from the body rather than from parsing it.
 */
class Body {
  readonly tail = new Uint8Array(8);
  tailLength = 0;
  sourceError: unknown = null;
  private pending: Uint8Array[] = [];
  private done = false;

  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  /** The first `n` bytes (fewer at the end of the body), without consuming them. */
  async peek(n: number): Promise<Uint8Array> {
    let have = this.pending.reduce((s, c) => s + c.length, 0);
    while (have < n) {
      const chunk = await this.pull();
      if (chunk === null) break;
      this.pending.push(chunk);
      have += chunk.length;
    }
    const head = new Uint8Array(Math.min(n, have));
    let at = 0;
    for (const c of this.pending) {
      if (at === head.length) break;
      const take = Math.min(c.length, head.length - at);
      head.set(c.subarray(0, take), at);
      at += take;
    }
    return head;
  }

  async *chunks(): AsyncGenerator<Uint8Array> {
    while (this.pending.length > 0) yield this.pending.shift() as Uint8Array;
    for (;;) {
      const chunk = await this.pull();
      if (chunk === null) return;
      yield chunk;
    }
  }

  /** Read to the end; returns the bytes no consumer saw. */
  async drain(): Promise<number> {
    let left = this.pending.reduce((s, c) => s + c.length, 0);
    this.pending = [];
    for (let chunk = await this.pull(); chunk !== null; chunk = await this.pull()) left += chunk.length;
    return left;
  }

  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.it.return?.(undefined);
  }

  endsWith(suffix: readonly number[]): boolean {
    if (this.tailLength < suffix.length) return false;
    const from = this.tailLength - suffix.length;
    for (let k = 0; k < suffix.length; k++) if (this.tail[from + k] !== suffix[k]) return false;
    return true;
  }

  private async pull(): Promise<Uint8Array | null> {
    if (this.done) return null;
    let r: IteratorResult<Uint8Array>;
    try {
      r = await this.it.next();
    } catch (err) {
      this.sourceError = err;
      this.done = true;
      throw err;
    }
    if (r.done) {
      this.done = true;
      return null;
    }
    this.remember(r.value);
    return r.value;
  }

  private remember(chunk: Uint8Array): void {
    const t = this.tail;
    if (chunk.length >= 8) {
      t.set(chunk.subarray(chunk.length - 8));
      this.tailLength = 8;
      return;
    }
    const keep = Math.min(this.tailLength, 8 - chunk.length);
    t.copyWithin(0, this.tailLength - keep, this.tailLength);
    t.set(chunk, keep);
    this.tailLength = keep + chunk.length;
  }
}

/** Read an Arrow IPC stream (or file) upload. Fails with KOPPEL_ERR_INGEST_EMPTY, _COLUMNAR or _TOO_LARGE. */
export async function openArrowIpc(source: AsyncIterable<Uint8Array>, options: ColumnarOptions): Promise<Utf8BatchSource> {
  const body = new Body(limitBytes(source, options.maxBytes)[Symbol.asyncIterator]());
  let what = 'Arrow IPC stream';
  try {
    const head = await body.peek(8);
    if (head.length === 0) throw emptyBody();
    const isFile = startsWith(head, ARROW_MAGIC);
    if (isFile) what = 'Arrow IPC file';
    if (!isFile && !startsWith(head, EOS.slice(0, 4))) throw unreadable(what, 'it starts with neither the stream continuation marker nor the file magic ARROW1');
    const reader = await RecordBatchReader.from(checkedIpcStream(body.chunks(), isFile, (why) => unreadable(what, why)));
    await reader.open();
    const schema = reader.schema as Schema | undefined;
    if (schema === undefined || schema === null) throw unreadable(what, 'it has no schema message');
    async function* batches(): AsyncGenerator<RecordBatch> {
      yield* reader as AsyncIterable<RecordBatch>;
      // apache-arrow stops at the end-of-stream marker; whatever follows was never read.
      const after = await body.drain();
      if (isFile ? !body.endsWith(ARROW_MAGIC) : !body.endsWith(EOS) || after > 0) {
        throw unreadable(what, after > 0 ? 'bytes follow its end-of-stream marker' : 'it is truncated (no end-of-stream marker)');
      }
    }
    return fromRecordBatches(schema, batches(), options, (err) => mapError(err, body, what), () => body.close());
  } catch (err) {
    await body.close();
    throw mapError(err, body, what);
  }
}

/** Read a Parquet upload. Fails with KOPPEL_ERR_INGEST_EMPTY, _COLUMNAR or _TOO_LARGE. */
export async function openParquet(source: AsyncIterable<Uint8Array>, options: ColumnarOptions): Promise<Utf8BatchSource> {
  // The footer is at the end and the decoder seeks: the body has to be whole (up to the limit).
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of limitBytes(source, options.maxBytes)) {
    chunks.push(chunk);
    total += chunk.length;
  }
  if (total === 0) throw emptyBody();
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  chunks.length = 0;
  const batchRows = Math.max(1, Math.floor(options.batchRows ?? DEFAULT_BATCH_ROWS));
  const decoding = await decodeParquet(bytes, batchRows, options.parquetHeapMb);
  // The decoder already says what is the file's fault (KoppelErrors) and what is not.
  return fromRecordBatches(decoding.schema, decoding.batches(), { ...options, batchRows }, (err) => err, () => decoding.close());
}

/** apache-arrow's errors are the file's fault; the body's own (a client that went away) are not. */
function mapError(err: unknown, body: Body, what: string): unknown {
  if (isKoppelError(err) || body.sourceError === err) return err;
  return unreadable(what, 'it is truncated or damaged');
}

function fromRecordBatches(
  schema: Schema,
  records: AsyncGenerator<RecordBatch>,
  options: ColumnarOptions,
  mapReadError: (err: unknown) => unknown,
  release: () => Promise<void>,
): Utf8BatchSource {
  const header = schema.fields.map((f) => f.name);
  const stats: ReaderStats = { rowsRead: 0, rowsRejected: 0, fieldCountFaults: [] };
  const batchRows = Math.max(1, Math.floor(options.batchRows ?? DEFAULT_BATCH_ROWS));
  const names = header.map((name) => name.trim());
  const formats = names.map((name) => options.dateFormats?.get(name));
  const read = header.map((name) => options.columns === undefined || options.columns.has(name.trim()));
  const skipped = new Map<number, Data<Utf8>>();
  const allNull = (length: number): Data<Utf8> => {
    let data = skipped.get(length);
    if (data === undefined) {
      data = makeData({ type: new Utf8(), length, nullCount: length, nullBitmap: new Uint8Array((length + 7) >> 3), valueOffsets: new Int32Array(length + 1), data: new Uint8Array(0) });
      skipped.set(length, data);
    }
    return data;
  };
  let started = false;
  let closed = false;

  async function* batches(): AsyncGenerator<Utf8Batch> {
    if (started) throw new Error('Utf8BatchSource.batches() can be iterated only once');
    started = true;
    try {
      // Checked here, after the caller matched the header, so the column named is a schema column.
      schema.fields.forEach((field, c) => {
        const why = read[c] ? unreadableType(field.type) : null;
        if (why !== null) {
          throw new KoppelError('KOPPEL_ERR_INGEST_COLUMN_TYPE', `Column ${field.name.trim()} is ${why}, which cannot be read as a value.`, { column: field.name.trim() });
        }
      });
      for (;;) {
        let r: IteratorResult<RecordBatch>;
        try {
          r = await records.next();
        } catch (err) {
          throw mapReadError(err);
        }
        if (r.done) break;
        const record = r.value;
        // A record batch's length is only declared: refuse before reading a row of it.
        checkRowLimit(stats.rowsRead + record.numRows, options.maxRows);
        const children = record.data.children as Data[];
        checkRecordStructure(record, names, read);
        for (let start = 0; start < record.numRows; start += batchRows) {
          const length = Math.min(batchRows, record.numRows - start);
          const first = stats.rowsRead + 1;
          const rows = new Uint32Array(length);
          for (let i = 0; i < length; i++) rows[i] = first + i;
          const columns = children.map((child, c) => {
            if (!read[c]) return allNull(length);
            const slice = start === 0 && length === child.length ? child : child.slice(start, length);
            return textOf(slice, { column: header[c].trim(), firstRow: first, dateFormat: formats[c] });
          });
          stats.rowsRead += length;
          yield { length, rows, columns };
        }
      }
    } finally {
      await close();
    }
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    await records.return(undefined).catch(() => undefined);
    await release();
  }

  return { header, stats, batches, close };
}
