/**
 * links.csv and clusters.csv of `koppel link` (design.md job-file contract), written from the
 * engine's typed arrays and the sources' record ids as raw UTF-8 bytes: no string per row.
 *
 * The ids of a file's rows come from each source in an order of their own (a cluster's records
 * of the second source sit anywhere in it), so each source's ids are first gathered into file
 * order (`gatherUtf8`, cache-friendly radix passes) and then read front to back. Each file is
 * written to a temporary name, fsynced and renamed, so a failed run leaves no half-written file.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LINK_DETERMINISTIC, type LinkTable } from '../link/index.js';
/** A source's record ids, back to back (`local-sources.ts`). */
export type IdColumn = Utf8Rows;
import { gatherUtf8, type Utf8Rows } from '../util/utf8-gather.js';
import { groupByKey } from '../util/group-by-key.js';

const utf8 = new TextEncoder();
const LF = 0x0a;

/** A buffered byte writer over a file descriptor: rows are assembled from bytes, not strings. */
export class ByteWriter {
  /** The buffer and its fill: hot loops write rows here directly after `reserve`. */
  readonly buf = Buffer.allocUnsafe(1 << 20);
  at = 0;
  constructor(private readonly fd: number) {}

  /** Makes room for `n` bytes at `at` (n at most the buffer's size); returns false if it cannot. */
  reserve(n: number): boolean {
    if (this.at + n > this.buf.length) this.flush();
    return n <= this.buf.length;
  }

  text(s: string): void {
    if (this.at + s.length * 3 > this.buf.length) this.flush();
    if (s.length * 3 > this.buf.length) { writeSync(this.fd, s); return; }
    this.at += this.buf.write(s, this.at);
  }

  /** Bytes `src[start, end)` (a byte loop: rows are short, and no view is made per call). */
  copy(src: Uint8Array, start = 0, end = src.length): void {
    if (this.at + (end - start) > this.buf.length) {
      this.flush();
      if (end - start > this.buf.length) { writeSync(this.fd, src, start, end - start); return; }
    }
    const buf = this.buf;
    let at = this.at;
    for (let i = start; i < end; i++) buf[at++] = src[i];
    this.at = at;
  }

  byte(b: number): void {
    if (this.at === this.buf.length) this.flush();
    this.buf[this.at++] = b;
  }

  /** A CSV field from raw UTF-8 bytes (trimmed of spaces and tabs), quoted when it needs to be. */
  field(bytes: Uint8Array, start: number, end: number): void {
    while (start < end && (bytes[start] === 0x20 || bytes[start] === 0x09)) start++;
    while (end > start && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09)) end--;
    let quote = false;
    for (let i = start; i < end; i++) { const c = bytes[i]; if (c === 0x2c || c === 0x22 || c === 0x0a || c === 0x0d) { quote = true; break; } }
    if (!quote) { this.copy(bytes, start, end); return; }
    if ((end - start) * 2 + 2 > this.buf.length) { this.text(csvText(Buffer.from(bytes.subarray(start, end)).toString('utf8'))); return; }
    if (this.at + (end - start) * 2 + 2 > this.buf.length) this.flush();
    this.buf[this.at++] = 0x22;
    for (let i = start; i < end; i++) { if (bytes[i] === 0x22) this.buf[this.at++] = 0x22; this.buf[this.at++] = bytes[i]; }
    this.buf[this.at++] = 0x22;
  }

  flush(): void {
    if (this.at > 0) writeSync(this.fd, this.buf, 0, this.at);
    this.at = 0;
  }
}

export function writeAtomically(dir: string, name: string, body: (w: ByteWriter) => void): string {
  const final = join(dir, name);
  const temp = join(dir, `.${name}.${process.pid}.tmp`);
  const fd = openSync(temp, 'w', 0o640);
  try {
    const w = new ByteWriter(fd);
    body(w);
    w.flush();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, final);
  return final;
}

export function csvText(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * True when no id of the column has a byte that `ByteWriter.field` would trim or quote (space,
 * tab, comma, quote, CR, LF): then every id is written as a plain byte copy. One pass over the
 * id bytes instead of checks per id written.
 */
export function isPlain(ids: Utf8Rows): boolean {
  const v = ids.values;
  // All six bytes are below 0x2d: four bytes at a time, a word with no byte below 0x2d is
  // skipped ((x - 0x2d..) & ~x & 0x80.. is zero exactly then, for bytes below 0x80; bytes from
  // 0x80 up, UTF-8 beyond ASCII, have their top bit cleared by ~x). Others are looked at byte
  // by byte.
  let i = 0;
  const head = Math.min(v.length, (4 - (v.byteOffset & 3)) & 3);
  for (; i < head; i++) if (special(v[i])) return false;
  const count = (v.byteOffset + i) % 4 === 0 ? (v.length - i) >>> 2 : 0;
  const words = new Int32Array(v.buffer, v.byteOffset + i - ((v.byteOffset + i) % 4), count);
  for (let w = 0; w < words.length; w++) {
    const x = words[w];
    if (((x - 0x2d2d2d2d) & ~x & 0x80808080) === 0) continue;
    const at = i + w * 4;
    if (special(v[at]) || special(v[at + 1]) || special(v[at + 2]) || special(v[at + 3])) return false;
  }
  for (i += words.length * 4; i < v.length; i++) if (special(v[i])) return false;
  return true;
}

/** Space, tab, comma, quote, CR or LF: what a CSV field must trim or quote. */
function special(c: number): boolean {
  return c <= 0x2c && (c === 0x2c || c === 0x22 || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d);
}

/** The source of global record `g` (offsets[s] <= g < offsets[s + 1]). */
function locate(offsets: Int32Array, g: number): number {
  let lo = 0; let hi = offsets.length - 2;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (offsets[mid] <= g) lo = mid; else hi = mid - 1; }
  return lo;
}

