/**
 * The store: SQLite metadata and the data directory, behind one object. Every method is
 * synchronous except writing staged batches; each write is one SQLite transaction, and files
 * become visible only through the row that records them (design.md "Storage layout").
 *
 *   <data-dir>/koppel.db   deliveries/<id>/   jobs/<id>/   releases/<id>/   staging/
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Table } from 'apache-arrow';
import type { Logger } from 'pino';
import { KoppelError } from '../errors.js';
import type { DatasetSchema, Principal, ProjectSpec } from '../model.js';
import { AuditChain, type AuditSeal } from './audit-chain.js';
import { auditedFiles, type AuditedFile } from './audit-files.js';
import { Catalogue } from './catalogue.js';
import { openDatabase, type Db } from './database.js';
import { Deliveries, type CommitMeta } from './deliveries.js';
import { Jobs, type JobPatch } from './jobs.js';
import type { Keyring } from './keyring.js';
import { removeOrphans, type DataDirs } from './orphans.js';
import { Persons } from './persons.js';
import { PersonChanges } from './person-changes.js';
import { Products } from './products.js';
import type {
  AuditEntry, AuditHead, AuditInput, AuditVerification, DatasetRecord, DeliveryRecord, DeliveryStatus,
  JobRecord, ProjectRecord, ReleaseRecord, ReleaseStatus, StoredFile, TokenInfo,
} from './records.js';
import { ReleaseLedger, type LedgerRow } from './release-ledger.js';
import { Releases, type ReleaseExtras, type ReleaseRowKeys } from './releases.js';
import { LINKAGE_FILE, PAYLOAD_FILE, linkageFileUnder, type DeliveryStaging, type StagingDir } from './staging.js';
import { KeyRotations, type RotationRecord } from './key-rotations.js';
import { readStoredTable, type ReadOptions, type StoredFileRef, type VerifiedFile } from './stored-files.js';
import { Tokens } from './tokens.js';
import { TableRecords } from './table-records.js';
import { TimelinessRecords, type RefusedUpload, type TimelinessNotice } from './timeliness-records.js';
import { auditPendingNotices } from './notices.js';
import { verifyAuditReadOnly } from './audit-verify.js';
import { newId } from './ids.js';
import { ReviewDecisions } from './review-decisions.js';

export interface StoreOptions {
  readonly dataDir: string;
  /** Without a keyring the store is read-only for audit purposes: `audit()` throws KEY_MISSING. */
  readonly keyring?: Keyring;
  readonly log?: Logger;
}

export type NamedTable = { readonly name: string; readonly table: Table };
/** An Arrow IPC file, already encoded, and its row count. */
export type NamedBytes = { readonly name: string; readonly bytes: Uint8Array; readonly rows?: number };

export class Store {
  readonly dataDir: string;
  /** The change log of persistent persons (merges, splits): person-changes.ts. */
  readonly personChanges: PersonChanges;
  private readonly db: Db;
  private readonly tokens: Tokens;
  private readonly catalogue: Catalogue;
  private readonly deliveries: Deliveries;
  private readonly persons: Persons;
  private readonly jobs: Jobs;
  private readonly releases: Releases;
  private readonly ledger: ReleaseLedger;
  private readonly chain: AuditChain;
  private readonly timeliness: TimelinessRecords;
  /** Recurrent products and their runs (products.ts). */
  readonly products: Products;
  private readonly keyring: Keyring | undefined;
  /** Aggregate tables: specifications, versions, their files and the cell ledger (table-records.ts). */
  readonly tables: TableRecords;
  /** Master-key rotation windows and the pseudonym pairs seen in them (key-rotations.ts). */
  readonly keyRotations: KeyRotations;
  /** Clerical review decisions (review-decisions.ts). */
  readonly reviews: ReviewDecisions;
  private closed = false;

