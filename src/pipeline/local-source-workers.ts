/**
 * Worker threads that read and encode whole `koppel link` sources, so that a job's sources are
 * read side by side: with two sources on two cores, the main thread reads the first while a
 * worker reads the second, each parsing, normalising and HMACing its own (local-link.ts).
 *
 * ```
 * main thread    task {source, fields, master key} ──> worker: loadSource, encodeSource
 *                <── EncodedSource + record ids (ArrayBuffers transferred, not copied)
 * ```
 * A worker with no task is unref'd: an idle pool never keeps the process alive, and the pool is
 * kept for the next run in the same process (`shared`), as `PseudonymWorkers` is.
 */
import type { Worker, WorkerOptions } from 'node:worker_threads';
import { KoppelError, type ErrorCode, type ErrorDetails } from '../errors.js';
import type { EncodedSource } from '../pseudonymise/encoded-source.js';
import type { FieldSpec } from '../pseudonymise/encode-field.js';
import type { JobField, JobSource } from './job-file.js';
import type { IdColumn, LoadedSource } from './local-sources.js';
import { spawnSiblingWorker, workerFailure } from '../util/spawn-worker.js';

export interface SourceTask {
  readonly id: number;
  readonly spec: JobSource;
  readonly fields: readonly JobField[];
  readonly specs: readonly FieldSpec[];
  /** The 32-byte master key (a copy: the worker derives the purpose keys itself). */
  readonly master: Uint8Array;
}

export interface LoadedEncodedSource {
  readonly encoded: EncodedSource;
  readonly ids: IdColumn;
  readonly format: LoadedSource['format'];
  readonly readMs: number;
  readonly encodeMs: number;
}

export type SourceTaskReply =
  | { readonly id: number; readonly ok: LoadedEncodedSource }
  | { readonly id: number; readonly error: { readonly code: ErrorCode | null; readonly message: string; readonly details: ErrorDetails | undefined } };

/** The distinct non-shared ArrayBuffers under a result's typed arrays (each may be listed once). */
export function transferablesOf(result: LoadedEncodedSource): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const add = (a: ArrayBufferView | null) => { if (a !== null && a.buffer instanceof ArrayBuffer) buffers.add(a.buffer); };
  for (const f of result.encoded.fields) { add(f.present); add(f.tokens); add(f.bloom); add(f.bloomPop); }
  add(result.encoded.pseudonyms);
  add(result.ids.values);
  add(result.ids.offsets);
  return [...buffers];
}

interface Pending {
  readonly resolve: (r: LoadedEncodedSource) => void;
  readonly reject: (e: Error) => void;
}

const sharedPools = new Map<number, SourceWorkers>();

export class SourceWorkers {
  private readonly workers: Worker[];
  private readonly busy: (Pending & { id: number } | null)[];
  private readonly queue: { task: SourceTask; pending: Pending }[] = [];
  private nextId = 0;
  private closed = false;

  /** `options` are the workers' own (tests give them a small heap to see one run out). */
  constructor(readonly size: number, options: WorkerOptions = {}) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('a pool needs at least one worker');
    this.busy = Array.from({ length: size }, () => null);
    this.workers = Array.from({ length: size }, (_, i) => {
      const w = spawnSiblingWorker(import.meta.url, 'local-source-worker', options);
      w.on('message', (m: SourceTaskReply) => this.settle(i, m));
      w.on('error', (err) => this.failAll(workerFailure('reading a source', err)));
      w.on('exit', () => { if (!this.closed) this.failAll(workerFailure('reading a source', null)); });
      w.unref();
      return w;
    });
  }

  /** The process's pool of `size` workers, started on first use and kept (idle, unref'd). */
  static shared(size: number): SourceWorkers {
    let pool = sharedPools.get(size);
    if (pool === undefined || pool.closed) {
      pool = new SourceWorkers(size);
      sharedPools.set(size, pool);
    }
    return pool;
  }

  /** Reads and encodes one source on a worker. Rejects with the source's KoppelError as is. */
  load(spec: JobSource, fields: readonly JobField[], specs: readonly FieldSpec[], master: Uint8Array): Promise<LoadedEncodedSource> {
    if (this.closed) return Promise.reject(new Error('the source workers are closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task: { id: this.nextId++, spec, fields, specs, master: Uint8Array.from(master) }, pending: { resolve, reject } });
      this.pump();
    });
  }

  async close(): Promise<void> {
    if (!this.closed) this.failAll(new Error('the source workers are closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private pump(): void {
    for (let w = 0; w < this.size && this.queue.length > 0; w++) {
      if (this.busy[w] !== null) continue;
      const { task, pending } = this.queue.shift()!;
      this.busy[w] = { ...pending, id: task.id };
      this.workers[w].ref(); // busy: the process waits for it
      this.workers[w].postMessage(task);
    }
  }

  private settle(worker: number, m: SourceTaskReply): void {
    const p = this.busy[worker];
    this.busy[worker] = null;
    this.workers[worker].unref();
    if (p !== null && p.id === m.id) {
      if ('ok' in m) p.resolve(m.ok);
      else if (m.error.code !== null) p.reject(new KoppelError(m.error.code, m.error.message, m.error.details));
      else p.reject(new Error(m.error.message));
    }
    this.pump();
  }

  private failAll(err: Error): void {
    if (!this.closed) { this.closed = true; void Promise.all(this.workers.map((w) => w.terminate())); }
    for (let w = 0; w < this.busy.length; w++) { this.busy[w]?.reject(err); this.busy[w] = null; }
    for (const q of this.queue) q.pending.reject(err);
    this.queue.length = 0;
  }
}
