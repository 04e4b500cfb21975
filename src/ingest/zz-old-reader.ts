/**
 * Streaming CSV reader: byte chunks in, Arrow Utf8 columns out, in batches of rows.
 *
 * Dialect (RFC 4180, made lenient where suppliers' tools differ):
 * - UTF-8 (a BOM is dropped); delimiter `,`, `;` or tab, detected from the header (csv-header.ts)
 *   unless given; records end with LF, CRLF or a bare CR.
 * - A quote opens a quoted field only at the start of a field; inside it `""` is one quote and
 *   delimiters and line ends are data. Bytes after the closing quote, or a quote in the middle of
 *   an unquoted field, are kept as data rather than failing the delivery.
 * - An empty field, quoted or not, is null: CSV cannot tell an empty string from a missing value,
 *   and every later stage treats both as "no value".
 * - A line with no bytes at all is not data when only such lines follow it (the blank lines
 *   editors leave at the end). Anywhere else it is a record of one empty field, so in a
 *   multi-column file it is rejected and counted like any other short row.
 *
 * Faults: a record with the wrong number of fields is rejected and counted (the first ten keep
 * their row number, expected and actual count); the reader goes on. An empty body, an unclosed
 * quote at the end, bytes that are not UTF-8 and a body over the size limit fail the whole
 * delivery with a KoppelError naming the row and column, never a value.
 *
 * Row numbers are 1-based data record numbers: row 1 is the first record after the header.
 *
 * The state machine is resumable at every byte, so a chunk boundary may fall anywhere (inside a
 * quoted field, between CR and LF, between `"` and `"`). Field bytes go straight into the
 * current batch's column buffers (doubling as they fill); a rejected record is rolled back by
 * resetting each column's length to the last committed offset.
 */
import type { Data, Utf8 } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import { makeUtf8 } from './arrow-columns.js';
import { limitBytes, transcodeLatin1 } from './body-decoding.js';
import { CR, DELIMITERS, LF, QUOTE, readHeaderRecord } from './csv-header.js';
import { Utf8Guard } from './utf8-guard.js';

export const DEFAULT_BATCH_ROWS = 65_536;
/** First-record bytes without a line end before the reader gives up on finding a header. */
export const MAX_HEADER_BYTES = 1 << 20;
const FIRST_FAULTS_KEPT = 10;

export type CsvDelimiter = ',' | ';' | '\t';

export interface CsvParserOptions {
  readonly delimiter?: CsvDelimiter;
  readonly batchRows?: number;
}

export interface CsvOptions extends CsvParserOptions {
  /** Limit on the bytes read from `source` (before any transcoding). */
  readonly maxBytes: number;
  /** `utf-8` (default) or `latin1` (read as windows-1252, transcoded to UTF-8). */
  readonly encoding?: 'utf-8' | 'latin1';
}

export interface CsvBatch {
  readonly length: number;
  /** Data row number of each kept row. */
  readonly rows: Uint32Array;
  /** One column per header name, in header order; empty fields are null. */
  readonly columns: readonly Data<Utf8>[];
}

export interface FieldCountFault {
  readonly row: number;
  readonly expected: number;
  readonly actual: number;
}

export interface CsvStats {
  /** Data records read, kept or rejected (trailing blank lines are not records). */
  rowsRead: number;
  rowsRejected: number;
  /** The first rejected records, with their field counts. */
  readonly fieldCountFaults: FieldCountFault[];
}

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_SEEN = 3;

const BOM = [0xef, 0xbb, 0xbf];

/**
 * The synchronous core: `push` chunks, `end`, and collect `takeBatches()`. `openCsv` drives it
 * from an async source; a caller holding a whole file in memory may use it directly.
 */
export class CsvParser {
  header: string[] | null = null;
  delimiter = 0;
  readonly stats: CsvStats = { rowsRead: 0, rowsRejected: 0, fieldCountFaults: [] };

  private readonly batchRows: number;
  private readonly givenDelimiter: number | undefined;
  private readonly guard = new Utf8Guard();
  private ready: CsvBatch[] = [];
  private ended = false;

  // Header phase: bytes collected until the first record is complete.
  private headBuf: Uint8Array | null = new Uint8Array(4096);
  private headLen = 0;

