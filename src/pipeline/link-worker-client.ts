/**
 * Runs a job's LinkTask (link-worker-tasks.ts) in a worker thread, so the server keeps
 * answering while a job links millions of records; or inline on the main thread when the
 * configuration says `jobWorkers: 0` (the old behaviour, kept as the benchmark's peer).
 *
 *   main thread                                   worker (link-worker.ts)
 *   openLinkRunner: lease a worker of the context's pool (jobWorkers of them; more jobs wait)
 *   link() ── read(input) ──────────────────────> read files, encode     ── records ──────> progress
 *          ── link ─────────────────────────────> linkRecords            ── summary, keys ─> (transferred)
 *   SQLite person ids, in chunks
 *   files(ids) ── files(ids) (transferred) ─────> build IPC file bytes   ── files ────────> (transferred)
 *   close(): end the worker (its memory goes back), free the lease
 *
 * The pool is util/worker-pool.ts: a failure in the worker comes back as the same coded error
 * (KoppelError code and details); a worker that dies fails the job with KOPPEL_ERR_LINK_WORKER_FAILED.
 */
import { WorkerPool, liveWorkers, type Lease, type Transfer } from '../util/worker-pool.js';
import type { PipelineContext } from './context.js';
import { LinkTask, transferables, type JobFiles, type LinkedSummary, type LinkTaskInput } from './link-worker-tasks.js';

export interface LinkRunner {
  readonly mode: 'worker' | 'inline';
  /** Reads and links; `onRead` receives the record count once the sources are read. */
  link(onRead: (records: number) => void): Promise<LinkedSummary>;
  /** The job's files, given the persistent person id of each cluster (the array is handed over). */
  files(personIds: Float64Array): Promise<JobFiles>;
  /** Ends the worker, if any, and frees the slot; safe to call more than once. */
  close(): Promise<void>;
}

/** The task table of link-worker.ts: one job's steps, in order, on one leased worker. */
export type LinkTasks = {
  read: (input: LinkTaskInput) => Promise<number>;
  link: () => Promise<Transfer<LinkedSummary>>;
  files: (personIds: Float64Array) => Transfer<JobFiles>;
};

const ENTRY = 'link-worker';

/** At most `jobWorkers` link workers per pipeline context; more jobs wait (still queued) for one. */
const poolOf = new WeakMap<PipelineContext, WorkerPool<LinkTasks>>();

/** Link worker threads of this process that have not exited yet (for shutdown checks and tests). */
export function liveLinkWorkers(): number {
  return liveWorkers(ENTRY);
}

/** A runner for one job: in a worker thread unless `ctx.config.jobWorkers` is 0. */
export async function openLinkRunner(ctx: PipelineContext, input: LinkTaskInput): Promise<LinkRunner> {
  if (ctx.config.jobWorkers === 0) return new InlineRunner(input);
  let pool = poolOf.get(ctx);
  if (pool === undefined) {
    // A worker starts per job and ends with it: a job's memory goes back to the system.
    pool = new WorkerPool<LinkTasks>({ from: import.meta.url, entry: ENTRY, role: 'linking a job', size: ctx.config.jobWorkers, start: 'on-demand' });
    poolOf.set(ctx, pool);
  }
  return new WorkerRunner(input, await pool.lease());
}

class InlineRunner implements LinkRunner {
  readonly mode = 'inline';
  private readonly task: LinkTask;

  constructor(input: LinkTaskInput) {
    this.task = new LinkTask(input);
  }

  async link(onRead: (records: number) => void): Promise<LinkedSummary> {
    onRead(await this.task.read());
    // Let the progress update reach pollers before the CPU-bound pass.
    await new Promise((resolve) => setImmediate(resolve));
    return this.task.link();
  }

  async files(personIds: Float64Array): Promise<JobFiles> {
    return this.task.files(personIds);
  }

  async close(): Promise<void> {}
}

class WorkerRunner implements LinkRunner {
  readonly mode = 'worker';

  constructor(private readonly input: LinkTaskInput, private readonly lease: Lease<LinkTasks>) {}

  async link(onRead: (records: number) => void): Promise<LinkedSummary> {
    const records = await this.lease.run('read', this.input);
    // The worker links while this thread reports the progress.
    const linked = this.lease.run('link', undefined);
    try {
      onRead(records);
    } catch (err) {
      linked.catch(() => { /* the job fails with onRead's error */ });
      throw err;
    }
    return await linked;
  }

  files(personIds: Float64Array): Promise<JobFiles> {
    return this.lease.run('files', personIds, transferables([personIds]));
  }

  close(): Promise<void> {
    return this.lease.release({ retire: true });
  }
}
