/**
 * The batch the CSV reader is filling: per column a growing UTF-8 value buffer and an Int32
 * offsets array, plus the row number of each committed record.
 *
 *   values[c]:  |field r0|field r1|...|field of the open record...|
 *   offsets[c]: 0, end r0, end r1, ..., end r(n-1) | end of the open record's field (if closed)
 *                                                    ^ offsets[c][nRows + 1]
 *
 * Field bytes of the open record are appended past the committed ones. `commit` makes the open
 * record row nRows; `rollback` drops it by resetting each column's length to offsets[c][nRows].
 * A full batch is handed out as Arrow `Data<Utf8>` over the same buffers (no copy) and fresh
 * buffers are started, sized from the last batch so the steady state rarely grows.
 */
import type { Data, Utf8 } from 'apache-arrow';
import { makeUtf8 } from '../util/arrow-columns.js';

export interface Utf8Batch {
  readonly length: number;
  /** Data row number of each kept row. */
  readonly rows: Uint32Array;
  /** One column per header name, in header order; empty fields are null. */
  readonly columns: readonly Data<Utf8>[];
}

const INITIAL_BYTES = 1024;

export class Utf8BatchBuilder {
  nRows = 0;
  private readonly values: Uint8Array[] = [];
  private readonly lengths: Int32Array;
  private readonly offsets: Int32Array[] = [];
  private rows: Uint32Array;

  constructor(
    readonly ncol: number,
    readonly batchRows: number,
  ) {
    this.lengths = new Int32Array(ncol);
    for (let c = 0; c < ncol; c++) {
      this.values.push(new Uint8Array(INITIAL_BYTES));
      this.offsets.push(new Int32Array(batchRows + 1));
    }
    this.rows = new Uint32Array(batchRows);
  }

  /** Append `buf[from, to)` to column `c`'s open field (c < ncol). */
  append(c: number, buf: Uint8Array, from: number, to: number): void {
    let len = this.lengths[c];
    const n = to - from;
    let v = this.values[c];
    if (len + n > v.length) v = this.grow(c, len + n);
    if (n < 16) {
      // Short fields dominate; a plain loop beats the call overhead of `set`.
      for (let k = from; k < to; k++) v[len++] = buf[k];
    } else {
      v.set(buf.subarray(from, to), len);
      len += n;
    }
    this.lengths[c] = len;
  }

  /** Close column `c`'s field of the open record (c < ncol). */
  endField(c: number): void {
    this.offsets[c][this.nRows + 1] = this.lengths[c];
  }

  /** The open record becomes a row; returns the batch when it is now full. */
  commit(row: number): Utf8Batch | null {
    this.rows[this.nRows] = row;
    this.nRows++;
    return this.nRows === this.batchRows ? this.flush() : null;
  }

  /** Forget the open record's bytes. */
  rollback(): void {
    for (let c = 0; c < this.ncol; c++) this.lengths[c] = this.offsets[c][this.nRows];
  }

  /** Hand out the committed rows (null when there are none) and start fresh buffers. Call between records. */
  flush(): Utf8Batch | null {
    const n = this.nRows;
    if (n === 0) return null;
    const columns: Data<Utf8>[] = [];
    for (let c = 0; c < this.ncol; c++) {
      const offsets = this.offsets[c];
      const validity = new Uint8Array((n + 7) >> 3);
      let nulls = 0;
      for (let r = 0; r < n; r++) {
        if (offsets[r + 1] === offsets[r]) nulls++;
        else validity[r >> 3] |= 1 << (r & 7);
      }
      const used = offsets[n];
      columns.push(makeUtf8(this.values[c].subarray(0, used), offsets.subarray(0, n + 1), n, validity, nulls));
      this.values[c] = new Uint8Array(Math.max(INITIAL_BYTES, used + (used >> 3)));
      this.offsets[c] = new Int32Array(this.batchRows + 1);
      this.lengths[c] = 0;
    }
    const batch = { length: n, rows: this.rows.subarray(0, n), columns };
    this.rows = new Uint32Array(this.batchRows);
    this.nRows = 0;
    return batch;
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
}