  // Record state, resumable between chunks.
  private ncol = 0;
  private state = FIELD_START;
  private skipLF = false;
  private fieldIndex = 0;
  private currentRow = 0;
  private nextRow = 1;
  private pendingBlank = 0;
  private quoteRow = 0;
  private quoteColumn = 0;

  // The batch being filled.
  private values: Uint8Array[] = [];
  private lengths: Int32Array = new Int32Array(0);
  private offsets: Int32Array[] = [];
  private rows: Uint32Array = new Uint32Array(0);
  private nRows = 0;

  constructor(options: CsvParserOptions = {}) {
    this.batchRows = Math.max(1, Math.floor(options.batchRows ?? DEFAULT_BATCH_ROWS));
    this.givenDelimiter = options.delimiter === undefined ? undefined : DELIMITERS[options.delimiter];
  }

  /** Completed batches since the last call. */
  takeBatches(): CsvBatch[] {
    const out = this.ready;
    this.ready = [];
    return out;
  }

  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error('CsvParser.push after end');
    if (chunk.length === 0) return;
    if (this.header === null) {
      this.pushHeaderBytes(chunk);
      return;
    }
    this.parseChecked(chunk);
  }

  end(): void {
    if (this.ended) return;
    if (this.header === null) {
      if (!this.tryHeader(true)) throw new KoppelError('KOPPEL_ERR_INGEST_EMPTY', 'The upload has no header row.', {});
    }
    this.ended = true;
    if (!this.guard.finish()) this.encodingError();
    if (this.state === QUOTED) {
      throw new KoppelError(
        'KOPPEL_ERR_INGEST_UNTERMINATED_QUOTE',
        `A quoted field opened in row ${this.quoteRow}, column ${this.quoteColumn} is never closed.`,
        this.position(this.quoteRow, this.quoteColumn),
      );
    }
    if (this.state !== FIELD_START || this.fieldIndex > 0) this.endRow();
    // Blank lines still pending here are trailing: not records.
    this.pendingBlank = 0;
    if (this.nRows > 0) this.emitBatch();
  }

  // ---- header phase ------------------------------------------------------------------------

  private pushHeaderBytes(chunk: Uint8Array): void {
    let buf = this.headBuf as Uint8Array;
    if (this.headLen + chunk.length > buf.length) {
      const grown = new Uint8Array(Math.max(buf.length * 2, this.headLen + chunk.length));
      grown.set(buf.subarray(0, this.headLen));
      buf = this.headBuf = grown;
    }
    buf.set(chunk, this.headLen);
    this.headLen += chunk.length;
    if (!this.tryHeader(false) && this.headLen > MAX_HEADER_BYTES) {
      throw new KoppelError('KOPPEL_ERR_INGEST_HEADER', `No header row ends within the first ${MAX_HEADER_BYTES} bytes.`, {
        max_header_bytes: MAX_HEADER_BYTES,
      });
    }
  }

  /** Parse the header once it is complete, then feed the bytes after it to the record parser. */
  private tryHeader(atEof: boolean): boolean {
    const buf = this.headBuf as Uint8Array;
    const len = this.headLen;
    let start = 0;
    if (len < 3 && !atEof && isPrefixOfBom(buf, len)) return false;
    if (len >= 3 && buf[0] === BOM[0] && buf[1] === BOM[1] && buf[2] === BOM[2]) start = 3;
    while (start < len && (buf[start] === LF || buf[start] === CR)) start++;
    if (start === len) return false;
    const rec = readHeaderRecord(buf, start, len, atEof, this.givenDelimiter);
    if (rec === null) return false;
    this.header = rec.names;
    this.delimiter = rec.delimiter;
    this.startColumns(rec.names.length);
    this.skipLF = rec.endedWithCR;
    this.headBuf = null;
    if (rec.next < len) this.parseChecked(buf.subarray(rec.next, len));
    return true;
  }

  private startColumns(ncol: number): void {
    this.ncol = ncol;
    this.lengths = new Int32Array(ncol);
    this.values = [];
    this.offsets = [];
    for (let c = 0; c < ncol; c++) {
      this.values.push(new Uint8Array(1024));
      this.offsets.push(new Int32Array(this.batchRows + 1));
    }
    this.rows = new Uint32Array(this.batchRows);
  }

  // ---- record phase ------------------------------------------------------------------------

  private parseChecked(chunk: Uint8Array): void {
    const bad = this.guard.check(chunk);
    this.parse(chunk, bad < 0 ? chunk.length : bad);
    if (bad >= 0) this.encodingError();
  }

  private parse(buf: Uint8Array, end: number): void {
    const delim = this.delimiter;
    let state = this.state;
    let i = 0;
    while (i < end) {
      if (state === FIELD_START) {
        const b = buf[i];
        if (this.skipLF) {
          this.skipLF = false;
          if (b === LF) {
            i++;
            continue;
          }
        }
        if (this.fieldIndex === 0) {
          if (b === LF || b === CR) {
            this.pendingBlank++;
            this.skipLF = b === CR;
            i++;
            continue;
          }
          this.startRow();
        }
        if (b === QUOTE) {
          state = QUOTED;
          this.quoteRow = this.currentRow;
          this.quoteColumn = this.fieldIndex + 1;
          i++;
          continue;
        }
        if (b === delim) {
          this.endField();
          i++;
          continue;
        }
        if (b === LF || b === CR) {
          this.endRow();
          this.skipLF = b === CR;
          i++;
          continue;
        }
        state = UNQUOTED;
      }
      if (state === UNQUOTED) {
        let j = i;
        while (j < end) {
          const b = buf[j];
          if (b === delim || b === LF || b === CR) break;
          j++;
        }
        if (j > i) this.append(buf, i, j);
        if (j === end) {
          i = j;
          break;
        }
        const b = buf[j];
        i = j + 1;
        state = FIELD_START;
        if (b === delim) this.endField();
        else {
          this.endRow();
          this.skipLF = b === CR;
        }
        continue;
      }
      if (state === QUOTED) {
        const j = buf.indexOf(QUOTE, i);
        if (j < 0 || j >= end) {
          this.append(buf, i, end);
          i = end;
          break;
        }
        if (j > i) this.append(buf, i, j);
        i = j + 1;
        state = QUOTE_SEEN;
        continue;
      }
      // QUOTE_SEEN: `""` is a literal quote; anything else closed the field's quotes.
      if (buf[i] === QUOTE) {
        this.append(buf, i, i + 1);
        i++;
        state = QUOTED;
      } else state = UNQUOTED;
    }
    this.state = state;
  }

  private startRow(): void {
    if (this.pendingBlank > 0) this.flushBlankLines();
    this.currentRow = this.nextRow++;
  }

  private append(buf: Uint8Array, from: number, to: number): void {
    const c = this.fieldIndex;
    if (c >= this.ncol) return; // surplus field: the record will be rejected
    let len = this.lengths[c];
    const n = to - from;
    let v = this.values[c];
    if (len + n > v.length) v = this.grow(c, len + n);
    if (n < 16) {
      for (let k = from; k < to; k++) v[len++] = buf[k];
    } else {
      v.set(buf.subarray(from, to), len);
      len += n;
    }
    this.lengths[c] = len;
  }

  private grow(c: number, needed: number): Uint8Array {
    const old = this.values[c];
    let size = old.length * 2;
    while (size < needed) size *= 2;
    const v = new Uint8Array(size);
    v.set(old.subarray(0, this.lengths[c]));
    this.values[c] = v;
    return v;
  }

  private endField(): void {
    const c = this.fieldIndex;
    if (c < this.ncol) this.offsets[c][this.nRows + 1] = this.lengths[c];
    this.fieldIndex = c + 1;
  }

  private endRow(): void {
    this.endField();
    const actual = this.fieldIndex;
    this.fieldIndex = 0;
    this.stats.rowsRead++;
    if (actual === this.ncol) this.commit(this.currentRow);
    else this.reject(this.currentRow, actual);
  }

  /** Blank lines followed by a record are records of one empty field. */
  private flushBlankLines(): void {
    const blanks = this.pendingBlank;
    this.pendingBlank = 0;
    for (let k = 0; k < blanks; k++) {
      const row = this.nextRow++;
      this.stats.rowsRead++;
      if (this.ncol === 1) {
        this.offsets[0][this.nRows + 1] = this.lengths[0];
        this.commit(row);
      } else this.reject(row, 1);
    }
  }

  private commit(row: number): void {
    this.rows[this.nRows] = row;
    this.nRows++;
    if (this.nRows === this.batchRows) this.emitBatch();
  }

  private reject(row: number, actual: number): void {
    const stats = this.stats;
    stats.rowsRejected++;
    if (stats.fieldCountFaults.length < FIRST_FAULTS_KEPT) stats.fieldCountFaults.push({ row, expected: this.ncol, actual });
    for (let c = 0; c < this.ncol; c++) this.lengths[c] = this.offsets[c][this.nRows];
  }

  /** Hand the filled buffers to a batch and start fresh ones (the batch owns what it was given). */
  private emitBatch(): void {
    const n = this.nRows;
    const columns: Data<Utf8>[] = [];
    for (let c = 0; c < this.ncol; c++) {
      const offsets = this.offsets[c];
      const validity = new Uint8Array((n + 7) >> 3);
      let nulls = 0;
      for (let r = 0; r < n; r++) {
        if (offsets[r + 1] === offsets[r]) nulls++;
        else validity[r >> 3] |= 1 << (r & 7);
      }
      const used = this.lengths[c];
      columns.push(makeUtf8(this.values[c].subarray(0, used), offsets.subarray(0, n + 1), n, validity, nulls));
      // Size the next batch's buffer from this one, so steady state rarely grows.
      this.values[c] = new Uint8Array(Math.max(1024, used + (used >> 3)));
      this.offsets[c] = new Int32Array(this.batchRows + 1);
      this.lengths[c] = 0;
    }
    this.ready.push({ length: n, rows: this.rows.subarray(0, n), columns });
    this.rows = new Uint32Array(this.batchRows);
    this.nRows = 0;
  }

  // ---- errors ------------------------------------------------------------------------------

  /** Row and column of the byte being read, with the column's name (names are not values). */
  private position(row: number, column: number): { row: number; column: number; column_name?: string } {
    const name = this.header?.[column - 1];
    return name === undefined ? { row, column } : { row, column, column_name: name };
  }

  private encodingError(): never {
    const atRowStart = this.state === FIELD_START && this.fieldIndex === 0;
    const row = atRowStart ? this.nextRow + this.pendingBlank : this.currentRow;
    const column = this.fieldIndex + 1;
    throw new KoppelError('KOPPEL_ERR_INGEST_ENCODING', `The file is not valid UTF-8 at row ${row}, column ${column}.`, this.position(row, column));
  }
}

