/**
 * The one worker-thread pool: every worker of Koppel runs through it, with one protocol and one
 * way of sending an error back.
 *
 * ```
 * main thread                                        worker thread (its entry calls serveTasks(table))
 * pool.run(name, input, transfer) ─> queue ─┐
 *                                           ├─ {id, name, input} ──────────>  table[name](input), one task
 *                                           │                                 at a time, in the order sent
 *             resolve(value) / reject <─────┴─ {id, value} | {id, error} ──   (Transfer: buffers moved, not copied)
 * ```
 * - Each worker holds up to `inbox` tasks (more than one lets it start the next while its reply
 *   waits for a busy main thread); the rest wait in the pool's queue, first come first served.
 * - A worker with no task is unref'd: an idle pool never keeps the process alive, so a pool can
 *   outlive the run that started it and serve the next (a shared pool per kind of worker).
 * - A worker that throws sends `serializeError` (errors.ts): the caller's promise rejects with a
 *   KoppelError of the same code, message and details, or an Error of the same name and message.
 * - A worker that exits or crashes (out of memory under `resourceLimits`, killed, an uncaught
 *   exception) fails every task it held with KOPPEL_ERR_LINK_WORKER_FAILED, at once; the pool
 *   goes on, with a fresh worker for the next task.
 * - A lease reserves one worker for a caller whose tasks share the worker's state (a linkage job:
 *   read, link, files); leases wait for a free worker, which is how a pool's size caps the jobs
 *   that run at once. `release({ retire: true })` ends the worker, so that its memory goes back.
 * - The main thread can take queued tasks itself (`runQueuedHere`) when it would only wait.
 *
 * Why our own pool and not piscina or tinypool: neither is a dependency, and Koppel needs a few
 * things they do not give together: leases over a worker's state, the main thread running the
 * same task table on queued work, per-kind pools with their own memory limits, and a synchronous
 * fail-all with coded errors. It is one small module.
 */
import { parentPort, type ResourceLimits, type TransferListItem, type Worker } from 'node:worker_threads';
import { KoppelError, deserializeError, serializeError, type SerializedError } from '../errors.js';
import { spawnSiblingWorker } from './spawn-sibling.js';

/** A task's result with the buffers to hand over instead of copying (each buffer once). */
export class Transfer<T> {
  constructor(readonly value: T, readonly buffers: readonly TransferListItem[]) {}
}

/** A worker's tasks by name; the same table can run on the main thread (`runQueuedHere`). */
export type TaskTable = { readonly [name: string]: (input: never) => unknown };
type InputOf<H> = H extends (input: infer I) => unknown ? I : never;
type Unwrapped<R> = R extends Transfer<infer O> ? O : R; // distributes over a union such as Transfer<X> | null
type OutputOf<H> = H extends (input: never) => infer R ? Unwrapped<Awaited<R>> : never;

interface TaskMessage { readonly id: number; readonly name: string; readonly input: unknown }
type ReplyMessage = { readonly id: number; readonly value: unknown } | { readonly id: number; readonly error: SerializedError };

async function runTask(table: TaskTable, name: string, input: unknown): Promise<Transfer<unknown>> {
  const handler = Object.hasOwn(table, name) ? (table[name] as (input: unknown) => unknown) : undefined;
  if (handler === undefined) throw new Error(`the worker has no task named ${name}`);
  const out = await handler(input);
  return out instanceof Transfer ? out : new Transfer(out, []);
}

/** The worker side: answers the pool's tasks from `table`, one at a time, in the order sent. */
export function serveTasks<T extends TaskTable>(table: T): void {
  const port = parentPort;
  if (port === null) throw new Error('a task table is served only in a worker thread');
  let previous: Promise<void> = Promise.resolve();
  port.on('message', (m: TaskMessage) => {
    previous = previous.then(async () => {
      try {
        const out = await runTask(table, m.name, m.input);
        port.postMessage({ id: m.id, value: out.value } satisfies ReplyMessage, out.buffers as TransferListItem[]);
      } catch (err) {
        port.postMessage({ id: m.id, error: serializeError(err) } satisfies ReplyMessage);
      }
    });
  });
}