/** True when the id of `x` sorts after the id of `y` (numerically when both are integers). */
function idAfter(ids: IdColumn, x: number, y: number): boolean {
  const a = Buffer.from(ids.values.subarray(ids.offsets[x], ids.offsets[x + 1])).toString('utf8').trim();
  const b = Buffer.from(ids.values.subarray(ids.offsets[y], ids.offsets[y + 1])).toString('utf8').trim();
  if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) return BigInt(a) > BigInt(b);
  return a > b;
}

/**
 * Reads one source's ids in a file's row order: `rows` are the source's records in the order
 * the file needs them. Already ascending rows are read in place (sequential anyway), others
 * gathered first.
 */
class IdCursor {
  readonly column: Utf8Rows;
  /** Rows to read in turn, or null when the column is already in file order. */
  readonly rows: Int32Array | null;
  k = 0;

  constructor(ids: IdColumn, rows: Int32Array, readonly plain: boolean) {
    let ascending = true;
    for (let i = 1; i < rows.length && ascending; i++) if (rows[i] < rows[i - 1]) ascending = false;
    this.column = ascending ? ids : gatherUtf8(ids, rows);
    this.rows = ascending ? rows : null;
  }

  /** Writes the next id. */
  writeNext(w: ByteWriter): void {
    const k = this.k++;
    const row = this.rows === null ? k : this.rows[k];
    const { values, offsets } = this.column;
    if (this.plain) w.copy(values, offsets[row], offsets[row + 1]);
    else w.field(values, offsets[row], offsets[row + 1]);
  }
}

/** Splits (source, row) pairs by source, keeping their order: the rows each source gives, in turn. */
function rowsBySource(sourceOf: Uint8Array, rowOf: Int32Array, sources: number): Int32Array[] {
  const counts = new Int32Array(sources);
  for (let i = 0; i < sourceOf.length; i++) counts[sourceOf[i]]++;
  const out = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(sources);
  for (let i = 0; i < sourceOf.length; i++) { const s = sourceOf[i]; out[s][fill[s]++] = rowOf[i]; }
  return out;
}

/** Per source: whether all its ids can be copied as they are (see `isPlain`). */
export function plainIds(ids: readonly IdColumn[]): boolean[] {
  return ids.map(isPlain);
}

/** What the writers need of a `LinkResult` (links.csv: links and offsets; clusters.csv: clusters and offsets). */
export interface LinkedRecords {
  /** Global numbering: source s's records are offsets[s] .. offsets[s+1]. */
  readonly offsets: Int32Array;
  readonly links: LinkTable;
  readonly clusters: Int32Array;
  readonly clusterCount: number;
}

