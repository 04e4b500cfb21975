/**
 * links.csv and clusters.csv of `koppel link` (design.md job-file contract), written from the
 * engine's typed arrays and the sources' record ids as raw UTF-8 bytes: no string per row.
 *
 * The bytes go through the one CSV writer (release/csv-sink.ts) with its formula guard off: the
 * cells are the sources' own record ids, written exactly as they are (RFC 4180 quoting only),
 * and the job's source names. Lines end in LF, as they always have for these files. Each file
 * is written durably (store/durable-fs.ts: temp name, fsync, rename, directory fsync), so a
 * failed run leaves no half-written file.
 *
 * The ids of a file's rows come from each source in an order of their own (a cluster's records
 * of the second source sit anywhere in it), so each source's ids are first gathered into file
 * order (`gatherUtf8`, cache-friendly radix passes) and then read front to back.
 */
import { join } from 'node:path';
import { LINK_DETERMINISTIC, type LinkTable } from '../link/index.js';
import { CsvSink } from '../release/csv-sink.js';
import { writeDurableSync } from '../store/durable-fs.js';
import { gatherUtf8, type Utf8Rows } from '../util/utf8-gather.js';
import { groupByKey } from '../util/group-by-key.js';

/** A source's record ids, back to back (`local-sources.ts`). */
export type IdColumn = Utf8Rows;

const utf8 = new TextEncoder();
const LF = 0x0a;
const CHUNK_BYTES = 1 << 20;
/** Outputs of `koppel link` are readable by the user's group, as they always were. */
const FILE_MODE = 0o640;

/** Writes `dir/name` durably from rows put into a CSV sink (guard off), drained as it fills. */
function writeCsvFile(dir: string, name: string, rows: (out: RowSink) => void): string {
  const file = join(dir, name);
  writeDurableSync(file, (write) => {
    const out = new RowSink(write);
    rows(out);
    out.sink.drain(write);
  }, FILE_MODE);
  return file;
}

/** A CSV sink that spills to its file whenever a chunk is full. */
class RowSink {
  readonly sink = new CsvSink(CHUNK_BYTES, { formulaGuard: false });
  constructor(private readonly write: (bytes: Uint8Array) => void) {}

  /** Call after each row. */
  rowDone(): void {
    if (this.sink.full()) this.sink.drain(this.write);
  }
}

