/**
 * Worker threads that read and encode whole `koppel link` sources, so that a job's sources are
 * read side by side: with two sources on two cores, the main thread reads the first while a
 * worker reads the second, each parsing, normalising and HMACing its own (local-link.ts).
 *
 * ```
 * main thread    load {source, fields, master key} ──> worker: loadSource, encodeSource
 *                <── EncodedSource + record ids (ArrayBuffers transferred, not copied)
 * ```
 * The pool is util/worker-pool.ts: idle workers do not keep the process alive, and the pool is
 * kept for the next run in the same process (`shared`), as `PseudonymWorkers` is.
 */
import type { ResourceLimits } from 'node:worker_threads';
import type { EncodedSource } from '../pseudonymise/encoded-source.js';
import type { FieldSpec } from '../pseudonymise/encode-field.js';
import { WorkerPool, type Transfer } from '../util/worker-pool.js';
import type { JobField, JobSource } from './job-file.js';
import type { IdColumn, LoadedSource } from './local-sources.js';

export interface SourceTask {
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

/** The task table of local-source-worker.ts. */
export type SourceTasks = { load: (task: SourceTask) => Promise<Transfer<LoadedEncodedSource>> };

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

const sharedPools = new Map<number, SourceWorkers>();

export class SourceWorkers {
  private readonly pool: WorkerPool<SourceTasks>;

  /** `resourceLimits` are each worker's (tests give them a small heap to see one run out). */
  constructor(readonly size: number, options: { readonly resourceLimits?: ResourceLimits } = {}) {
    this.pool = new WorkerPool({ from: import.meta.url, entry: 'local-source-worker', role: 'reading a source', size, ...options });
  }

  /** The process's pool of `size` workers, started on first use and kept (idle, unref'd). */
  static shared(size: number): SourceWorkers {
    let pool = sharedPools.get(size);
    if (pool === undefined || pool.pool.isClosed) {
      pool = new SourceWorkers(size);
      sharedPools.set(size, pool);
    }
    return pool;
  }

  /** Reads and encodes one source on a worker. Rejects with the source's KoppelError as is. */
  load(spec: JobSource, fields: readonly JobField[], specs: readonly FieldSpec[], master: Uint8Array): Promise<LoadedEncodedSource> {
    const copy = Uint8Array.from(master);
    return this.pool.run('load', { spec, fields, specs, master: copy }, [copy.buffer]);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
