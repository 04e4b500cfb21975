/**
 * The CPU-heavy part of a linkage job, as one task that runs in a worker thread (or inline on
 * the main thread when `jobWorkers` is 0), in three steps:
 * ```
 *   read    stored linkage.arrow files (paths and hashes handed out by the store), verified,
 *           then read batch by batch -> EncodedSources
 *   link    linkRecords, on the job's engine -> clusters and links; the keys the store needs for person ids
 *   files   person id per cluster (resolved in SQLite on the main thread) -> clusters.arrow,
 *           links.arrow as IPC file bytes
 * ```
 * Everything that crosses between threads is typed arrays (transferred, not copied) or small
 * plain objects: never an object per record. This module knows no SQLite and no data-dir
 * layout; the main thread does those.
 */
import type { ColumnSpec } from '../model.js';
import { linkRecords, type LinkResult } from '../link/link-records.js';
import type { LinkEngineName } from '../link/link-engine.js';
import { linkSettings } from '../link/link-settings.js';
import type { LinkReport } from '../link/link-report.js';
import type { EncodedSource, FieldQuality } from '../pseudonymise/encoded-source.js';
import { PseudonymTable, type PseudonymColumn } from '../link/pseudonym-join.js';
import { readStoredTable, type StoredFileRef } from '../store/stored-files.js';
import type { NamedBytes } from '../store/store.js';
import { concatNumbers, concatPseudonyms } from '../util/arrow-columns.js';
import { deliveryFormatOf } from './delivery-format.js';
import { encodedSourceOf, type JobField } from './linkage-encoding.js';
import { jobFiles } from './job-outputs.js';
import { personKeys, type PersonKeys } from './person-ids.js';
import { personContinuity, restrictKeys, type Continuity } from './person-continuity.js';
import { readSpine, withCarried, type Spine, type SpineInput } from './spine.js';
import type { ReviewBand } from '../link/clerical-decisions.js';
import { clericalDecisions, reviewFiles, type DecisionRef } from './review-file.js';
import { linkOnEngine } from './sql-engine/link-engines.js';

export interface LinkSourceInput {
  /** The delivery id: the engine's source name and the label in the job files. */
  readonly delivery: string;
  /** Its linkage.arrow, as the store hands it out. */
  readonly file: StoredFileRef;
  /** Whether a person has at most one record here; null = detected from the pseudonyms. */
  readonly unique: boolean | null;
  /** Job field name -> the dataset's linkage column that serves it. */
  readonly columns: Readonly<Record<string, ColumnSpec>>;
  /** Null and invalid counts per linkage column, from the delivery's quality report. */
  readonly quality: Readonly<Record<string, FieldQuality>>;
}

/** Everything the task needs, as a structured-cloneable object (it crosses to the worker). */
export interface LinkTaskInput {
  readonly sources: readonly LinkSourceInput[];
  readonly fields: readonly JobField[];
  readonly blocking: readonly (readonly string[])[] | null;
  readonly threshold: number | null;
  /** An incremental job's start for EM: the previous job's m per field and level. */
  readonly startM?: number[][] | null;
  /** An incremental job's spine (spine.ts); null for a full relink. */
  readonly spine?: SpineInput | null;
  /** The review band in match weights; null = the default (link/clerical.ts). */
  readonly review?: ReviewBand | null;
  /** Earlier clerical decisions on records of these deliveries. */
  readonly decisions?: readonly DecisionRef[];
  /** Where the pair stage runs (default in-process); the DuckDB engine is opened, its package loaded, in this task's thread. */
  readonly engine?: LinkEngineName;
}

export interface LinkedSummary extends PersonKeys {
  /** An incremental job's persons: which previous person each cluster continues (person-continuity.ts). */
  readonly continuity?: Continuity;
  /** Records and uniqueness per source, in job order. */
  readonly records: readonly number[];
  readonly unique: readonly boolean[];
  readonly links: number;
  readonly report: LinkReport;
  /** The review queue's band, size, and band pairs left out of a full queue. */
  readonly review: { readonly band: ReviewBand; readonly pairs: number; readonly truncated: number } | null;
}

export interface JobFiles {
  readonly files: readonly NamedBytes[];
  readonly persons: number;
  readonly linkedAcrossSources: number;
}

/** A source is unique unless the job says otherwise or one valid pseudonym occurs twice in it. */
function hasRepeatedPseudonym(column: PseudonymColumn): boolean {
  const table = new PseudonymTable(column.length);
  const keys = table.internColumn(column);
  let valid = 0;
  for (let r = 0; r < column.length; r++) if (keys[r] >= 0) valid++;
  return table.size < valid;
}

