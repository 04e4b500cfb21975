/**
 * Linkage jobs: a row from the moment the job is queued, and `jobs/<id>/` (links.arrow,
 * clusters.arrow, report.json, ...) published atomically once, when the job has produced it.
 */
import path from 'node:path';
import type { Table } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import type { StoredFileRef } from './stored-files.js';
import { parseJson, type Db } from './database.js';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fsyncDir, removeTree, tempNameFor } from './durable-fs.js';
import { newId, now } from './ids.js';
import type { JobRecord, JobStatus, StoredFile } from './records.js';
import { StagingDir, arrowFileName } from './staging.js';

export interface JobPatch {
  readonly status?: Exclude<JobStatus, 'queued'>;
  readonly progress?: object;
  readonly report?: object;
  readonly error?: object;
}

interface JobRow {
  id: string;
  project_id: string;
  status: JobStatus;
  settings_json: string;
  progress_json: string | null;
  report_json: string | null;
  error_json: string | null;
  files_json: string | null;
  created_at: string;
  created_by: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
}

function jobRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    project_id: row.project_id,
    status: row.status,
    settings: JSON.parse(row.settings_json) as object,
    progress: parseJson<object>(row.progress_json),
    report: parseJson<object>(row.report_json),
    error: parseJson<object>(row.error_json),
    files: parseJson<StoredFile[]>(row.files_json) ?? [],
    created_at: row.created_at,
    created_by: row.created_by,
    started_at: row.started_at,
    finished_at: row.finished_at,
    updated_at: row.updated_at,
  };
}

export class Jobs {
  private readonly byId;
  private readonly projectExists;
  private readonly insert;
  private readonly save;
  private readonly setFiles;

  constructor(private readonly db: Db, private readonly jobsDir: string, private readonly stagingDir: string) {
    this.byId = db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?');
    this.projectExists = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM projects WHERE id = ?');
    this.insert = db.prepare(`INSERT INTO jobs (id, project_id, status, settings_json, created_at, created_by, updated_at)
      VALUES (?, ?, 'queued', ?, ?, ?, ?)`);
    this.save = db.prepare(`UPDATE jobs SET status = @status, progress_json = @progress_json, report_json = @report_json,
      error_json = @error_json, started_at = @started_at, finished_at = @finished_at, updated_at = @updated_at WHERE id = @id`);
    this.setFiles = db.prepare('UPDATE jobs SET files_json = ?, updated_at = ? WHERE id = ? AND files_json IS NULL');
  }

