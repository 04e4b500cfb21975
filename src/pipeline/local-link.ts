/**
 * `koppel link`: read the job's source files, encode them (keyed, in memory), link them with the
 * same engine the server uses, and write links.csv, clusters.csv, report.json and report.html.
 *
 * ```
 * two or more sources:
 * main thread    read + encode a ─┬─ link ─ links.csv, reports ─┐
 * source worker  read + encode b ─┘                            │
 * writer worker                     clusters.csv ──────────────┘
 * one source:
 * main thread    read a ──── (help HMAC) ─ link ─ links.csv, reports ─┐
 * HMAC worker(s)   HMAC a's batches ──┘                              │
 * writer worker                          clusters.csv ───────────────┘
 * ```
 * Workers start only for jobs big enough to pay for them (`WORKERS_FROM_BYTES`); small jobs run
 * on one thread. Either way the outputs are the same, byte for byte.
 *
 * Cleartext lives only in memory while a source is encoded (its normalised national numbers
 * also in the shared buffers the HMAC workers read); the outputs hold the sources' own record
 * ids and counts, nothing else from the input. Each output is written durably (store/durable-fs.ts:
 * temp name, fsync, rename, directory fsync), so a failed run leaves no half-written file.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import type { EncodingKeys, FieldSpec } from '../pseudonymise/encode-field.js';
import { encodeSource, encodeSourceOn, encodingKeysFrom } from '../pseudonymise/encode-source.js';
import { NationalIdBatches, PseudonymWorkers } from '../pseudonymise/encode-workers.js';
import type { LinkResult } from '../link/link-records.js';
import type { LinkSettings } from '../link/link-settings.js';
import type { LinkReport } from '../link/link-report.js';
import { linkSettings } from '../link/link-settings.js';
import { linkOnEngine } from './sql-engine/link-engines.js';
import { checkMemoryBudget, estimateLinkMemory } from '../link/memory-estimate.js';
import { reportHtml } from '../link/report-html.js';
import type { EncodedSource } from '../pseudonymise/encoded-source.js';
import { readJobFile, type JobFile } from './job-file.js';
import { loadSource, type IdColumn } from './local-sources.js';
import { writeClustersFile, writeLinksFile } from './local-link-csv.js';
import { ClustersWriter } from './local-link-writer.js';
import { SourceWorkers } from './local-source-workers.js';
import { writeFileDurableSync } from '../store/durable-fs.js';
import { KOPPEL_VERSION } from '../version.js';

export interface LocalLinkOptions {
  readonly config: string;
  readonly outDir: string;
  /** The 32-byte master key; a fresh in-memory key when absent. */
  readonly masterKey?: Uint8Array;
  readonly keyId?: string;
  /**
   * Worker threads: with several sources, they read and encode the sources after the first
   * while the main thread reads the first; with one, they HMAC its national numbers while the
   * main thread reads on. A number (0 = none, all on this thread), or by default one per core
   * but one (at least 1, at most 4) once the sources hold `WORKERS_FROM_BYTES` or more, where
   * they pay for their start.
   */
  readonly workers?: number;
  /** Each step as it ends (a source read and encoded, a link stage, the files written), for progress. */
  readonly onProgress?: Progress;
  /** Bytes the link stage may use at its estimated peak (config `memoryBudget`); unlimited when absent. */
  readonly memoryBudget?: number;
}

/** A step that ended, its time, and a count that says how much it did. */
export type Progress = (step: string, ms: number, detail?: string) => void;

/** Source bytes from which worker threads are started by default (~200k national-id rows). */
export const WORKERS_FROM_BYTES = 4 << 20;
const MAX_DEFAULT_WORKERS = 4;
/** The reports are readable by the user's group, as links.csv and clusters.csv are. */
const OUTPUT_MODE = 0o640;

export interface LocalLinkOutcome {
  readonly job: JobFile;
  readonly report: LinkReport & { koppel_version: string };
  readonly files: string[];
}

