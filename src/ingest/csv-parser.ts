/**
 * The CSV state machine: byte chunks in, Arrow Utf8 columns out, in batches of rows
 * (csv-reader.ts drives it). Dialect: RFC 4180, lenient where suppliers' tools differ:
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
 * quote at the end, bytes that are not UTF-8 and a field or record over its byte limit
 * (text-limits.ts) fail the whole delivery with a KoppelError naming the row and column, never a
 * value. Row numbers are 1-based data record numbers: row 1 is the first record after the header.
 * The state machine is resumable at every byte, so a chunk boundary may fall anywhere (inside a
 * quoted field, between CR and LF, between `"` and `"`). Field bytes go straight into the
 * current batch's column buffers (csv-batch-builder.ts); a rejected record is rolled back.
 */
import { KoppelError } from '../errors.js';
import { CR, DELIMITERS, HeaderCollector, LF, QUOTE, type HeaderStart } from './csv-header.js';
import { DEFAULT_BATCH_ROWS, type ReaderStats } from './utf8-batch-source.js';
import { Utf8BatchBuilder, type Utf8Batch } from './csv-batch-builder.js';
import { Utf8Guard } from './utf8-guard.js';
import { RecordBytes, type TextLimits } from './text-limits.js';

const FIRST_FAULTS_KEPT = 10;

export type CsvDelimiter = ',' | ';' | '\t';

export interface CsvParserOptions extends TextLimits {
  readonly delimiter?: CsvDelimiter;
  readonly batchRows?: number;
}

export type CsvBatch = Utf8Batch;

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_SEEN = 3;

/**
 * The synchronous core: `push` chunks, `end`, and collect `takeBatches()`. `openCsv` drives it
 * from an async source; a caller holding a whole file in memory may use it directly.
 */
export class CsvParser {
  header: string[] | null = null;
  delimiter = 0;
  readonly stats: ReaderStats = { rowsRead: 0, rowsRejected: 0, fieldCountFaults: [] };

  private readonly batchRows: number;
  private readonly guard = new Utf8Guard();
  private readonly bytes: RecordBytes;
  private ready: CsvBatch[] = [];
  private ended = false;

  /** Collects the first bytes until the header record is complete; null after. */
  private head: HeaderCollector | null;

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

  /** The batch being filled; replaced once the header gives the column count. */
  private batch = new Utf8BatchBuilder(0, 1);

  constructor(options: CsvParserOptions = {}) {
    this.batchRows = Math.max(1, Math.floor(options.batchRows ?? DEFAULT_BATCH_ROWS));
    this.bytes = new RecordBytes(options);
    this.head = new HeaderCollector(options.delimiter === undefined ? undefined : DELIMITERS[options.delimiter]);
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
    if (this.head === null) this.parseChecked(chunk);
    else {
      const head = this.head.push(chunk);
      if (head !== null) this.startRecords(head);
    }
  }

