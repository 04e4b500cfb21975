/**
 * Recurrent products and their runs (migration 7). A product is a project's saved job and
 * release settings; each change bumps its version and records who made it. A run is one attempt
 * at one period, a row from the moment it is claimed:
 *
 *   claim (running) ──> job ──> release draft ──> succeeded
 *          │                                  └─> failed (code, message, stage) ──> a later attempt
 *
 * At most one attempt per product and period is running or succeeded (a partial unique index):
 * concurrent claims for a period give one run, whichever process or commit gets there first.
 */
import { KoppelError } from '../errors.js';
import type { ProductSpec } from '../model.js';
import { parseJson, type Db } from './database.js';
import { newId, now } from './ids.js';

export interface ProductRecord extends ProductSpec {
  readonly id: string;
  readonly project_id: string;
  /** 1 when registered; each change adds one. */
  readonly version: number;
  readonly created_at: string;
  readonly created_by: string;
  readonly updated_at: string;
  /** The operator who registered the product or last changed it. */
  readonly updated_by: string;
}

export type ProductRunStatus = 'running' | 'succeeded' | 'failed';

export interface ProductRunError {
  readonly code: string;
  readonly message: string;
  /** Where it failed: choosing deliveries, the job, or the release build. */
  readonly stage: 'deliveries' | 'job' | 'release' | 'interrupted';
}

export interface ProductRunRecord {
  readonly id: string;
  readonly product_id: string;
  readonly period: string;
  readonly attempt: number;
  readonly status: ProductRunStatus;
  readonly product_version: number;
  /** The product's settings as this attempt ran them. */
  readonly settings: ProductSpec;
  /** Who had registered or last changed those settings. */
  readonly settings_by: string;
  readonly deliveries: readonly string[];
  readonly job_id: string | null;
  readonly release_id: string | null;
  readonly error: ProductRunError | null;
  readonly started_at: string;
  readonly finished_at: string | null;
}

interface ProductRow {
  id: string; project_id: string; spec_json: string; version: number;
  created_at: string; created_by: string; updated_at: string; updated_by: string;
}

interface RunRow {
  id: string; product_id: string; period: string; attempt: number; status: ProductRunStatus; product_version: number;
  settings_json: string; settings_by: string; deliveries_json: string; job_id: string | null; release_id: string | null;
  error_json: string | null; started_at: string; finished_at: string | null;
}

function productRecord(row: ProductRow): ProductRecord {
  const spec = JSON.parse(row.spec_json) as ProductSpec;
  return {
    ...spec, id: row.id, project_id: row.project_id, version: row.version,
    created_at: row.created_at, created_by: row.created_by, updated_at: row.updated_at, updated_by: row.updated_by,
  };
}

function runRecord(row: RunRow): ProductRunRecord {
  return {
    id: row.id, product_id: row.product_id, period: row.period, attempt: row.attempt, status: row.status,
    product_version: row.product_version, settings: JSON.parse(row.settings_json) as ProductSpec, settings_by: row.settings_by,
    deliveries: JSON.parse(row.deliveries_json) as string[], job_id: row.job_id, release_id: row.release_id,
    error: parseJson<ProductRunError>(row.error_json), started_at: row.started_at, finished_at: row.finished_at,
  };
}

/** The settings alone, as stored (a record's own fields are not part of them). */
function specOf(spec: ProductSpec): ProductSpec {
  const { name, schedule, datasets, from, job, release } = spec;
  return { name, schedule, datasets, from, job, release };
}

export class Products {
  private readonly byId;
  private readonly all;
  private readonly ofProject;
  private readonly insert;
  private readonly save;
  private readonly attempts;
  private readonly insertRun;
  private readonly runById;
  private readonly runsOf;
  private readonly runOfJobOrRelease;
  private readonly setJob;
  private readonly finish;