export async function runLocalLink(options: LocalLinkOptions): Promise<LocalLinkOutcome> {
  const started = performance.now();
  const job = readJobFile(options.config);
  const master = options.masterKey ?? Uint8Array.from(randomBytes(32));
  const keys = encodingKeysFrom(master);
  const timings: Record<string, number> = {};
  const workerCount = options.workers ?? defaultWorkers(job);
  // Several sources are read side by side (one here, the others on workers); a single source is
  // read here while workers HMAC its national numbers. Pools are taken now, so that they are up
  // by the time they have work; they stay (idle, not keeping the process alive) for a next run.
  const sideBySide = workerCount > 0 && job.sources.length >= 2;
  const sourceWorkers = sideBySide ? SourceWorkers.shared(Math.min(workerCount, job.sources.length - 1)) : null;
  const workers = !sideBySide && workerCount > 0 && job.fields.some((f) => f.type === 'national_id') ? PseudonymWorkers.shared(workerCount) : null;
  const clustersWriter = workerCount > 0 ? ClustersWriter.shared() : null;
  const progress: Progress = options.onProgress ?? (() => {});
  const { encoded, ids, formats } = sourceWorkers !== null
    ? await readSideBySide(job, master, keys, sourceWorkers, timings, progress)
    : await readAndEncode(job, keys, workers, timings, progress);
  // Local files have no row count before they are read: the link stage, the larger part, is
  // planned once they are.
  if (options.memoryBudget !== undefined) checkMemoryBudget(estimateLinkMemory(encoded.map((e) => e.size), job.fields), options.memoryBudget);
  const names = job.sources.map((s) => s.name);
  // clusters.csv on the writer thread (when there is one), started as soon as the persons are
  // known: it runs while this thread builds the report and writes links.csv.
  let clusters: Promise<string> | null = null;
  const settings = linkSettings({ blocking: job.blocking, threshold: job.threshold, oneToOne: job.oneToOne, deduplicate: job.deduplicate });
  const result = await linkOnEngine(job.engine, encoded, settings, {
    onLinked: (linked) => {
      if (clustersWriter === null) return;
      mkdirSync(options.outDir, { recursive: true });
      clusters = clustersWriter.write(options.outDir, linked, names, ids);
      clusters.catch(() => { /* awaited below */ });
    },
    onStage: (stage, took) => progress(stage, took),
    // The encodings are this run's own: let the engine drop what it has indexed.
    releaseInputs: true,
  });

  const t = performance.now();
  mkdirSync(options.outDir, { recursive: true });
  const links = writeLinksFile(options.outDir, result, names, ids, job.deduplicate);
  const files = [links, clusters !== null ? await clusters : writeClustersFile(options.outDir, result, names, ids)];
  timings.write = ms(performance.now() - t);
  progress('write', timings.write, `${result.links.length} links`);
  return await writeReports(options, job, started, timings, formats, encoded, result, files);
}

interface ReadSources {
  readonly encoded: EncodedSource[];
  readonly ids: IdColumn[];
  readonly formats: string[];
}

/**
 * Reads the sources one after the other and encodes them. With workers, a source's national
 * numbers are HMACed on them batch by batch while this thread parses on, and this thread takes
 * a share of what is left once all is read.
 */
async function readAndEncode(
  job: JobFile, keys: EncodingKeys, workers: PseudonymWorkers | null, timings: Record<string, number>, progress: Progress,
): Promise<ReadSources> {
  const specs = fieldSpecs(job);
  const ids: IdColumn[] = [];
  const formats: string[] = [];
  const pending: Promise<EncodedSource>[] = [];
  const nationalId = job.fields.find((f) => f.type === 'national_id');
  for (const spec of job.sources) {
    const t = performance.now();
    const started = new Map<string, NationalIdBatches>();
    if (workers !== null && nationalId !== undefined) started.set(nationalId.name, new NationalIdBatches(workers, keys.nationalId));
    const loaded = await loadSource(spec, job.fields, started.size === 0 ? undefined : (columns) => {
      for (const [name, batches] of started) batches.push(columns.get(name)!);
    });
    timings[`read ${spec.name}`] = ms(performance.now() - t);
    progress(`read ${spec.name}`, timings[`read ${spec.name}`], `${loaded.size} records`);
    // With workers, the encoding of this source overlaps the reading of the next: its time
    // runs from here until its pseudonyms are ready.
    const name = `encode ${spec.name}`;
    timings[name] = 0;
    const input = { name: spec.name, unique: spec.unique, size: loaded.size, columns: loaded.columns };
    const t0 = performance.now();
    const done = (e: EncodedSource) => { timings[name] = ms(performance.now() - t0); progress(name, timings[name]); return e; };
    const p = workers === null ? Promise.resolve(done(encodeSource(input, specs, keys))) : encodeSourceOn(workers, input, specs, keys, started).then(done);
    p.catch(() => { /* awaited below; a later failure must not leave it unhandled */ });
    pending.push(p);
    ids.push(loaded.ids);
    formats.push(loaded.format);
  }
  await workers?.helpInline();
  return { encoded: await Promise.all(pending), ids, formats };
}

