/**
 * Releases: `releases/<id>/` holds one `<name>.arrow` per released table and `manifest.json`.
 * Built as a draft (the manifest gets every file's sha256), then approved by a second operator
 * (four-eyes, enforced here as well as in the API), which rewrites the manifest atomically with
 * the approver and the audit chain head.
 *
 * The row's manifest is the truth; manifest.json is its durable copy for whoever reads the
 * directory. A crash between rewriting the file and committing the row is repaired at startup
 * (`reconcileManifests`), which rewrites the file from the row.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Table } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import type { Db } from './database.js';
import { isSafeName, removeTree, writeFileDurableSync } from './durable-fs.js';
import { newId, now } from './ids.js';
import type { ReleaseRecord, ReleaseStatus, StoredFile } from './records.js';
import { StagingDir, arrowFileName } from './staging.js';
import { openStoredFile, type ReadOptions, type VerifiedFile } from './stored-files.js';

export const MANIFEST_FILE = 'manifest.json';

type Manifest = Record<string, unknown>;

interface ReleaseRow {
  id: string;
  job_id: string;
  project_id: string;
  status: ReleaseStatus;
  manifest_json: string;
  files_json: string;
  created_at: string;
  created_by: string;
  approved_at: string | null;
  approved_by: string | null;
  withdrawn_at: string | null;
  withdrawn_by: string | null;
  withdrawn_reason: string | null;
}

function releaseRecord(row: ReleaseRow): ReleaseRecord {
  return {
    id: row.id,
    job_id: row.job_id,
    project_id: row.project_id,
    status: row.status,
    manifest: JSON.parse(row.manifest_json) as Manifest,
    files: JSON.parse(row.files_json) as StoredFile[],
    created_at: row.created_at,
    created_by: row.created_by,
    approved_at: row.approved_at,
    approved_by: row.approved_by,
    withdrawn: row.withdrawn_at === null ? null : { at: row.withdrawn_at, by: row.withdrawn_by ?? '', reason: row.withdrawn_reason ?? '' },
  };
}

/** The exact bytes of manifest.json for a manifest: the same text at write and at repair. */
export function manifestText(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * A copy of `manifest` whose `files` entries carry each stored file's sha256, size and file
 * name. An entry is matched by `name` with or without `.arrow`; an Arrow file without one is
 * added; `<name>.parquet` goes on entry `name` as `parquet`, any other file (quality.html) in
 * `documents`. Applied again after finalising, so a finaliser cannot drop or change the hashes.
 */
export function withFileHashes(manifest: object, stored: readonly StoredFile[]): Manifest {
  const out = JSON.parse(JSON.stringify(manifest)) as Manifest;
  const list: Record<string, unknown>[] = Array.isArray(out.files) ? (out.files as Record<string, unknown>[]) : [];
  const documents: Record<string, unknown>[] = [];
  for (const file of stored) {
    const parquet = /^(.+)\.parquet$/.exec(file.name);
    const table = parquet === null ? undefined : list.find((e) => e !== null && typeof e === 'object' && e.name === parquet[1]);
    if (table !== undefined) {
      table.parquet = { file: file.name, sha256: file.sha256, bytes: file.bytes };
      continue;
    }
    if (!file.name.endsWith('.arrow')) {
      documents.push({ file: file.name, sha256: file.sha256, bytes: file.bytes });
      continue;
    }
    const base = file.name.replace(/\.arrow$/, '');
    let entry = list.find((e) => e !== null && typeof e === 'object' && (e.name === base || e.name === file.name));
    if (entry === undefined) {
      entry = { name: base };
      list.push(entry);
    }
    entry.file = file.name;
    entry.sha256 = file.sha256;
    entry.bytes = file.bytes;
    if (entry.rows === undefined && file.rows !== undefined) entry.rows = file.rows;
  }
  out.files = list;
  if (documents.length > 0) out.documents = documents;
  return out;
}

/** Besides the Arrow tables: other files of the release, and what to do in the row's transaction. */
export interface ReleaseExtras {
  /** `<table>.parquet` (its hash goes on the table's entry, as `parquet`) or a document such as `quality.html`. */
  readonly documents?: readonly { readonly name: string; readonly bytes: Uint8Array }[];
  readonly withRow?: (releaseId: string) => void;
}

/** Who makes which release of which job. */
export interface ReleaseRowKeys {
  readonly jobId: string;
  readonly projectId: string;
  readonly id: string;
  readonly by: string;
}

/** The stored file name for a download name: `<table>` is its Arrow file; Parquet and HTML files as named. */
function storedName(name: string): string {
  return /\.(parquet|html)$/.test(name) ? name : arrowFileName(name);
}

export class Releases {
  private readonly byId;
  private readonly jobOfProject;
  private readonly insert;
  private readonly approve;
  private readonly all;
  private readonly withdrawRow;

  constructor(private readonly db: Db, private readonly releasesDir: string, private readonly stagingDir: string) {
    this.byId = db.prepare<[string], ReleaseRow>('SELECT * FROM releases WHERE id = ?');
    this.jobOfProject = db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM jobs WHERE id = ? AND project_id = ?');
    this.insert = db.prepare(`INSERT INTO releases (id, job_id, project_id, status, manifest_json, files_json, created_at, created_by)
      VALUES (@id, @job_id, @project_id, 'draft', @manifest_json, @files_json, @created_at, @created_by)`);
    this.approve = db.prepare(`UPDATE releases SET status = 'approved', manifest_json = ?, approved_at = ?, approved_by = ?
      WHERE id = ? AND status = 'draft'`);
    this.all = db.prepare<[], ReleaseRow>('SELECT * FROM releases ORDER BY created_at, id');
    this.withdrawRow = db.prepare(`UPDATE releases SET withdrawn_at = ?, withdrawn_by = ?, withdrawn_reason = ?
      WHERE id = ? AND status = 'approved' AND withdrawn_at IS NULL`);
  }

  create(
    jobId: string, projectId: string, files: readonly { name: string; table: Table }[], manifest: object | ((releaseId: string) => object), by: string,
    id: string = newId('rel'), more: ReleaseExtras = {},
  ): ReleaseRecord {
    this.checkNew(jobId, projectId, id);
    const staging = this.stage();
    let stored: StoredFile[];
    try {
      stored = files.map((f) => staging.writeTable(arrowFileName(f.name), f.table));
    } catch (err) {
      staging.abort();
      throw err;
    }
    return this.publish(staging, { jobId, projectId, id, by }, stored, manifest, more);
  }

  /** A staging directory for a release whose files are written elsewhere (a worker thread), then `commit`ted. */
  stage(): StagingDir {
    return new StagingDir(this.stagingDir, 'release');
  }

  /**
   * Publishes a staged release: `written` are the files another thread wrote into `staging`
   * (checked and adopted), `more.documents` are written here, then the manifest. On failure the
   * staging directory is discarded.
   */
  commit(staging: StagingDir, row: ReleaseRowKeys, written: readonly StoredFile[], manifest: object | ((releaseId: string) => object), more: ReleaseExtras = {}): ReleaseRecord {
    let stored: StoredFile[];
    try {
      this.checkNew(row.jobId, row.projectId, row.id);
      stored = staging.adopt(written);
    } catch (err) {
      staging.abort();
      throw err;
    }
    return this.publish(staging, row, stored, manifest, more);
  }

  private checkNew(jobId: string, projectId: string, id: string): void {
    if (this.jobOfProject.get(jobId, projectId) === undefined) {
      throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no job ${jobId} of project ${projectId}`, { job: jobId, project: projectId });
    }
    if (!/^rel_[0-9a-f]{20}$/.test(id)) throw new RangeError('a release id is rel_ and 20 hex digits');
  }

  /** Documents and manifest.json into the staging directory, then one rename in the row's transaction. */
  private publish(staging: StagingDir, keys: ReleaseRowKeys, stored: StoredFile[], manifest: object | ((releaseId: string) => object), more: ReleaseExtras): ReleaseRecord {
    const { jobId, projectId, id, by } = keys;
    const target = path.join(this.releasesDir, id);
    let published = false;
    try {
      // Small files, written whole and hashed in one call.
      for (const d of more.documents ?? []) stored.push(staging.writeBytesSync(d.name, d.bytes));
      const draft = withFileHashes(typeof manifest === 'function' ? manifest(id) : manifest, stored);
      staging.writeText(MANIFEST_FILE, manifestText(draft));
      const row: ReleaseRow = {
        id, job_id: jobId, project_id: projectId, status: 'draft',
        manifest_json: JSON.stringify(draft), files_json: JSON.stringify(stored),
        created_at: now(), created_by: by, approved_at: null, approved_by: null,
        withdrawn_at: null, withdrawn_by: null, withdrawn_reason: null,
      };
      this.db.transaction(() => {
        staging.publish(target);
        published = true;
        this.insert.run(row);
        more.withRow?.(id);
      }).immediate();
      return releaseRecord(row);
    } catch (err) {
      if (published) removeTree(target);
      staging.abort();
      throw err;
    }
  }

  approveRelease(id: string, by: string, finalise: (draft: Manifest) => object): ReleaseRecord {
    return this.db.transaction(() => {
      const row = this.byId.get(id);
      if (row === undefined) throw new KoppelError('KOPPEL_ERR_RELEASE_NOT_FOUND', `no release ${id}`, { release: id });
      if (row.status === 'approved') throw new KoppelError('KOPPEL_ERR_RELEASE_ALREADY_APPROVED', `release ${id} is already approved`, { release: id });
      if (row.created_by === by) {
        throw new KoppelError('KOPPEL_ERR_AUTH_FOUR_EYES', `release ${id} was built by ${by}, who may not also approve it`, { release: id });
      }
      const files = JSON.parse(row.files_json) as StoredFile[];
      const final = withFileHashes(finalise(JSON.parse(row.manifest_json) as Manifest), files);
      const approvedAt = typeof final.approved_at === 'string' ? final.approved_at : now();
      const file = path.join(this.releasesDir, id, MANIFEST_FILE);
      writeFileDurableSync(file, manifestText(final));
      try {
        this.approve.run(JSON.stringify(final), approvedAt, by, id);
      } catch (err) {
        // The row stays a draft, so the file must say so again.
        writeFileDurableSync(file, manifestText(JSON.parse(row.manifest_json) as Manifest));
        throw err;
      }
      return releaseRecord(this.byId.get(id) as ReleaseRow);
    }).immediate();
  }

  /** Marks an approved release withdrawn; false when it is not approved or already withdrawn. */
  withdraw(id: string, by: string, reason: string): boolean {
    return this.withdrawRow.run(now(), by, reason, id).changes === 1;
  }

  get(id: string): ReleaseRecord | null {
    const row = this.byId.get(id);
    return row === undefined ? null : releaseRecord(row);
  }

  list(filter: { projectIds?: readonly string[]; status?: ReleaseStatus } = {}): ReleaseRecord[] {
    const projects = filter.projectIds === undefined ? null : new Set(filter.projectIds);
    return this.all.all()
      .filter((r) => (projects === null || projects.has(r.project_id)) && (filter.status === undefined || r.status === filter.status))
      .map(releaseRecord);
  }

  /**
   * A release file, opened and verified against the sha256 and size its manifest records
   * (KOPPEL_ERR_STORE_CORRUPT otherwise), ready to be read as Arrow batches or streamed as
   * bytes; null if there is no such release or file.
   */
  async openFile(id: string, name: string, options?: ReadOptions): Promise<VerifiedFile | null> {
    const record = this.get(id);
    if (record === null) return null;
    const fileName = storedName(name);
    if (!isSafeName(fileName)) return null;
    const file = record.files.find((f) => f.name === fileName);
    if (file === undefined) return null;
    return openStoredFile({ path: path.join(this.releasesDir, id, fileName), bytes: file.bytes, sha256: file.sha256, what: `releases/${id}/${fileName}` }, options);
  }

  /** `audit_head` of every approved manifest: heads the audit chain must still contain. */

  /** Rewrite manifest.json files that differ from their row (crash during approval); returns how many. */
  reconcileManifests(): number {
    let repaired = 0;
    for (const row of this.all.all()) {
      const file = path.join(this.releasesDir, row.id, MANIFEST_FILE);
      const expected = manifestText(JSON.parse(row.manifest_json) as Manifest);
      let actual: string | null = null;
      try {
        actual = fs.readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      if (actual !== expected && fs.existsSync(path.dirname(file))) {
        writeFileDurableSync(file, expected);
        repaired++;
      }
    }
    return repaired;
  }
}
