/**
 * Release tables as Parquet (researchers' tools read it directly): each table goes to a worker
 * thread as an Arrow IPC stream and comes back as Parquet bytes, written by parquet-wasm's
 * `writeParquet` (zstd). The worker is a pool of one (util/worker-pool.ts) per build, ended
 * with it: WebAssembly memory never shrinks, so a large release would otherwise keep its peak
 * in the server for good, and an encoder panic ends the worker, not the server. The bytes are
 * the same cells as the Arrow file: a suppressed cell is null there and null here.
 *
 *   write {ipc (transferred)} -> Parquet bytes (transferred)
 */
import { tableToIPC, type Table } from 'apache-arrow';
import { WorkerPool, type Transfer } from '../util/worker-pool.js';

/** The task table of parquet-out-worker.ts. */
export type ParquetOutTasks = {
  write: (input: { ipc: Uint8Array }) => Promise<Transfer<Uint8Array>>;
};

/** The file name of a table's Parquet copy. */
export function parquetFileName(table: string): string {
  return `${table}.parquet`;
}

/**
 * Each table as Parquet, in order: `put` receives a table's file name and bytes as soon as they
 * are made (and may write them out), so only one table's Parquet is held at a time.
 */
export async function writeParquetTables(tables: readonly { readonly name: string; readonly table: Table }[], put: (fileName: string, bytes: Uint8Array) => void): Promise<void> {
  const pool = new WorkerPool<ParquetOutTasks>({ from: import.meta.url, entry: 'parquet-out-worker', role: 'writing Parquet', size: 1 });
  try {
    for (const { name, table } of tables) {
      const ipc = tableToIPC(table, 'stream');
      put(parquetFileName(name), await pool.run('write', { ipc }, [ipc.buffer as ArrayBuffer]));
    }
  } finally {
    await pool.close();
  }
}