/**
 * The error of every task a worker held when it stopped. Only the kind of failure is told
 * (`ERR_WORKER_OUT_OF_MEMORY`, the error's name, or `exit`): a message from deep inside could
 * quote input.
 */
function workerFailure(role: string, err: Error | null): KoppelError {
  const kind = err === null ? 'exit' : (err as NodeJS.ErrnoException).code ?? err.name;
  return new KoppelError('KOPPEL_ERR_LINK_WORKER_FAILED', `A worker thread ${role} stopped before it finished (${kind}).`, { kind });
}

export interface WorkerPoolOptions {
  /** The caller's `import.meta.url`; the worker entry is the module `entry` next to it. */
  readonly from: string;
  readonly entry: string;
  /** What the workers do, for the failure message ("reading a source"). */
  readonly role: string;
  readonly size: number;
  /** Tasks a worker holds at once (default 1). */
  readonly inbox?: number;
  /** 'now' (default): every worker starts with the pool, to be up when work comes; 'on-demand': when work comes. */
  readonly start?: 'now' | 'on-demand';
  /** Each worker's heap limits: a worker that runs out fails its tasks, not the process. */
  readonly resourceLimits?: ResourceLimits;
}

/** One worker reserved for one caller until it is released. */
export interface Lease<T extends TaskTable> {
  run<K extends keyof T & string>(name: K, input: InputOf<T[K]>, transfer?: readonly TransferListItem[]): Promise<OutputOf<T[K]>>;
  /** Frees the worker for the next caller, or ends it (`retire`); safe to call more than once. */
  release(options?: { readonly retire?: boolean }): Promise<void>;
}

interface Task {
  readonly name: string;
  readonly input: unknown;
  readonly transfer: readonly TransferListItem[];
  readonly resolve: (value: never) => void;
  readonly reject: (err: Error) => void;
}

interface Slot {
  worker: Worker | null;
  /** The tasks the worker holds, by message id. */
  readonly held: Map<number, Task>;
  leased: boolean;
  /** Why a leased worker stopped: its state is gone, so the lease takes no more tasks. */
  failure: Error | null;
}

/** Live worker threads per entry module, across pools (for shutdown checks and tests). */
const live = new Map<string, number>();

export function liveWorkers(entry: string): number {
  return live.get(entry) ?? 0;
}