  constructor(opts: StoreOptions) {
    this.dataDir = path.resolve(opts.dataDir);
    const dirs: DataDirs = {
      staging: path.join(this.dataDir, 'staging'),
      deliveries: path.join(this.dataDir, 'deliveries'),
      jobs: path.join(this.dataDir, 'jobs'),
      releases: path.join(this.dataDir, 'releases'),
    };
    fs.mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.db = openDatabase(path.join(this.dataDir, 'koppel.db'));
    try {
      this.tokens = new Tokens(this.db);
      this.catalogue = new Catalogue(this.db);
      this.deliveries = new Deliveries(this.db, dirs.deliveries, dirs.staging);
      this.persons = new Persons(this.db);
      this.personChanges = new PersonChanges(this.db);
      this.jobs = new Jobs(this.db, dirs.jobs, dirs.staging);
      this.releases = new Releases(this.db, dirs.releases, dirs.staging);
      this.timeliness = new TimelinessRecords(this.db);
      this.keyRotations = new KeyRotations(this.db);
      this.reviews = new ReviewDecisions(this.db);
      this.products = new Products(this.db);
      this.ledger = new ReleaseLedger(this.db);
      this.tables = new TableRecords(this.db);
      this.keyring = opts.keyring;
      this.chain = new AuditChain(this.db, opts.keyring);
      const removed = removeOrphans(this.db, dirs);
      const repaired = this.releases.reconcileManifests();
      if (opts.keyring !== undefined) auditPendingNotices(this.db, (entry) => this.chain.append(entry), opts.log);
      opts.log?.info({ orphans_removed: removed.staging + removed.unrecorded + removed.temp, ...removed, manifests_repaired: repaired }, 'store opened');
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  // tokens
  createToken(principal: string, createdBy?: string, days?: number): ReturnType<Tokens['create']> { return this.tokens.create(principal, createdBy, days); }
  authenticate(token: string): Principal | null { return this.tokens.authenticate(token); }
  verifyToken(token: string): Principal { return this.tokens.verify(token); }
  revokeToken(tokenId: string): boolean { return this.tokens.revokeToken(tokenId); }
  listTokens(): TokenInfo[] { return this.tokens.list(); }

  // datasets, projects
  createDataset(schema: DatasetSchema, by: string): DatasetRecord { return this.catalogue.createDataset(schema, by); }
  getDataset(name: string): DatasetRecord | null { return this.catalogue.getDataset(name); }
  listDatasets(): DatasetRecord[] { return this.catalogue.listDatasets(); }
  createProject(spec: ProjectSpec, by: string): ProjectRecord { return this.catalogue.createProject(spec, by); }
  getProject(id: string): ProjectRecord | null { return this.catalogue.getProject(id); }
  listProjects(): ProjectRecord[] { return this.catalogue.listProjects(); }

  // deliveries
  stageDelivery(): DeliveryStaging { return this.deliveries.stage(); }
  commitDelivery(staging: DeliveryStaging, meta: CommitMeta): { delivery: DeliveryRecord; created: boolean } { return this.deliveries.commit(staging, meta); }
  findCurrentDelivery(dataset: string, period: string): DeliveryRecord | null { return this.deliveries.findCurrent(dataset, period); }
  getDelivery(id: string): DeliveryRecord | null { return this.deliveries.get(id); }
  listDeliveries(filter?: { dataset?: string; status?: DeliveryStatus }): DeliveryRecord[] { return this.deliveries.list(filter); }
  /** A delivery file's location and recorded hash, for a reader off the main thread; `underKey`: its linkage copy under that key. */
  deliveryFileRef(id: string, file: 'linkage' | 'payload', underKey?: string): StoredFileRef {
    return this.deliveries.fileRef(id, file === 'payload' ? PAYLOAD_FILE : underKey === undefined ? LINKAGE_FILE : linkageFileUnder(underKey));
  }
  /** A delivery file, verified, then read batch by batch into one table. */
  async readDeliveryFile(id: string, file: 'linkage' | 'payload'): Promise<Table> { return readStoredTable(this.deliveryFileRef(id, file)); }

  // supplier timeliness
  /** An upload refused for a known dataset and period: its error code only, nothing from the body. */
  recordRefusedUpload(dataset: string, period: string, code: string, by: string): void { this.timeliness.recordRefusal(dataset, period, code, by); }
  listRefusedUploads(): RefusedUpload[] { return this.timeliness.refusals(); }
  /** Records that a delivery became late (or overdue); false when that was already recorded. */
  addTimelinessNotice(dataset: string, period: string, status: string, daysLate: number): boolean { return this.timeliness.addNotice(dataset, period, status, daysLate); }
  unpostedTimelinessNotices(): TimelinessNotice[] { return this.timeliness.unpostedNotices(); }
  timelinessNoticePosted(dataset: string, period: string, status: string): void { this.timeliness.noticePosted(dataset, period, status); }

  // persistent person ids
  resolvePersonsByPseudonym(pseudonyms: Uint8Array, count: number, keyId: string): Float64Array { return this.persons.byPseudonym(pseudonyms, count, keyId); }
  resolvePersonsByRecord(deliveryId: string, rows: Uint32Array): Float64Array { return this.persons.byRecord(deliveryId, rows); }
  /** Known persons' ids by pseudonym, NaN where unknown; creates nothing (see persons.ts). */
  lookupPersonsByPseudonym(pseudonyms: Uint8Array, count: number, keyId: string): Float64Array { return this.persons.lookupByPseudonym(pseudonyms, count, keyId); }
  anyPersonPseudonymUnder(keyId: string): boolean { return this.persons.anyPseudonymUnder(keyId); }
  /** Takes `count` new person ids; returns the id before the first. */
  reservePersonIds(count: number): number { return this.persons.reserve(count); }
  /** Records reserved ids for new pseudonyms; returns the stored ids (another writer's where it was first). */
  recordPersonsByPseudonym(pseudonyms: Uint8Array, ids: Float64Array, count: number, keyId: string): Float64Array { return this.persons.recordChosen(pseudonyms, ids, count, keyId); }

  // jobs
  createJob(projectId: string, settings: object, by: string): JobRecord { return this.jobs.create(projectId, settings, by); }
  updateJob(id: string, patch: JobPatch): void { this.jobs.update(id, patch); }
  getJob(id: string): JobRecord | null { return this.jobs.get(id); }
  /** The project's most recently finished successful job (the spine of an incremental job), or null. */
  latestSucceededJob(projectId: string): JobRecord | null { return this.jobs.latestSucceeded(projectId); }
  listJobs(filter: { projectId?: string; limit: number }): JobRecord[] { return this.jobs.list(filter); }
  /** At startup: jobs left queued or running by a stopped process can never finish; mark them failed. */
  failInterruptedJobs(): number { return this.jobs.failInterrupted(); }
  writeJobFiles(jobId: string, files: readonly NamedTable[], report: object): void { this.jobs.writeFiles(jobId, files, report); }
  /** `writeJobFiles` for files already encoded as Arrow IPC file bytes; yields between slices. */
  async writeJobFileBytes(jobId: string, files: readonly NamedBytes[], report: object): Promise<void> {
    // The sizes are exact here; the job's start checked an estimate (pipeline/job-space.ts).
    this.ensureFreeSpace(files.reduce((sum, f) => sum + f.bytes.byteLength, 0), `the files of job ${jobId}`);
    return this.jobs.writeFileBytes(jobId, files, report);
  }
  /** Replaces a job's recorded file (its persons after clerical decisions); see jobs.ts. */
  replaceJobFile(jobId: string, file: NamedBytes): void { this.jobs.replaceFileBytes(jobId, file); }
  /** A job file, verified, then read batch by batch into one table. */
  async readJobFile(jobId: string, name: string): Promise<Table> { return readStoredTable(this.jobFileRef(jobId, name)); }
  /** A job file's location and recorded hash, for a reader off the main thread. */
  jobFileRef(jobId: string, name: string): StoredFileRef { return this.jobs.fileRef(jobId, name); }

  // releases
  /** A fresh release id, for a caller that needs it before the files exist (per-release keys). */
  newReleaseId(): string { return newId('rel'); }
  /** `manifest` may be a function of the new release's id, for manifests that record it; `id` from `newReleaseId`. */
  createRelease(
    jobId: string, projectId: string, files: readonly NamedTable[], manifest: object | ((releaseId: string) => object), by: string, id?: string,
    more: { readonly ledger?: readonly LedgerRow[]; readonly documents?: ReleaseExtras['documents'] } = {},
  ): ReleaseRecord {
    const { ledger, documents } = more;
    const withRow = ledger === undefined ? undefined : (releaseId: string) => this.ledger.record(projectId, releaseId, ledger);
    return this.releases.create(jobId, projectId, files, manifest, by, id, { withRow, documents });
  }
  /** A staging directory whose `dir` a release build's worker writes into (`writeStagedTable`), then `commitRelease`. */
  stageRelease(): StagingDir { return this.releases.stage(); }
  /** `createRelease` for files already written into `staging` (adopted after a size check); aborts the staging on failure. */
  commitRelease(
    staging: StagingDir, keys: ReleaseRowKeys, written: readonly StoredFile[], manifest: (releaseId: string) => object,
    more: { readonly ledger?: readonly LedgerRow[]; readonly documents?: ReleaseExtras['documents'] } = {},
  ): ReleaseRecord {
    const withRow = more.ledger === undefined ? undefined : (releaseId: string) => this.ledger.record(keys.projectId, releaseId, more.ledger!);
    return this.releases.commit(staging, keys, written, manifest, { withRow, documents: more.documents });
  }
  /** The ledger rows of a longitudinal project's approved releases (release-ledger.ts). */
  releaseLedger(projectId: string): { releases: string[]; rows: LedgerRow[] } { return this.ledger.approved(projectId); }
  /** The project's approved releases that have ledger rows, sorted by id. */
  ledgerReleases(projectId: string): string[] { return this.ledger.approvedReleases(projectId); }
  withdrawRelease(id: string, by: string, reason: string): boolean { return this.releases.withdraw(id, by, reason); }
  /**
   * Approves a draft: `entry` is appended to the audit trail inside the approval's transaction,
   * so it exists exactly when the approval does (never for an approval that failed to commit,
   * never missing for one that did), and `finalise` gets the head that includes it.
   */
  approveRelease(id: string, by: string, entry: AuditInput, finalise: (draft: Record<string, unknown>, head: AuditHead) => object): ReleaseRecord {
    return this.releases.approveRelease(id, by, (draft) => {
      const appended = this.chain.append(entry);
      return finalise(draft, { seq: appended.seq, mac: appended.mac });
    });
  }
  getRelease(id: string): ReleaseRecord | null { return this.releases.get(id); }
  listReleases(filter?: { projectIds?: readonly string[]; status?: ReleaseStatus }): ReleaseRecord[] { return this.releases.list(filter); }
  /** A release file verified against its manifest's sha256, to stream or read by batch; null if unknown. */
  async openReleaseFile(id: string, name: string, options?: ReadOptions): Promise<VerifiedFile | null> { return this.releases.openFile(id, name, options); }

  /** A delivery's stored files as audit entries record them (audit-files.ts). */
  deliveryAuditFiles(delivery: DeliveryRecord): AuditedFile[] { return auditedFiles('deliveries', delivery.id, delivery.files); }
  /** A release's stored files (or the one stored as `file`, e.g. `persons.parquet`) as audit entries record them. */
  releaseAuditFiles(release: ReleaseRecord, file?: string): AuditedFile[] {
    return auditedFiles('releases', release.id, file === undefined ? release.files : release.files.filter((f) => f.name === file));
  }

  // disk space
  /** Bytes an unprivileged writer may still use in the data directory's file system. */
  freeBytes(): number {
    const fsStats = fs.statfsSync(this.dataDir);
    return fsStats.bavail * fsStats.bsize;
  }
  /** KOPPEL_ERR_STORE_NO_SPACE, naming both figures, unless `needed` bytes are free for `what`. */
  ensureFreeSpace(needed: number, what: string): void {
    const free = this.freeBytes();
    if (free < needed) {
      throw new KoppelError('KOPPEL_ERR_STORE_NO_SPACE', `${what} need an estimated ${mebibytes(needed)} but the data directory has ${mebibytes(free)} free`, { needed, free });
    }
  }

  // audit
  audit(entry: AuditInput): AuditEntry { return this.chain.append(entry); }
  /** Closes the open key rotation and appends `entry(seal of the old key's entries)` in one transaction (audit-chain.ts). */
  closeKeyRotation(by: string, forced: boolean, entry: (seal: AuditSeal) => AuditInput): RotationRecord {
    return this.db.transaction(() => {
      const rotation = this.keyRotations.close(by, forced);
      this.chain.append(entry(this.chain.seal(rotation.old_key_id)));
      return rotation;
    }).immediate();
  }
  listAudit(opts?: { after?: number; limit?: number }): AuditEntry[] { return this.chain.list(opts); }
  auditHead(): AuditHead | null { return this.chain.headOf(); }
  /** The read-only check of `koppel audit verify` (audit-verify.ts), on this store's files. */
  verifyAudit(opts: { expectedHead?: AuditHead } = {}): AuditVerification {
    if (this.keyring === undefined) throw new KoppelError('KOPPEL_ERR_KEY_MISSING', 'verifying the audit trail needs a keyring; open the store with --keys');
    const { head: _head, ...result } = verifyAuditReadOnly(this.dataDir, this.keyring, opts.expectedHead);
    return result;
  }
}

function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export function openStore(opts: StoreOptions): Store {
  return new Store(opts);
}