function isPrefixOfBom(buf: Uint8Array, len: number): boolean {
  for (let k = 0; k < len; k++) if (buf[k] !== BOM[k]) return false;
  return true;
}

export interface CsvStream {
  readonly header: readonly string[];
  /** The delimiter in use, detected or given. */
  readonly delimiter: CsvDelimiter;
  /** Running counts; final once `batches()` has finished. */
  readonly stats: Readonly<CsvStats>;
  /** The data batches; iterate once. Leaving early releases the source. */
  batches(): AsyncGenerator<CsvBatch>;
}

/**
 * Read the header from `source`, then stream its records in batches. Fails with
 * KOPPEL_ERR_INGEST_EMPTY, _UNTERMINATED_QUOTE, _ENCODING or _TOO_LARGE as described above.
 */
export async function openCsv(source: AsyncIterable<Uint8Array>, options: CsvOptions): Promise<CsvStream> {
  const limited = limitBytes(source, options.maxBytes);
  const it = (options.encoding === 'latin1' ? transcodeLatin1(limited) : limited)[Symbol.asyncIterator]();
  const parser = new CsvParser(options);
  let done = false;
  try {
    while (parser.header === null) {
      const r = await it.next();
      if (r.done) {
        done = true;
        parser.end();
        break;
      }
      parser.push(r.value);
    }
  } catch (err) {
    await it.return?.(undefined);
    throw err;
  }
  const delimiter = (Object.keys(DELIMITERS) as CsvDelimiter[]).find((d) => DELIMITERS[d] === parser.delimiter) ?? ',';
  let started = false;
  async function* batches(): AsyncGenerator<CsvBatch> {
    if (started) throw new Error('CsvStream.batches() can be iterated only once');
    started = true;
    try {
      yield* parser.takeBatches();
      while (!done) {
        const r = await it.next();
        if (r.done) {
          done = true;
          parser.end();
        } else parser.push(r.value);
        yield* parser.takeBatches();
      }
    } finally {
      if (!done) {
        done = true;
        await it.return?.(undefined);
      }
    }
  }
  return { header: parser.header as string[], delimiter, stats: parser.stats, batches };
}