  constructor(private readonly db: Db) {
    this.byId = db.prepare<[string], ProductRow>('SELECT * FROM products WHERE id = ?');
    this.all = db.prepare<[], ProductRow>('SELECT * FROM products ORDER BY created_at, id');
    this.ofProject = db.prepare<[string], ProductRow>('SELECT * FROM products WHERE project_id = ? ORDER BY created_at, id');
    this.insert = db.prepare('INSERT INTO products (id, project_id, spec_json, version, created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, 1, ?, ?, ?, ?)');
    this.save = db.prepare('UPDATE products SET spec_json = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE id = ?');
    this.attempts = db.prepare<[string, string], RunRow>('SELECT * FROM product_runs WHERE product_id = ? AND period = ? ORDER BY attempt');
    this.insertRun = db.prepare(`INSERT INTO product_runs (id, product_id, period, attempt, status, product_version, settings_json, settings_by, deliveries_json, started_at)
      VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)`);
    this.runById = db.prepare<[string], RunRow>('SELECT * FROM product_runs WHERE id = ?');
    this.runsOf = db.prepare<[string], RunRow>('SELECT * FROM product_runs WHERE product_id = ? ORDER BY started_at, period, attempt');
    this.runOfJobOrRelease = db.prepare<[string, string], RunRow>('SELECT * FROM product_runs WHERE release_id = ? OR job_id = ? ORDER BY started_at DESC LIMIT 1');
    this.setJob = db.prepare("UPDATE product_runs SET job_id = ? WHERE id = ? AND status = 'running'");
    this.finish = db.prepare("UPDATE product_runs SET status = ?, release_id = ?, error_json = ?, finished_at = ? WHERE id = ? AND status = 'running'");
  }

  create(projectId: string, spec: ProductSpec, by: string): ProductRecord {
    const id = newId('prd');
    const at = now();
    this.insert.run(id, projectId, JSON.stringify(specOf(spec)), at, by, at, by);
    return this.get(id)!;
  }

  get(id: string): ProductRecord | null {
    const row = this.byId.get(id);
    return row === undefined ? null : productRecord(row);
  }

  /** Every product, or a project's. */
  list(projectId?: string): ProductRecord[] {
    return (projectId === undefined ? this.all.all() : this.ofProject.all(projectId)).map(productRecord);
  }

  /** Replaces the settings: the version goes up by one and `by` becomes the last to change them. */
  update(id: string, spec: ProductSpec, by: string): ProductRecord {
    if (this.save.run(JSON.stringify(specOf(spec)), now(), by, id).changes !== 1) {
      throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no product ${id}`, { product: id });
    }
    return this.get(id)!;
  }

  /**
   * A new attempt at the period with these deliveries, under the product's settings as they are
   * at this moment, if `mayStart` allows it given the period's earlier attempts (oldest first);
   * null otherwise. One immediate transaction: two claims never both see "no run yet".
   */
  claimRun(productId: string, period: string, deliveries: readonly string[], mayStart: (attempts: readonly ProductRunRecord[], product: ProductRecord) => boolean): ProductRunRecord | null {
    return this.db.transaction(() => {
      const product = this.get(productId);
      if (product === null) return null;
      const attempts = this.attempts.all(productId, period).map(runRecord);
      if (!mayStart(attempts, product)) return null;
      const id = newId('run');
      this.insertRun.run(
        id, productId, period, attempts.length + 1, product.version, JSON.stringify(specOf(product)), product.updated_by, JSON.stringify(deliveries), now(),
      );
      return runRecord(this.runById.get(id)!);
    }).immediate();
  }

  runs(productId: string): ProductRunRecord[] {
    return this.runsOf.all(productId).map(runRecord);
  }

  getRun(id: string): ProductRunRecord | null {
    const row = this.runById.get(id);
    return row === undefined ? null : runRecord(row);
  }

  /** The run that made this release, or ran this job; null for a release or job an operator made. */
  runOf(releaseId: string, jobId: string): ProductRunRecord | null {
    const row = this.runOfJobOrRelease.get(releaseId, jobId);
    return row === undefined ? null : runRecord(row);
  }

  setRunJob(runId: string, jobId: string): void {
    this.setJob.run(jobId, runId);
  }

  /** Ends a running attempt; false when it was not running (already ended, or failed at a restart). */
  finishRun(runId: string, outcome: { readonly release_id: string } | { readonly error: ProductRunError }): boolean {
    const failed = 'error' in outcome;
    return this.finish.run(failed ? 'failed' : 'succeeded', failed ? null : outcome.release_id, failed ? JSON.stringify(outcome.error) : null, now(), runId).changes === 1;
  }

  /** At startup: attempts a stopped process left running can never finish; mark them failed. */
  failInterrupted(): ProductRunRecord[] {
    return this.db.transaction(() => {
      const rows = this.db.prepare<[], RunRow>("SELECT * FROM product_runs WHERE status = 'running'").all();
      const error: ProductRunError = { code: 'KOPPEL_ERR_LINK_INTERRUPTED', message: 'the server stopped while this run was under way', stage: 'interrupted' };
      for (const r of rows) this.finishRun(r.id, { error });
      return rows.map((r) => this.getRun(r.id)!);
    }).immediate();
  }
}
