/**
 * Runs a job's LinkTask (link-worker-tasks.ts) in a worker thread, so the server keeps
 * answering while a job links millions of records; or inline on the main thread when the
 * configuration says `jobWorkers: 0` (the old behaviour, kept as the benchmark's peer).
 *
 *   main thread                                   worker (link-worker.ts)
 *   openLinkRunner: wait for a free slot
 *   link() ── new Worker(workerData = input) ──>  read files, encode     ── {read, records} ──> progress
 *                                                 linkRecords            ── {linked, keys}  ──> (transferred)
 *   SQLite person ids, in chunks
 *   files(ids) ── {persons, ids} (transferred) ─> build IPC file bytes   ── {files}         ──> (transferred)
 *   close(): terminate the worker, free the slot
 *
 * A failure in the worker comes back as the same coded error (KoppelError code and details).
 */
import type { Worker } from 'node:worker_threads';
import { ERROR_CATALOGUE, KoppelError, type ErrorCode, type ErrorDetails } from '../errors.js';
import { spawnSiblingWorker } from '../util/spawn-worker.js';
import type { PipelineContext } from './context.js';
import {
  LinkTask, transferables,
  type JobFiles, type LinkedSummary, type LinkTaskInput, type MainMessage, type SerializedError, type WorkerMessage,
} from './link-worker-tasks.js';

export interface LinkRunner {
  readonly mode: 'worker' | 'inline';
  /** Reads and links; `onRead` receives the record count once the sources are read. */
  link(onRead: (records: number) => void): Promise<LinkedSummary>;
  /** The job's files, given the persistent person id of each cluster (the array is handed over). */
  files(personIds: Float64Array): Promise<JobFiles>;
  /** Ends the worker, if any, and frees the slot; safe to call more than once. */
  close(): Promise<void>;
}

/** At most `jobWorkers` link workers per pipeline context; more jobs wait (still queued) for a slot. */
class Slots {
  private queue: (() => void)[] = [];
  constructor(private free: number) {}

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.queue.push(resolve));
  }

  release(): void {
    const next = this.queue.shift();
    if (next === undefined) this.free++;
    else next();
  }
}

const slotsOf = new WeakMap<PipelineContext, Slots>();

/** Link worker threads of this process that have not exited yet (for shutdown checks and tests). */
let live = 0;

export function liveLinkWorkers(): number {
  return live;
}

/** A runner for one job: in a worker thread unless `ctx.config.jobWorkers` is 0. */
export async function openLinkRunner(ctx: PipelineContext, input: LinkTaskInput): Promise<LinkRunner> {
  if (ctx.config.jobWorkers === 0) return new InlineRunner(input);
  let slots = slotsOf.get(ctx);
  if (slots === undefined) {
    slots = new Slots(ctx.config.jobWorkers);
    slotsOf.set(ctx, slots);
  }
  await slots.acquire();
  return new WorkerRunner(input, slots);
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

/** The link worker, compiled (`link-worker.js`) or under tsx (`link-worker.ts`): see spawn-worker.ts. */
export function spawnLinkWorker(workerData: LinkTaskInput): Worker {
  return spawnSiblingWorker(import.meta.url, 'link-worker', { workerData });
}

/** The worker's error as thrown on this side: a known code becomes the same KoppelError. */
export function deserializeError(e: SerializedError): Error {
  if (e.code !== null && e.code in ERROR_CATALOGUE) {
    return new KoppelError(e.code as ErrorCode, e.message, (e.details ?? undefined) as ErrorDetails | undefined);
  }
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack !== undefined) err.stack = `${e.stack}\n    (in the link worker thread)`;
  return err;
}

type MessageOf<T extends WorkerMessage['type']> = Extract<WorkerMessage, { type: T }>;

class WorkerRunner implements LinkRunner {
  readonly mode = 'worker';
  private worker: Worker | null = null;
  private onRead: (records: number) => void = () => {};
  private waiting: { type: WorkerMessage['type']; resolve: (m: WorkerMessage) => void; reject: (err: Error) => void } | null = null;
  private failure: Error | null = null;
  private closed = false;

  constructor(private readonly input: LinkTaskInput, private readonly slots: Slots) {}

  async link(onRead: (records: number) => void): Promise<LinkedSummary> {
    if (this.worker !== null) throw new Error('link() was already called');
    this.onRead = onRead;
    const worker = spawnLinkWorker(this.input);
    this.worker = worker;
    live++;
    worker.on('message', (m: WorkerMessage) => this.receive(m));
    worker.on('error', (err: Error) => this.fail(err));
    worker.on('exit', (code: number) => {
      live--;
      if (!this.closed) this.fail(new Error(`the link worker stopped before the job finished (exit code ${code})`));
    });
    return (await this.next('linked')).summary;
  }

  async files(personIds: Float64Array): Promise<JobFiles> {
    if (this.worker === null) throw new Error('files() before link()');
    const reply = this.next('files');
    const message: MainMessage = { type: 'persons', ids: personIds };
    this.worker.postMessage(message, transferables([personIds]));
    return (await reply).files;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.worker !== null) await this.worker.terminate();
    } finally {
      this.slots.release();
    }
  }

  private next<T extends WorkerMessage['type']>(type: T): Promise<MessageOf<T>> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise<MessageOf<T>>((resolve, reject) => {
      this.waiting = { type, resolve: resolve as (m: WorkerMessage) => void, reject };
    });
  }

  private receive(m: WorkerMessage): void {
    if (m.type === 'read') {
      try {
        this.onRead(m.records);
      } catch (err) {
        this.fail(err instanceof Error ? err : new Error(String(err)));
      }
      return;
    }
    if (m.type === 'failed') {
      this.fail(deserializeError(m.error));
      return;
    }
    const waiting = this.waiting;
    if (waiting === null || waiting.type !== m.type) {
      this.fail(new Error(`the link worker sent ${m.type} out of turn`));
      return;
    }
    this.waiting = null;
    waiting.resolve(m);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(this.failure);
  }
}