export function writeLinks(w: ByteWriter, result: Pick<LinkedRecords, 'links' | 'offsets'>, names: readonly string[], ids: readonly IdColumn[], plain: readonly boolean[], dedupe: boolean): void {
  w.text('left_source,left_id,right_source,right_id,match_probability,match_weight,method\n');
  const { links, offsets } = result;
  const n = links.length;
  const S = names.length;
  const leftSource = new Uint8Array(n); const leftRow = new Int32Array(n);
  const rightSource = new Uint8Array(n); const rightRow = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let ls = locate(offsets, links.left[i]); let la = links.left[i] - offsets[ls];
    let rs = locate(offsets, links.right[i]); let rb = links.right[i] - offsets[rs];
    // Left source first in job order; within one source (deduplication) the smaller id first.
    if (rs < ls || (dedupe && rs === ls && idAfter(ids[ls], la, rb))) { const s = ls; ls = rs; rs = s; const a = la; la = rb; rb = a; }
    leftSource[i] = ls; leftRow[i] = la; rightSource[i] = rs; rightRow[i] = rb;
  }
  const left = rowsBySource(leftSource, leftRow, S).map((rows, s) => new IdCursor(ids[s], rows, plain[s]));
  const right = rowsBySource(rightSource, rightRow, S).map((rows, s) => new IdCursor(ids[s], rows, plain[s]));
  const leftName = names.map((x) => utf8.encode(`${csvText(x)},`));
  const rightName = names.map((x) => utf8.encode(`,${csvText(x)},`));
  const deterministic = utf8.encode(',1,,deterministic\n');
  const longestNames = Math.max(...leftName.map((b) => b.length)) + Math.max(...rightName.map((b) => b.length));
  for (let i = 0; i < n; i++) {
    const l = left[leftSource[i]]; const r = right[rightSource[i]];
    if (links.method[i] === LINK_DETERMINISTIC && l.plain && r.plain) {
      // The common row, a deterministic link between plain ids, is copied byte by byte.
      const lrow = l.rows === null ? l.k : l.rows[l.k];
      const rrow = r.rows === null ? r.k : r.rows[r.k];
      const lo = l.column.offsets; const ro = r.column.offsets;
      if (w.reserve(longestNames + (lo[lrow + 1] - lo[lrow]) + (ro[rrow + 1] - ro[rrow]) + deterministic.length)) {
        l.k++; r.k++;
        const buf = w.buf;
        let at = w.at;
        const ln = leftName[leftSource[i]];
        for (let j = 0; j < ln.length; j++) buf[at++] = ln[j];
        const lv = l.column.values;
        for (let j = lo[lrow]; j < lo[lrow + 1]; j++) buf[at++] = lv[j];
        const rn = rightName[rightSource[i]];
        for (let j = 0; j < rn.length; j++) buf[at++] = rn[j];
        const rv = r.column.values;
        for (let j = ro[rrow]; j < ro[rrow + 1]; j++) buf[at++] = rv[j];
        for (let j = 0; j < deterministic.length; j++) buf[at++] = deterministic[j];
        w.at = at;
        continue;
      }
    }
    w.copy(leftName[leftSource[i]]);
    l.writeNext(w);
    w.copy(rightName[rightSource[i]]);
    r.writeNext(w);
    if (links.method[i] === LINK_DETERMINISTIC) w.copy(deterministic);
    else w.text(`,${links.probability[i].toFixed(6)},${links.weight[i].toFixed(3)},probabilistic\n`);
  }
}

/** A decimal counter kept as ASCII digits: cluster ids ascend by one, so no division per row. */
class DecimalCounter {
  private readonly digits = new Uint8Array(16).fill(0x30);
  private first = 15;

  constructor() { this.digits[15] = 0x31; }

  increment(): void {
    let i = 15;
    while (this.digits[i] === 0x39) this.digits[i--] = 0x30;
    this.digits[i]++;
    if (i < this.first) this.first = i;
  }

  writeTo(w: ByteWriter): void {
    w.copy(this.digits, this.first, 16);
  }

  /** Writes the digits into `buf` at `at` (room checked by the caller); returns the new end. */
  put(buf: Uint8Array, at: number): number {
    for (let i = this.first; i < 16; i++) buf[at++] = this.digits[i];
    return at;
  }
}

export function writeClusters(w: ByteWriter, result: Pick<LinkedRecords, 'clusters' | 'clusterCount' | 'offsets'>, names: readonly string[], ids: readonly IdColumn[], plain: readonly boolean[]): void {
  w.text('cluster_id,source,id\n');
  const { clusters, clusterCount, offsets } = result;
  const S = names.length;
  // Records grouped by cluster, clusters numbered from 1.
  const { start, order } = groupByKey(clusters, clusterCount);
  const sourceOf = new Uint8Array(order.length);
  const rowOf = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) { const s = locate(offsets, order[k]); sourceOf[k] = s; rowOf[k] = order[k] - offsets[s]; }
  const cursors = rowsBySource(sourceOf, rowOf, S).map((rows, s) => new IdCursor(ids[s], rows, plain[s]));
  const nameBytes = names.map((x) => utf8.encode(`,${csvText(x)},`));
  const id = new DecimalCounter();
  const longestName = Math.max(...nameBytes.map((b) => b.length));
  for (let c = 0; c < clusterCount; c++) {
    for (let k = start[c]; k < start[c + 1]; k++) {
      const s = sourceOf[k];
      const cursor = cursors[s];
      const { values, offsets: o } = cursor.column;
      const row = cursor.rows === null ? cursor.k : cursor.rows[cursor.k];
      const from = o[row]; const to = o[row + 1];
      // The common row, `cluster,source,plain id`, is copied byte by byte into the buffer.
      if (cursor.plain && w.reserve(16 + longestName + (to - from) + 1)) {
        cursor.k++;
        const buf = w.buf;
        let at = w.at;
        at = id.put(buf, at);
        const name = nameBytes[s];
        for (let i = 0; i < name.length; i++) buf[at++] = name[i];
        for (let i = from; i < to; i++) buf[at++] = values[i];
        buf[at++] = LF;
        w.at = at;
      } else {
        id.writeTo(w);
        w.copy(nameBytes[s]);
        cursor.writeNext(w);
        w.byte(LF);
      }
    }
    id.increment();
  }
}
