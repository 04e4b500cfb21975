/**
 * Parquet bytes -> Arrow schema and record batches, decoded by parquet-wasm in a worker thread
 * of its own, one per upload, ended when the upload is.
 *
 * Why a worker: the file comes from outside. A damaged file can make the WebAssembly module
 * panic ("unreachable"), and in the async reader that panic is thrown from a microtask, which
 * in the server's own thread would be an uncaught exception that ends the process. A trapped
 * instance is also not safe to reuse, and WebAssembly memory never shrinks, so one large upload
 * would keep its peak memory for the life of the server. In a worker, a panic is an 'error'
 * event (the delivery is refused as unreadable), and terminating it returns all its memory.
 * Batches are pulled one at a time, so the worker is never far ahead of ingest.
 */
import { RecordBatchReader, tableFromIPC, type RecordBatch, type Schema } from 'apache-arrow';
import type { Worker } from 'node:worker_threads';
import { KoppelError } from '../errors.js';
import { spawnSiblingWorker } from '../util/spawn-worker.js';
import type { ParquetWorkerMessage } from './parquet-worker.js';

export interface ParquetDecoding {
  readonly schema: Schema;
  /** The record batches, at most `batchRows` rows each, row group by row group. */
  batches(): AsyncGenerator<RecordBatch>;
  /** Stop the worker (idempotent). */
  close(): Promise<void>;
}

function unreadable(where: 'footer' | 'data'): KoppelError {
  const what = where === 'footer' ? 'it has no valid Parquet footer' : 'it is truncated or damaged';
  return new KoppelError('KOPPEL_ERR_INGEST_COLUMNAR', `The body is not a readable Parquet file: ${what}.`, { format: 'Parquet file' });
}

/** `bytes` is transferred to the worker: the caller must not use it afterwards. */
export async function decodeParquet(bytes: Uint8Array, batchRows: number): Promise<ParquetDecoding> {
  const worker = spawnSiblingWorker(import.meta.url, 'parquet-worker', {
    workerData: { bytes, batchRows },
    transferList: [bytes.buffer as ArrayBuffer],
  });
  const replies = new Replies(worker);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await worker.terminate();
  };
  let schema: Schema;
  try {
    const first = await replies.next();
    if (first.kind !== 'schema') throw unreadable('footer');
    schema = tableFromIPC(first.ipc).schema;
  } catch (err) {
    await close();
    throw err;
  }

  async function* batches(): AsyncGenerator<RecordBatch> {
    try {
      for (;;) {
        worker.postMessage('next');
        const reply = await replies.next();
        if (reply.kind === 'end') return;
        if (reply.kind !== 'batch') throw unreadable('data');
        let reader;
        try {
          reader = RecordBatchReader.from(reply.ipc);
        } catch {
          throw unreadable('data');
        }
        yield* reader;
      }
    } finally {
      await close();
    }
  }
  return { schema, batches, close };
}

/** The worker's messages, one awaited at a time; its death is an unreadable file. */
class Replies {
  private waiting: { resolve: (m: ParquetWorkerMessage) => void; reject: (e: unknown) => void } | null = null;
  private queued: ParquetWorkerMessage[] = [];
  private failure: unknown = null;

  constructor(worker: Worker) {
    worker.on('message', (m: ParquetWorkerMessage) => {
      if (this.waiting !== null) {
        const w = this.waiting;
        this.waiting = null;
        w.resolve(m);
      } else this.queued.push(m);
    });
    // A WebAssembly trap is the decoder giving up on the file; its text is not passed on. Any
    // other error is the worker itself failing (a missing module, say): a server fault, not the file's.
    worker.on('error', (err: Error) => this.fail(err?.name === 'RuntimeError' ? unreadable('data') : new Error('the Parquet decoder worker failed', { cause: err })));
    worker.on('exit', () => this.fail(unreadable('data')));
  }

  next(): Promise<ParquetWorkerMessage> {
    const m = this.queued.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  private fail(err: unknown): void {
    if (this.failure === null) this.failure = err;
    if (this.waiting !== null) {
      const w = this.waiting;
      this.waiting = null;
      w.reject(this.failure);
    }
  }
}
