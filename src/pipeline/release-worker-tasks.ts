/**
 * The CPU-heavy part of a release build, as one task that runs in a worker thread (or inline on
 * the main thread when `jobWorkers` is 0), in two steps:
 * ```
 *   assemble  the job's clusters.arrow and the deliveries' payload.arrow files (refs handed out
 *             by the store, each verified, then read batch by batch) -> dense persons, release
 *             sources, the project's recodings, per-release pseudonyms, assembly (k-anonymity,
 *             local suppression, the key-copy check, a longitudinal project's ledger)
 *             -> what the manifest and the exposure check need: file names, columns, counts
 *   write     each table as <name>.arrow (batch by batch, hashed as written) and <name>.parquet
 *             into the staging directory the store handed out -> the files' sizes and hashes
 * ```
 * Between the steps the main thread checks exposure against the researchers' other releases
 * (SQLite), so a refused build writes nothing. What crosses threads is small: refs, the
 * project's record, the release key's 32 bytes, counts; the tables stay here and reach the
 * main thread only as files on disk, which it publishes. A longitudinal project's ledger (its
 * approved releases' rows in, this release's rows out) crosses as plain rows: it lives in SQLite.
 */
// Modules imported one by one, not through the layers' index files: a worker starts with only
// what a build uses (no SQLite, no ingest), which is most of its start-up time.
import { releasePseudonyms } from '../pseudonymise/release-pseudonym.js';
import { assembleRelease, describeTables, type AssembledRelease } from '../release/assemble.js';
import type { KAnonymityReport } from '../release/k-anonymity.js';
import type { LedgerEntry, LedgerInput, LedgerReport } from '../release/longitudinal.js';
import { metadataRules, type ReleaseMetadataRules } from '../release/metadata-keys.js';
import { writeParquetTables } from '../release/parquet-out.js';
import type { ProjectRecord, StoredFile } from '../store/records.js';
import { writeStagedBytes, writeStagedTable, type StagingRef } from '../store/staging.js';
import { readStoredTable, type StoredFileRef } from '../store/stored-files.js';
import { concatNumbers } from '../util/arrow-columns.js';
import { densePersons } from './dense-persons.js';
import { generaliseKeyVariables, methodCodes, releaseSources, type ReleaseDelivery } from './release-sources.js';

/** Everything the task needs, as a structured-cloneable object (it crosses to the worker). */
export interface ReleaseTaskInput {
  readonly jobId: string;
  /** The job's clusters.arrow, as the store hands it out. */
  readonly clusters: StoredFileRef;
  /** The job's deliveries, in job order. */
  readonly deliveries: readonly ReleaseDelivery[];
  readonly project: ProjectRecord;
  /** The release purpose key (32 bytes; copied, never transferred: the caller may cache it). */
  readonly releaseKey: Uint8Array;
  readonly batchRows: number;
  /** A longitudinal project's approved releases' ledger rows, or null. */
  readonly ledger: LedgerInput | null;
}

/** What the main thread needs of an assembled release: the manifest's parts, no data. */
export interface AssembledSummary {
  /** The job's records (the build's size). */
  readonly records: number;
  readonly files: { name: string; rows: number; columns: string[] }[];
  readonly disclosure_control: KAnonymityReport;
  readonly metadata: ReleaseMetadataRules;
  /** Key variable -> the recoding applied. */
  readonly generalised: Record<string, string>;
  readonly ledger?: { readonly entries: LedgerEntry[]; readonly report: LedgerReport };
}

/** One build's task; its steps are called in order: `assemble`, then `write` (unless refused). */
export class ReleaseTask {
  private assembled: AssembledRelease | null = null;

  constructor(private readonly input: ReleaseTaskInput) {}

  async assemble(): Promise<AssembledSummary> {
    const { input } = this;
    const { project } = input;
    const clusters = await readStoredTable(input.clusters);
    const records = clusters.numRows;
    const deliveryOfRecord = concatNumbers(clusters, 'delivery', (n) => new Int32Array(n));
    const { persons, indexOf } = densePersons(concatNumbers(clusters, 'person_id', (n) => new Float64Array(n)));
    const { method, probability } = methodCodes(clusters, input.jobId, records);
    const sources = await releaseSources(project, input.deliveries, deliveryOfRecord, indexOf, method, probability);
    const generalised = generaliseKeyVariables(project, sources);
    const assembled = assembleRelease({
      personCount: persons.length,
      pseudonyms: releasePseudonyms(input.releaseKey, persons),
      keyVariables: project.key_variables,
      k: project.k,
      sources,
      batchRows: input.batchRows,
      metadata: metadataRules(project.release_metadata),
      hierarchies: project.hierarchies,
      suppressionLimit: project.suppression_limit,
      sensitive: project.sensitive,
      ...(input.ledger === null ? {} : { ledger: input.ledger }),
    });
    this.assembled = assembled;
    return {
      records,
      files: describeTables(assembled),
      disclosure_control: assembled.disclosure_control,
      metadata: assembled.metadata,
      generalised,
      ...(assembled.ledger === undefined ? {} : { ledger: assembled.ledger }),
    };
  }

  /** Writes every table as Arrow, then as Parquet, into `staging`; the tables are let go after. */
  async write(staging: StagingRef): Promise<StoredFile[]> {
    if (this.assembled === null) throw new Error('ReleaseTask.write() before assemble()');
    const { tables } = this.assembled;
    this.assembled = null;
    const stored = tables.map((t) => writeStagedTable(staging, t.name, t.table));
    await writeParquetTables(tables, (fileName, bytes) => {
      stored.push(writeStagedBytes(staging, fileName, bytes));
    });
    return stored;
  }
}