/** One job's task; its steps are called in order: `read`, `link`, `files`. */
export class LinkTask {
  private sources: EncodedSource[] = [];
  private pseudonyms: PseudonymColumn[] = [];
  private rows: Uint32Array[] = [];
  private result: LinkResult | null = null;
  private spine: Spine | null = null;

  constructor(private readonly input: LinkTaskInput) {}

  /**
   * Reads and decodes every source; returns the number of records. Each file is verified whole
   * before a batch of it is read, and read batch by batch (store/stored-files.ts).
   */
  async read(): Promise<number> {
    for (const s of this.input.sources) {
      const linkage = await readStoredTable(s.file);
      const format = deliveryFormatOf(linkage.schema, s.file.what);
      const column = concatPseudonyms(linkage);
      const unique = s.unique ?? !hasRepeatedPseudonym(column);
      this.sources.push(encodedSourceOf(s.delivery, unique, linkage, format, this.input.fields, new Map(Object.entries(s.columns)), { ...s.quality }));
      this.pseudonyms.push(column);
      this.rows.push(concatNumbers(linkage, 'row', (n) => new Uint32Array(n)));
    }
    const spine = this.input.spine ?? null;
    if (spine !== null) this.spine = await readSpine(spine, this.input.sources.map((s) => s.delivery), this.rows);
    return this.sources.reduce((a, s) => a + s.size, 0);
  }

  async link(): Promise<LinkedSummary> {
    const { spine, input } = this;
    const settings = linkSettings({
      blocking: input.blocking, threshold: input.threshold, startM: input.startM ?? null, review: input.review ?? null,
      decisions: clericalDecisions(input.decisions ?? [], input.sources.map((s) => s.delivery), this.rows),
    });
    const newSources = input.spine?.newSources ?? [];
    // An incremental run is in-process: the SQL engine has no spine (README "Incremental jobs").
    const result = spine === null
      ? await linkOnEngine(input.engine ?? 'in-process', this.sources, settings, { releaseInputs: true })
      : linkRecords(this.sources, settings, { releaseInputs: true }, { newSources, prior: spine.links });
    this.result = result;
    let keys = personKeys(result, this.pseudonyms, this.rows);
    let continuity: Continuity | undefined;
    if (spine !== null) {
      const fields = input.fields.filter((f) => f.type !== 'national_id').map((f) => f.name);
      continuity = personContinuity({ result, prior: spine.prior, newSources, fields, deliveries: input.sources.map((s) => s.delivery) });
      const fresh = new Uint8Array(result.clusterCount);
      for (const c of continuity.fresh) fresh[c] = 1;
      const kept = continuity.kept;
      keys = restrictKeys(keys, (c) => Number.isNaN(kept[c]) && fresh[c] === 0);
    }
    const summary: LinkedSummary = {
      ...keys,
      continuity,
      records: this.sources.map((s) => s.size),
      unique: this.sources.map((s) => s.unique),
      links: result.links.length,
      report: result.report,
      review: result.review === null ? null : { band: result.review.band, pairs: result.review.length, truncated: result.review.truncated },
    };
    // The encodings are no longer needed: let them go before the files are built.
    this.sources = [];
    this.pseudonyms = [];
    return summary;
  }

  files(personIds: Float64Array): JobFiles {
    if (this.result === null) throw new Error('LinkTask.files() before link()');
    if (personIds.length !== this.result.clusterCount) {
      throw new RangeError(`${personIds.length} person ids for ${this.result.clusterCount} clusters`);
    }
    const result = this.spine === null ? this.result : { ...this.result, links: withCarried(this.result.links, this.spine.links, this.result.clusters) };
    const deliveries = this.input.sources.map((s) => s.delivery);
    const job = jobFiles(result, personIds, this.rows, deliveries);
    if (result.review === null) return job;
    return { ...job, files: [...job.files, ...reviewFiles(result.review, this.rows, deliveries)] };
  }
}

/** The buffers a message can hand over instead of copying (each once: a repeat is an error). */
export function transferables(arrays: readonly ArrayBufferView[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) if (a.buffer instanceof ArrayBuffer && a.byteLength > 0) out.add(a.buffer);
  return [...out];
}

export function summaryTransferables(summary: LinkedSummary): ArrayBuffer[] {
  const continuity = summary.continuity === undefined ? [] : [summary.continuity.kept, summary.continuity.fresh];
  return transferables([
    summary.keyedPseudonyms, summary.keyedClusters, summary.keyedFirst, summary.keyedOrder, ...summary.unkeyedRows, ...summary.unkeyedClusters, ...continuity,
  ]);
}