/**
 * Reads the first source on this thread while the workers read and encode the others, each
 * source whole on one thread (parse, normalise, HMAC). Same result as `readAndEncode`.
 */
async function readSideBySide(
  job: JobFile, master: Uint8Array, keys: EncodingKeys, pool: SourceWorkers, timings: Record<string, number>, progress: Progress,
): Promise<ReadSources> {
  const specs = fieldSpecs(job);
  const started = performance.now();
  const others = job.sources.slice(1).map((spec) => pool.load(spec, job.fields, specs, master).then((r) => {
    progress(`read and encode ${spec.name}`, ms(performance.now() - started), `${r.encoded.size} records`);
    return r;
  }));
  for (const p of others) p.catch(() => { /* awaited below; a failure here must not go unhandled */ });
  const first = job.sources[0];
  const t = performance.now();
  const loaded = await loadSource(first, job.fields);
  const readMs = performance.now() - t;
  const t0 = performance.now();
  const encoded = encodeSource({ name: first.name, unique: first.unique, size: loaded.size, columns: loaded.columns }, specs, keys);
  progress(`read and encode ${first.name}`, ms(performance.now() - started), `${loaded.size} records`);
  const results = [{ encoded, ids: loaded.ids, format: loaded.format, readMs, encodeMs: performance.now() - t0 }, ...await Promise.all(others)];
  job.sources.forEach((spec, i) => {
    timings[`read ${spec.name}`] = ms(results[i].readMs);
    timings[`encode ${spec.name}`] = ms(results[i].encodeMs);
  });
  return { encoded: results.map((r) => r.encoded), ids: results.map((r) => r.ids), formats: results.map((r) => r.format) };
}

function fieldSpecs(job: JobFile): FieldSpec[] {
  return job.fields.map((f) => ({ name: f.name, type: f.type, ...(f.format === undefined ? {} : { format: f.format }) }));
}

async function writeReports(
  options: LocalLinkOptions, job: JobFile, started: number, timings: Record<string, number>, formats: readonly string[],
  encoded: readonly EncodedSource[], result: LinkResult, files: string[],
): Promise<LocalLinkOutcome> {
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
  const json = join(options.outDir, 'report.json');
  writeFileDurableSync(json, `${JSON.stringify(report, null, 2)}\n`, OUTPUT_MODE);
  const html = join(options.outDir, 'report.html');
  writeFileDurableSync(html, reportHtml(report, {
    title: `Koppel linkage report: ${job.sources.map((s) => s.name).join(', ')}`,
    version: KOPPEL_VERSION,
    generatedAt: new Date().toISOString(),
  }), OUTPUT_MODE);
  files.push(json, html);
  return { job, report, files };
}

/** Workers for jobs large enough to pay for starting them, else none. */
function defaultWorkers(job: JobFile): number {
  let bytes = 0;
  for (const s of job.sources) {
    try { bytes += statSync(s.path).size; } catch { /* loadSource reports it */ }
  }
  // The main thread parses while the workers HMAC, and helps them at the end: one worker per
  // other core keeps every core busy without making the parser wait for a core.
  return bytes >= WORKERS_FROM_BYTES ? Math.max(1, Math.min(MAX_DEFAULT_WORKERS, availableParallelism() - 1)) : 0;
}

function ms(x: number): number {
  return Math.round(x * 10) / 10;
}