  end(): void {
    if (this.ended) return;
    if (this.head !== null) {
      const head = this.head.finish();
      if (head === null) throw new KoppelError('KOPPEL_ERR_INGEST_EMPTY', 'The upload has no header row.', {});
      this.startRecords(head);
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
    const last = this.batch.flush();
    if (last !== null) this.ready.push(last);
  }

  private startRecords(head: HeaderStart): void {
    this.header = head.names;
    this.delimiter = head.delimiter;
    this.ncol = head.names.length;
    this.batch = new Utf8BatchBuilder(this.ncol, this.batchRows);
    this.skipLF = head.endedWithCR;
    this.head = null;
    if (head.rest.length > 0) this.parseChecked(head.rest);
  }

  private parseChecked(chunk: Uint8Array): void {
    const bad = this.guard.check(chunk);
    this.parse(chunk, bad < 0 ? chunk.length : bad);
    if (bad >= 0) this.encodingError();
  }

  /** Reads `buf[0, end)`: one step per state, each returning where the next one starts. */
  private parse(buf: Uint8Array, end: number): void {
    let i = 0;
    while (i < end) {
      const state = this.state;
      if (state === FIELD_START) i = this.fieldStart(buf, i);
      else if (state === UNQUOTED) i = this.unquoted(buf, i, end);
      else if (state === QUOTED) i = this.quoted(buf, i, end);
      else i = this.quoteSeen(buf, i);
    }
  }

  /**
   * At the start of a field: the LF of a CRLF, blank lines before a record, an opening quote,
   * an empty field or the end of a record. Anything else starts an unquoted field (not consumed).
   */
  private fieldStart(buf: Uint8Array, i: number): number {
    const b = buf[i];
    if (this.skipLF) {
      this.skipLF = false;
      if (b === LF) return i + 1;
    }
    if (this.fieldIndex === 0) {
      if (b === LF || b === CR) {
        this.pendingBlank++;
        this.skipLF = b === CR;
        return i + 1;
      }
      this.startRow();
    }
    if (b === QUOTE) {
      this.state = QUOTED;
      this.quoteRow = this.currentRow;
      this.quoteColumn = this.fieldIndex + 1;
      return i + 1;
    }
    if (b === this.delimiter) {
      this.endField();
      return i + 1;
    }
    if (b === LF || b === CR) {
      this.endRow();
      this.skipLF = b === CR;
      return i + 1;
    }
    this.state = UNQUOTED;
    return i;
  }

  /** Field bytes up to a delimiter or line end (the hot loop: most bytes are read here). */
  private unquoted(buf: Uint8Array, i: number, end: number): number {
    const delim = this.delimiter;
    let j = i;
    while (j < end) {
      const b = buf[j];
      if (b === delim || b === LF || b === CR) break;
      j++;
    }
    if (j > i) this.append(buf, i, j);
    if (j === end) return end;
    const b = buf[j];
    this.state = FIELD_START;
    if (b === delim) this.endField();
    else {
      this.endRow();
      this.skipLF = b === CR;
    }
    return j + 1;
  }

  /** Inside quotes: delimiters and line ends are data up to the next quote. */
  private quoted(buf: Uint8Array, i: number, end: number): number {
    const j = buf.indexOf(QUOTE, i);
    if (j < 0 || j >= end) {
      this.append(buf, i, end);
      return end;
    }
    if (j > i) this.append(buf, i, j);
    this.state = QUOTE_SEEN;
    return j + 1;
  }

  /** After a quote inside quotes: `""` is a literal quote; anything else closed the field's quotes. */
  private quoteSeen(buf: Uint8Array, i: number): number {
    if (buf[i] === QUOTE) {
      this.append(buf, i, i + 1);
      this.state = QUOTED;
      return i + 1;
    }
    this.state = UNQUOTED;
    return i;
  }

  private startRow(): void {
    if (this.pendingBlank > 0) this.flushBlankLines();
    this.currentRow = this.nextRow++;
  }

  private append(buf: Uint8Array, from: number, to: number): void {
    this.bytes.add(to - from, this.currentRow, this.header?.[this.fieldIndex] ?? this.fieldIndex + 1);
    // A surplus field is not stored: its record will be rejected.
    if (this.fieldIndex < this.ncol) this.batch.append(this.fieldIndex, buf, from, to);
  }

  private endField(): void {
    this.bytes.field = 0;
    const c = this.fieldIndex;
    if (c < this.ncol) this.batch.endField(c);
    this.fieldIndex = c + 1;
  }

  private endRow(): void {
    this.endField();
    const actual = this.fieldIndex;
    this.fieldIndex = 0;
    this.bytes.row = 0;
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
        this.batch.endField(0);
        this.commit(row);
      } else this.reject(row, 1);
    }
  }

  private commit(row: number): void {
    const full = this.batch.commit(row);
    if (full !== null) this.ready.push(full);
  }

  private reject(row: number, actual: number): void {
    const stats = this.stats;
    stats.rowsRejected++;
    if (stats.fieldCountFaults.length < FIRST_FAULTS_KEPT) stats.fieldCountFaults.push({ row, expected: this.ncol, actual });
    this.batch.rollback();
  }

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