  create(projectId: string, settings: object, by: string): JobRecord {
    if (this.projectExists.get(projectId) === undefined) {
      throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no project ${projectId}`, { project: projectId });
    }
    const id = newId('job');
    const at = now();
    this.insert.run(id, projectId, JSON.stringify(settings), at, by, at);
    return this.get(id) as JobRecord;
  }

  /** Apply a patch; `running` stamps started_at, `succeeded`/`failed` stamp finished_at. */
  update(id: string, patch: JobPatch): void {
    this.db.transaction(() => {
      const row = this.byId.get(id);
      if (row === undefined) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no job ${id}`, { job: id });
      const at = now();
      const status = patch.status ?? row.status;
      this.save.run({
        id,
        status,
        progress_json: patch.progress === undefined ? row.progress_json : JSON.stringify(patch.progress),
        report_json: patch.report === undefined ? row.report_json : JSON.stringify(patch.report),
        error_json: patch.error === undefined ? row.error_json : JSON.stringify(patch.error),
        started_at: row.started_at ?? (status === 'running' ? at : null),
        finished_at: status === 'succeeded' || status === 'failed' ? (row.finished_at ?? at) : row.finished_at,
        updated_at: at,
      });
    }).immediate();
  }

  /** Marks every queued or running job failed (a restarted process cannot resume them). */
  failInterrupted(): number {
    const at = now();
    const error = JSON.stringify({ code: 'KOPPEL_ERR_LINK_INTERRUPTED', message: 'the server stopped while the job ran; run it again' });
    return this.db.prepare(`UPDATE jobs SET status = 'failed', error_json = ?, finished_at = ?, updated_at = ?
      WHERE status IN ('queued', 'running')`).run(error, at, at).changes;
  }

  /** The project's most recently finished successful job, or null. */
  latestSucceeded(projectId: string): JobRecord | null {
    const row = this.db.prepare<[string], JobRow>(`SELECT * FROM jobs WHERE project_id = ? AND status = 'succeeded'
      ORDER BY finished_at DESC, rowid DESC LIMIT 1`).get(projectId);
    return row === undefined ? null : jobRecord(row);
  }

  get(id: string): JobRecord | null {
    const row = this.byId.get(id);
    return row === undefined ? null : jobRecord(row);
  }

  /** The newest `limit` jobs (of one project if given), without their reports and files: a listing stays small. */
  list(filter: { projectId?: string; limit: number }): JobRecord[] {
    const rows = this.db.prepare<[string | null, string | null, number], JobRow>(`SELECT id, project_id, status, settings_json, progress_json,
      NULL AS report_json, error_json, NULL AS files_json, created_at, created_by, started_at, finished_at, updated_at
      FROM jobs WHERE (? IS NULL OR project_id = ?) ORDER BY created_at DESC, id DESC LIMIT ?`).all(filter.projectId ?? null, filter.projectId ?? null, filter.limit);
    return rows.map(jobRecord);
  }

  /** Publish the job's files and report.json, once; a second call is KOPPEL_ERR_STORE_CONFLICT. */
  writeFiles(jobId: string, files: readonly { name: string; table: Table }[], report: object): void {
    const staging = this.stageFor(jobId);
    try {
      const stored = files.map((f) => staging.writeTable(arrowFileName(f.name), f.table));
      this.publish(jobId, staging, stored, report);
    } catch (err) {
      staging.abort();
      throw err;
    }
  }

  /**
   * `writeFiles` for files already encoded as Arrow IPC file bytes (built off the main thread),
   * written without blocking the event loop for more than a slice at a time.
   */
  async writeFileBytes(jobId: string, files: readonly { name: string; bytes: Uint8Array; rows?: number }[], report: object): Promise<void> {
    const staging = this.stageFor(jobId);
    try {
      const stored: StoredFile[] = [];
      for (const f of files) stored.push(await staging.writeBytes(arrowFileName(f.name), f.bytes, f.rows));
      this.publish(jobId, staging, stored, report);
    } catch (err) {
      staging.abort();
      throw err;
    }
  }

  private stageFor(jobId: string): StagingDir {
    const row = this.byId.get(jobId);
    if (row === undefined) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no job ${jobId}`, { job: jobId });
    if (row.files_json !== null) throw new KoppelError('KOPPEL_ERR_STORE_CONFLICT', `job ${jobId} already has its files`, { job: jobId });
    return new StagingDir(this.stagingDir, 'job');
  }

  /** Writes report.json and publishes the staged directory in the transaction that records it. */
  private publish(jobId: string, staging: StagingDir, stored: readonly StoredFile[], report: object): void {
    const target = path.join(this.jobsDir, jobId);
    let published = false;
    try {
      staging.writeText('report.json', `${JSON.stringify(report, null, 2)}\n`);
      this.db.transaction(() => {
        // Checked again under the write lock: never publish over another writer's files.
        if (this.byId.get(jobId)?.files_json !== null) {
          throw new KoppelError('KOPPEL_ERR_STORE_CONFLICT', `job ${jobId} already has its files`, { job: jobId });
        }
        staging.publish(target);
        published = true;
        this.setFiles.run(JSON.stringify(stored), now(), jobId);
      }).immediate();
    } catch (err) {
      if (published) removeTree(target);
      throw err;
    }
  }

  /**
   * Replaces a recorded file of a job (clerical decisions re-derive its persons): the bytes go to
   * a temp file, fsynced, renamed over the old one inside the transaction that records the new
   * hash. A crash in between leaves a hash mismatch that reading detects, never a silent change.
   */
  replaceFileBytes(jobId: string, file: { name: string; bytes: Uint8Array; rows?: number }): void {
    const fileName = arrowFileName(file.name);
    const target = path.join(this.jobsDir, jobId, fileName);
    const tmp = tempNameFor(target);
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      for (let at = 0; at < file.bytes.length;) at += fs.writeSync(fd, file.bytes, at, file.bytes.length - at);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    const stored: StoredFile = { name: fileName, bytes: file.bytes.byteLength, sha256: createHash('sha256').update(file.bytes).digest('hex'), ...(file.rows === undefined ? {} : { rows: file.rows }) };
    try {
      this.db.transaction(() => {
        const files = this.get(jobId)?.files ?? [];
        const at = files.findIndex((f) => f.name === fileName);
        if (at < 0) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `job ${jobId} has no file ${fileName}`, { job: jobId, file: fileName });
        this.db.prepare('UPDATE jobs SET files_json = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(files.map((f, i) => (i === at ? stored : f))), now(), jobId);
        fs.renameSync(tmp, target);
      }).immediate();
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    fsyncDir(path.dirname(target));
  }

  /** Where a job's recorded file is and what it must hash to (read it with stored-files.ts). */
  fileRef(jobId: string, name: string): StoredFileRef {
    const job = this.get(jobId);
    if (job === null) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no job ${jobId}`, { job: jobId });
    const fileName = arrowFileName(name);
    const file = job.files.find((f) => f.name === fileName);
    if (file === undefined) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `job ${jobId} has no file ${fileName}`, { job: jobId, file: fileName });
    return { path: path.join(this.jobsDir, jobId, fileName), bytes: file.bytes, sha256: file.sha256, what: `jobs/${jobId}/${fileName}` };
  }
}