export class WorkerPool<T extends TaskTable> {
  private readonly slots: Slot[];
  private readonly queue: Task[] = [];
  private readonly waiting: { resolve: (lease: Lease<T>) => void; reject: (err: Error) => void }[] = [];
  private readonly inbox: number;
  private nextId = 0;
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError('a pool needs at least one worker');
    this.inbox = options.inbox ?? 1;
    this.slots = Array.from({ length: options.size }, () => ({ worker: null, held: new Map(), leased: false, failure: null }));
    if (options.start !== 'on-demand') for (const slot of this.slots) this.spawn(slot);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs a task on the next free worker; `transfer` lists buffers of `input` to move, not copy. */
  run<K extends keyof T & string>(name: K, input: InputOf<T[K]>, transfer: readonly TransferListItem[] = []): Promise<OutputOf<T[K]>> {
    if (this.closed) return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => {
      this.queue.push({ name, input, transfer, resolve, reject });
      this.pump();
    });
  }

  /** Waits for a worker with no task and reserves it. */
  lease(): Promise<Lease<T>> {
    if (this.closed) return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.pump();
    });
  }

  /**
   * Runs queued tasks on this thread with `table` (the workers' own) until none is left, for a
   * caller that would otherwise only wait. Between tasks the event loop turns, so that workers
   * that finish get their next task at once.
   */
  async runQueuedHere(table: T): Promise<void> {
    for (let task = this.queue.shift(); task !== undefined; task = this.queue.shift()) {
      try {
        task.resolve((await runTask(table, task.name, task.input)).value as never);
      } catch (err) {
        task.reject(err instanceof Error ? err : new Error(String(err)));
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Fails what the pool holds or queues, and ends its workers. */
  async close(): Promise<void> {
    this.closed = true;
    const err = this.closedError();
    for (const w of this.waiting.splice(0)) w.reject(err);
    for (const task of this.queue.splice(0)) task.reject(err);
    await Promise.all(this.slots.map((slot) => this.stop(slot, err)));
  }

  private closedError(): Error {
    return new Error(`the workers ${this.options.role} are closed`);
  }

  private spawn(slot: Slot): Worker {
    const { from, entry, resourceLimits } = this.options;
    const worker = spawnSiblingWorker(from, entry, resourceLimits === undefined ? {} : { resourceLimits });
    live.set(entry, liveWorkers(entry) + 1);
    slot.worker = worker;
    worker.on('message', (m: ReplyMessage) => this.settle(slot, m));
    worker.on('error', (err: Error) => this.lost(slot, worker, err));
    worker.on('exit', () => {
      live.set(entry, liveWorkers(entry) - 1);
      this.lost(slot, worker, null);
    });
    worker.unref();
    return worker;
  }

  /** Hands free workers to waiting leases, then queued tasks to workers with room in their inbox. */
  private pump(): void {
    for (const slot of this.slots) {
      if (slot.leased) continue;
      if (this.waiting.length > 0 && slot.held.size === 0) {
        this.grant(slot, this.waiting.shift()!.resolve);
        continue;
      }
      while (slot.held.size < this.inbox && this.queue.length > 0) this.send(slot, this.queue.shift()!);
    }
  }

  private send(slot: Slot, task: Task): void {
    const worker = slot.worker ?? this.spawn(slot);
    const id = this.nextId++;
    if (slot.held.size === 0) worker.ref(); // busy: the process waits for it
    slot.held.set(id, task);
    try {
      worker.postMessage({ id, name: task.name, input: task.input } satisfies TaskMessage, task.transfer as TransferListItem[]);
    } catch (err) {
      // Not cloneable (a bug of the caller): this task fails, the worker goes on.
      slot.held.delete(id);
      this.idle(slot);
      task.reject(err as Error);
    }
  }

  private settle(slot: Slot, m: ReplyMessage): void {
    const task = slot.held.get(m.id);
    if (task === undefined) return;
    slot.held.delete(m.id);
    this.idle(slot);
    if ('error' in m) task.reject(deserializeError(m.error));
    else task.resolve(m.value as never);
    this.pump();
  }

  private idle(slot: Slot): void {
    if (slot.held.size === 0 && !slot.leased) slot.worker?.unref();
  }

  /** A worker stopped on its own: every task it held fails; the next task starts a fresh worker. */
  private lost(slot: Slot, worker: Worker, err: Error | null): void {
    if (slot.worker !== worker) return; // retired, closed or already handled ('error' comes before 'exit')
    slot.worker = null;
    const failure = workerFailure(this.options.role, err);
    if (slot.leased) slot.failure = failure;
    const held = [...slot.held.values()];
    slot.held.clear();
    for (const task of held) task.reject(failure);
    if (!this.closed) this.pump();
  }

  /** Ends a slot's worker (if any) on purpose: the tasks it held fail with `err`. */
  private async stop(slot: Slot, err: Error): Promise<void> {
    const worker = slot.worker;
    slot.worker = null;
    const held = [...slot.held.values()];
    slot.held.clear();
    for (const task of held) task.reject(err);
    if (worker !== null) await worker.terminate();
  }

  private grant(slot: Slot, resolve: (lease: Lease<T>) => void): void {
    slot.leased = true;
    slot.failure = null;
    // A leased worker starts with its first task, and from then on the process waits for it
    // (`send` refs it; `idle` unrefs only a worker that is not leased).
    let released = false;
    const run = (name: string, input: unknown, transfer: readonly TransferListItem[] = []) => new Promise((resolveTask, reject) => {
      if (released || this.closed) reject(new Error(`the lease of a worker ${this.options.role} is released`));
      else if (slot.failure !== null) reject(slot.failure);
      else this.send(slot, { name, input, transfer, resolve: resolveTask, reject });
    });
    const release = async ({ retire = false } = {}): Promise<void> => {
      if (released) return;
      released = true;
      if (retire) await this.stop(slot, new Error(`the lease of a worker ${this.options.role} is released`));
      slot.leased = false;
      slot.failure = null;
      this.idle(slot);
      if (!this.closed) this.pump();
    };
    resolve({ run, release } as Lease<T>);
  }
}
