/**
 * `koppel link`: read the job's source files, encode them (keyed, in memory), link them with the
 * same engine the server uses, and write links.csv, clusters.csv, report.json and report.html.
 *
 * Cleartext exists only inside `encodeSource` for one source at a time; the outputs hold the
 * sources' own record ids and counts, nothing else from the input. Each output is written to a
 * temporary name and renamed, so a failed run leaves no half-written file.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FieldSpec } from './pseudonymise/encode-field.js';
import { encodeSource, encodingKeysFrom } from './pseudonymise/encode-source.js';
import { linkRecords, METHOD_DETERMINISTIC, type LinkResult } from './link/link-records.js';
import type { LinkReport } from './link/link-report.js';
import { linkSettings } from './link/link-settings.js';
import { reportHtml } from './link/report-html.js';
import type { EncodedSource } from './link/encoded-source.js';
import { readJobFile, type JobFile } from './job-file.js';
import { loadSource, type IdColumn } from './local-sources.js';
import { KOPPEL_VERSION } from './version.js';

export interface LocalLinkOptions {
  readonly config: string;
  readonly outDir: string;
  /** The 32-byte master key; a fresh in-memory key when absent. */
  readonly masterKey?: Uint8Array;
  readonly keyId?: string;
}

export interface LocalLinkOutcome {
  readonly job: JobFile;
  readonly report: LinkReport & { koppel_version: string };
  readonly files: string[];
}

export async function runLocalLink(options: LocalLinkOptions): Promise<LocalLinkOutcome> {
  const started = performance.now();
  const job = readJobFile(options.config);
  const keys = encodingKeysFrom(options.masterKey ?? Uint8Array.from(randomBytes(32)));
  const specs: FieldSpec[] = job.fields.map((f) => ({ name: f.name, type: f.type, ...(f.format === undefined ? {} : { format: f.format }) }));

  const timings: Record<string, number> = {};
  const encoded: EncodedSource[] = [];
  const ids: IdColumn[] = [];
  const formats: string[] = [];
  for (const spec of job.sources) {
    let t = performance.now();
    const loaded = await loadSource(spec, job.fields);
    timings[`read ${spec.name}`] = ms(performance.now() - t);
    t = performance.now();
    encoded.push(encodeSource({ name: spec.name, unique: spec.unique, size: loaded.size, columns: loaded.columns }, specs, keys));
    timings[`encode ${spec.name}`] = ms(performance.now() - t);
    ids.push(loaded.ids);
    formats.push(loaded.format);
  }

  const result = linkRecords(encoded, linkSettings({
    blocking: job.blocking, threshold: job.threshold, oneToOne: job.oneToOne, deduplicate: job.deduplicate,
  }));

  let t = performance.now();
  mkdirSync(options.outDir, { recursive: true });
  const names = job.sources.map((s) => s.name);
  const files = [
    writeAtomically(options.outDir, 'links.csv', (w) => writeLinks(w, result, names, ids, job.deduplicate)),
    writeAtomically(options.outDir, 'clusters.csv', (w) => writeClusters(w, result, names, ids)),
  ];
  timings.write = ms(performance.now() - t);
  timings.total = ms(performance.now() - started);
  const report = {
    koppel_version: KOPPEL_VERSION,
    job: {
      file: basename(job.file),
      key: options.keyId ?? 'ephemeral (fresh key for this run only)',
      sources: job.sources.map((s, i) => ({ name: s.name, file: s.pathAsWritten, format: formats[i], records: encoded[i].size, unique: s.unique })),
    },
    ...result.report,
    timings_ms: { ...timings, ...result.report.timings_ms },
  };
  t = performance.now();
  files.push(writeAtomically(options.outDir, 'report.json', (w) => w.text(`${JSON.stringify(report, null, 2)}\n`)));
  files.push(writeAtomically(options.outDir, 'report.html', (w) => w.text(reportHtml(report, {
    title: `Koppel linkage report: ${job.sources.map((s) => s.name).join(', ')}`,
    version: KOPPEL_VERSION,
    generatedAt: new Date().toISOString(),
  }))));
  return { job, report, files };
}

