/**
 * Runs a release build's ReleaseTask (release-worker-tasks.ts) in a worker thread, so the
 * server keeps answering while a release of millions of persons is assembled and written; or
 * inline on the main thread when the configuration says `jobWorkers: 0`.
 *
 *   main thread                                     worker (release-worker.ts)
 *   openReleaseRunner: lease a worker of the context's pool (jobWorkers of them; more builds wait)
 *   assemble(input) ── refs, project, key ────────> read, assemble    ── files, counts ──> exposure check (SQLite)
 *   write(staging)  ── the staging dir's path ────> write + hash files ── sizes, hashes ─> commit (one transaction)
 *   close(): free the lease; the worker ends (its memory goes back) after a large build or a
 *            failure, and after a small one waits, idle and unref'd, for the next build
 *
 * The pool is util/worker-pool.ts: a failure in the worker comes back as the same coded error
 * (a refusal such as KOPPEL_ERR_RELEASE_KEY_VARIABLE_COPY answers as it does inline); a worker that
 * dies fails the build with KOPPEL_ERR_LINK_WORKER_FAILED.
 */
import type { StagingRef, StoredFile } from '../store/index.js';
import { WorkerPool, liveWorkers, type Lease } from '../util/worker-pool.js';
import type { PipelineContext } from './context.js';
import { ReleaseTask, type AssembledSummary, type ReleaseTaskInput } from './release-worker-tasks.js';

export interface ReleaseRunner {
  readonly mode: 'worker' | 'inline';
  assemble(input: ReleaseTaskInput): Promise<AssembledSummary>;
  write(staging: StagingRef): Promise<StoredFile[]>;
  /** Ends the worker, if any, and frees the slot; safe to call more than once. */
  close(): Promise<void>;
}

/** The task table of release-worker.ts: one build's steps, in order, on one leased worker. */
export type ReleaseTasks = {
  assemble: (input: ReleaseTaskInput) => Promise<AssembledSummary>;
  write: (staging: StagingRef) => Promise<StoredFile[]>;
};

const ENTRY = 'release-worker';

/**
 * A worker that built a release of this many records or more ends with it, so that its memory
 * goes back to the system; one that built a smaller release is kept for the next build, which
 * then skips the worker's start (loading its modules: most of a small build's time).
 */
const RETIRE_FROM_RECORDS = 1_000_000;

const poolOf = new WeakMap<PipelineContext, WorkerPool<ReleaseTasks>>();

/** Release worker threads of this process that have not exited yet (for tests). */
export function liveReleaseWorkers(): number {
  return liveWorkers(ENTRY);
}

/** A runner for one build: in a worker thread unless `ctx.config.jobWorkers` is 0. */
export async function openReleaseRunner(ctx: PipelineContext): Promise<ReleaseRunner> {
  if (ctx.config.jobWorkers === 0) return new InlineRunner();
  let pool = poolOf.get(ctx);
  if (pool === undefined) {
    pool = new WorkerPool<ReleaseTasks>({ from: import.meta.url, entry: ENTRY, role: 'building a release', size: ctx.config.jobWorkers, start: 'on-demand' });
    poolOf.set(ctx, pool);
  }
  return new WorkerRunner(await pool.lease());
}

class InlineRunner implements ReleaseRunner {
  readonly mode = 'inline';
  private task: ReleaseTask | null = null;

  assemble(input: ReleaseTaskInput): Promise<AssembledSummary> {
    this.task = new ReleaseTask(input);
    return this.task.assemble();
  }

  write(staging: StagingRef): Promise<StoredFile[]> {
    if (this.task === null) return Promise.reject(new Error('ReleaseRunner.write() before assemble()'));
    return this.task.write(staging);
  }

  async close(): Promise<void> {
    this.task = null;
  }
}

class WorkerRunner implements ReleaseRunner {
  readonly mode = 'worker';
  private records = Infinity;
  private written = false;

  constructor(private readonly lease: Lease<ReleaseTasks>) {}

  async assemble(input: ReleaseTaskInput): Promise<AssembledSummary> {
    const summary = await this.lease.run('assemble', input);
    this.records = summary.records;
    return summary;
  }

  async write(staging: StagingRef): Promise<StoredFile[]> {
    const files = await this.lease.run('write', { dir: staging.dir });
    this.written = true;
    return files;
  }

  close(): Promise<void> {
    return this.lease.release({ retire: !this.written || this.records >= RETIRE_FROM_RECORDS });
  }
}