/** A field's bytes, quoted as RFC 4180 needs (for the few names written on every row). */
function fieldBytes(text: string): Uint8Array {
  const scratch = new CsvSink(256, { formulaGuard: false });
  const bytes = utf8.encode(text);
  scratch.text(bytes, 0, bytes.length);
  return Uint8Array.from(scratch.take());
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

const COMMA_BYTES = Uint8Array.of(0x2c);

/**
 * True when no id of the column has a byte that CSV must quote (comma, quote, CR, LF): then
 * every id is written as a plain byte copy. One pass over the id bytes instead of checks per
 * id written.
 */
export function isPlain(ids: Utf8Rows): boolean {
  const v = ids.values;
  // All four bytes are below 0x2d: four bytes at a time, a word with no byte below 0x2d is
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

/** Comma, quote, CR or LF: what makes a CSV field need quotes (RFC 4180 section 2.6). */
function special(c: number): boolean {
  return c <= 0x2c && (c === 0x2c || c === 0x22 || c === 0x0a || c === 0x0d);
}

/** The source of global record `g` (offsets[s] <= g < offsets[s + 1]). */
function locate(offsets: Int32Array, g: number): number {
  let lo = 0; let hi = offsets.length - 2;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (offsets[mid] <= g) lo = mid; else hi = mid - 1; }
  return lo;
}

/** True when the id of `x` sorts after the id of `y` (numerically when both are integers). */
function idAfter(ids: IdColumn, x: number, y: number): boolean {
  const a = Buffer.from(ids.values.subarray(ids.offsets[x], ids.offsets[x + 1])).toString('utf8');
  const b = Buffer.from(ids.values.subarray(ids.offsets[y], ids.offsets[y + 1])).toString('utf8');
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

  /** Writes the next id (an empty id as an empty field). */
  writeNext(sink: CsvSink): void {
    const k = this.k++;
    const row = this.rows === null ? k : this.rows[k];
    const { values, offsets } = this.column;
    const from = offsets[row]; const to = offsets[row + 1];
    if (this.plain || from === to) sink.bytes(values, from, to);
    else sink.text(values, from, to);
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

/** What the writers need of a `LinkResult` (links.csv: links and offsets; clusters.csv: clusters and offsets). */
export interface LinkedRecords {
  /** Global numbering: source s's records are offsets[s] .. offsets[s+1]. */
  readonly offsets: Int32Array;
  readonly links: LinkTable;
  readonly clusters: Int32Array;
  readonly clusterCount: number;
}

/** Writes `dir/links.csv`; returns its path. */
export function writeLinksFile(dir: string, result: Pick<LinkedRecords, 'links' | 'offsets'>, names: readonly string[], ids: readonly IdColumn[], dedupe: boolean): string {
  return writeCsvFile(dir, 'links.csv', (out) => writeLinks(out, result, names, ids, dedupe));
}

function writeLinks(out: RowSink, result: Pick<LinkedRecords, 'links' | 'offsets'>, names: readonly string[], ids: readonly IdColumn[], dedupe: boolean): void {
  const sink = out.sink;
  sink.ascii('left_source,left_id,right_source,right_id,match_probability,match_weight,method\n');
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
  const left = rowsBySource(leftSource, leftRow, S).map((rows, s) => new IdCursor(ids[s], rows, isPlain(ids[s])));
  const right = rowsBySource(rightSource, rightRow, S).map((rows, s) => new IdCursor(ids[s], rows, left[s].plain));
  const leftName = names.map((x) => concat(fieldBytes(x), COMMA_BYTES));
  const rightName = names.map((x) => concat(COMMA_BYTES, fieldBytes(x), COMMA_BYTES));
  const deterministic = utf8.encode(',1,,deterministic\n');
  for (let i = 0; i < n; i++) {
    const ln = leftName[leftSource[i]]; const rn = rightName[rightSource[i]];
    sink.bytes(ln, 0, ln.length);
    left[leftSource[i]].writeNext(sink);
    sink.bytes(rn, 0, rn.length);
    right[rightSource[i]].writeNext(sink);
    if (links.method[i] === LINK_DETERMINISTIC) sink.bytes(deterministic, 0, deterministic.length);
    else sink.ascii(`,${links.probability[i].toFixed(6)},${links.weight[i].toFixed(3)},probabilistic\n`);
    out.rowDone();
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

  writeTo(sink: CsvSink): void {
    sink.bytes(this.digits, this.first, 16);
  }
}

/** Writes `dir/clusters.csv`; returns its path. */
export function writeClustersFile(dir: string, result: Pick<LinkedRecords, 'clusters' | 'clusterCount' | 'offsets'>, names: readonly string[], ids: readonly IdColumn[]): string {
  return writeCsvFile(dir, 'clusters.csv', (out) => writeClusters(out, result, names, ids));
}

function writeClusters(out: RowSink, result: Pick<LinkedRecords, 'clusters' | 'clusterCount' | 'offsets'>, names: readonly string[], ids: readonly IdColumn[]): void {
  const sink = out.sink;
  sink.ascii('cluster_id,source,id\n');
  const { clusters, clusterCount, offsets } = result;
  const S = names.length;
  // Records grouped by cluster, clusters numbered from 1.
  const { start, order } = groupByKey(clusters, clusterCount);
  const sourceOf = new Uint8Array(order.length);
  const rowOf = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) { const s = locate(offsets, order[k]); sourceOf[k] = s; rowOf[k] = order[k] - offsets[s]; }
  const cursors = rowsBySource(sourceOf, rowOf, S).map((rows, s) => new IdCursor(ids[s], rows, isPlain(ids[s])));
  const nameBytes = names.map((x) => concat(COMMA_BYTES, fieldBytes(x), COMMA_BYTES));
  const id = new DecimalCounter();
  for (let c = 0; c < clusterCount; c++) {
    for (let k = start[c]; k < start[c + 1]; k++) {
      const s = sourceOf[k];
      id.writeTo(sink);
      sink.bytes(nameBytes[s], 0, nameBytes[s].length);
      cursors[s].writeNext(sink);
      sink.byte(LF);
      out.rowDone();
    }
    id.increment();
  }
}