function ms(x: number): number {
  return Math.round(x * 10) / 10;
}

/** A buffered byte writer over a file descriptor. */
class ByteWriter {
  private buf = Buffer.allocUnsafe(1 << 20);
  private at = 0;
  constructor(private readonly fd: number) {}

  text(s: string): void {
    if (this.at + s.length * 3 > this.buf.length) this.flush();
    if (s.length * 3 > this.buf.length) { writeSync(this.fd, s); return; }
    this.at += this.buf.write(s, this.at);
  }

  /** A CSV field from raw UTF-8 bytes (trimmed of spaces), quoted when it needs to be. */
  field(bytes: Uint8Array, start: number, end: number): void {
    while (start < end && (bytes[start] === 0x20 || bytes[start] === 0x09)) start++;
    while (end > start && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09)) end--;
    let quote = false;
    for (let i = start; i < end; i++) { const c = bytes[i]; if (c === 0x2c || c === 0x22 || c === 0x0a || c === 0x0d) { quote = true; break; } }
    if (this.at + (end - start) * 2 + 2 > this.buf.length) this.flush();
    if (!quote) { this.buf.set(bytes.subarray(start, end), this.at); this.at += end - start; return; }
    this.buf[this.at++] = 0x22;
    for (let i = start; i < end; i++) { if (bytes[i] === 0x22) this.buf[this.at++] = 0x22; this.buf[this.at++] = bytes[i]; }
    this.buf[this.at++] = 0x22;
  }

  id(ids: IdColumn, row: number): void {
    this.field(ids.values, ids.offsets[row], ids.offsets[row + 1]);
  }

  flush(): void {
    if (this.at > 0) writeSync(this.fd, this.buf, 0, this.at);
    this.at = 0;
  }
}

function writeAtomically(dir: string, name: string, body: (w: ByteWriter) => void): string {
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

function writeLinks(w: ByteWriter, result: LinkResult, names: readonly string[], ids: readonly IdColumn[], dedupe: boolean): void {
  w.text('left_source,left_id,right_source,right_id,match_probability,match_weight,method\n');
  const { links, offsets } = result;
  const quotedNames = names.map(csvText);
  for (let i = 0; i < links.length; i++) {
    let ls = locate(offsets, links.left[i]); let la = links.left[i] - offsets[ls];
    let rs = locate(offsets, links.right[i]); let rb = links.right[i] - offsets[rs];
    // Left source first in job order; within one source (deduplication) the smaller id first.
    if (rs < ls || (dedupe && rs === ls && idAfter(ids[ls], la, rb))) { [ls, la, rs, rb] = [rs, rb, ls, la]; }
    w.text(quotedNames[ls]); w.text(','); w.id(ids[ls], la); w.text(',');
    w.text(quotedNames[rs]); w.text(','); w.id(ids[rs], rb); w.text(',');
    if (links.method[i] === METHOD_DETERMINISTIC) w.text('1,,deterministic\n');
    else w.text(`${links.probability[i].toFixed(6)},${links.weight[i].toFixed(3)},probabilistic\n`);
  }
}

function writeClusters(w: ByteWriter, result: LinkResult, names: readonly string[], ids: readonly IdColumn[]): void {
  w.text('cluster_id,source,id\n');
  const { clusters, clusterCount, offsets } = result;
  // Records grouped by cluster (counting sort), clusters numbered from 1.
  const start = new Int32Array(clusterCount + 1);
  for (let g = 0; g < clusters.length; g++) start[clusters[g] + 1]++;
  for (let c = 0; c < clusterCount; c++) start[c + 1] += start[c];
  const order = new Int32Array(clusters.length);
  const fill = start.slice(0, clusterCount);
  for (let g = 0; g < clusters.length; g++) order[fill[clusters[g]]++] = g;
  const quotedNames = names.map(csvText);
  for (let k = 0; k < order.length; k++) {
    const g = order[k];
    const s = locate(offsets, g);
    w.text(`${clusters[g] + 1},${quotedNames[s]},`);
    w.id(ids[s], g - offsets[s]);
    w.text('\n');
  }
}

function csvText(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
