/**
 * Parquet bytes -> Arrow schema and record batches, decoded by parquet-wasm in a worker thread
 * of its own: a pool of one (util/worker-pool.ts) per upload, with a heap limit, ended when the
 * upload is.
 *
 * Why a worker: the file comes from outside. A damaged file can make the WebAssembly module
 * panic ("unreachable"), and in the async reader that panic is thrown from a microtask, which
 * in the server's own thread would be an uncaught exception that ends the process. A trapped
 * instance is also not safe to reuse, and WebAssembly memory never shrinks, so one large upload
 * would keep its peak memory for the life of the server. In a worker, a panic ends the worker
 * (the delivery is refused as unreadable), and ending it returns all its memory. Batches are
 * pulled one at a time, so the worker is never far ahead of ingest.
 *
 *   open {bytes (transferred), batchRows} -> schema as an Arrow IPC stream (transferred)
 *   next                                  -> the next batch as an Arrow IPC stream, or null at the end
 */
import { RecordBatchReader, tableFromIPC, type RecordBatch, type Schema } from 'apache-arrow';
import { KoppelError, isKoppelError } from '../errors.js';
import { WorkerPool, type Transfer } from '../util/worker-pool.js';
import { parquetUnreadable } from './parquet-unreadable.js';

/**
 * The decoder's heap limit by default. It bounds the worker's JavaScript heap, which holds
 * little: the file's bytes, the WebAssembly memory (at most 4 GiB, wasm32) and the IPC batches
 * are all outside it. 2 GiB leaves a 1 GiB file ample room while a runaway still stops there.
 */
export const PARQUET_HEAP_MB = 2048;

/** The task table of parquet-worker.ts. */
export type ParquetTasks = {
  open: (input: { bytes: Uint8Array; batchRows: number }) => Promise<Transfer<Uint8Array>>;
  next: () => Promise<Transfer<Uint8Array> | null>;
};

export interface ParquetDecoding {
  readonly schema: Schema;
  /** The record batches, at most `batchRows` rows each, row group by row group. */
  batches(): AsyncGenerator<RecordBatch>;
  /** Stop the worker (idempotent). */
  close(): Promise<void>;
}

/**
 * What a stopped decoder means: a WebAssembly trap or an exit is the decoder giving up on the
 * file (its text is not passed on); running out of its heap is a file too large to decode
 * within the limit; anything else is the worker itself failing (a missing module, say), a
 * server fault, not the file's.
 */
function fileFault(err: unknown, heapMb: number): unknown {
  if (!isKoppelError(err) || err.code !== 'KOPPEL_ERR_LINK_WORKER_FAILED') return err;
  const kind = err.details?.kind;
  if (kind === 'RuntimeError' || kind === 'exit') return parquetUnreadable('data');
  if (kind === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new KoppelError('KOPPEL_ERR_INGEST_TOO_LARGE', `The Parquet file needs more than the decoder's ${heapMb} MB heap.`, { heapMb });
  }
  return new Error('the Parquet decoder worker failed', { cause: err });
}

/** `bytes` is transferred to the worker: the caller must not use it afterwards. */
export async function decodeParquet(bytes: Uint8Array, batchRows: number, heapMb = PARQUET_HEAP_MB): Promise<ParquetDecoding> {
  const pool = new WorkerPool<ParquetTasks>({
    from: import.meta.url, entry: 'parquet-worker', role: 'decoding a Parquet file', size: 1,
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await pool.close();
  };
  let schema: Schema;
  try {
    schema = tableFromIPC(await pool.run('open', { bytes, batchRows }, [bytes.buffer as ArrayBuffer])).schema;
  } catch (err) {
    await close();
    throw fileFault(err, heapMb);
  }

  async function* batches(): AsyncGenerator<RecordBatch> {
    try {
      for (;;) {
        let ipc: Uint8Array | null;
        try {
          ipc = await pool.run('next', undefined);
        } catch (err) {
          throw fileFault(err, heapMb);
        }
        if (ipc === null) return;
        let reader;
        try {
          reader = RecordBatchReader.from(ipc);
        } catch {
          throw parquetUnreadable('data');
        }
        yield* reader;
      }
    } finally {
      await close();
    }
  }
  return { schema, batches, close };
}
