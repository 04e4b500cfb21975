/**
 * Release tables as Parquet (researchers' tools read it directly): each table goes to a worker
 * thread as an Arrow IPC stream and comes back as Parquet bytes, written by parquet-wasm's
 * `writeParquet` (zstd). The workers are a pool of one or two (util/worker-pool.ts) per build,
 * ended with it: WebAssembly memory never shrinks, so a large release would otherwise keep its peak
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
 * Up to this many rows in all, a build writes two tables at once, one per core (the build's
 * own threads only wait meanwhile): 11 s of Parquet became about 6 s at 2M persons. Past it,
 * one at a time, so that only one table's WebAssembly memory is held (a national release).
 */
const TWO_WRITERS_UP_TO_ROWS = 16_000_000;

/**
 * Each table as Parquet: `put` receives the tables' file names and bytes in table order, each
 * as soon as it and those before it are made (and may write them out), so at most as many
 * tables' Parquet are held as there are writers.
 */
export async function writeParquetTables(tables: readonly { readonly name: string; readonly table: Table }[], put: (fileName: string, bytes: Uint8Array) => void): Promise<void> {
  const rows = tables.reduce((n, t) => n + t.table.numRows, 0);
  const size = rows <= TWO_WRITERS_UP_TO_ROWS && tables.length > 1 ? 2 : 1;
  const pool = new WorkerPool<ParquetOutTasks>({ from: import.meta.url, entry: 'parquet-out-worker', role: 'writing Parquet', size });
  const pending: Promise<Uint8Array>[] = [];
  try {
    for (let i = 0; i < tables.length; i++) {
      // At most `size` tables in the pool: the oldest is handed on before another is sent.
      if (pending.length === size) put(parquetFileName(tables[i - size].name), await pending.shift()!);
      const ipc = tableToIPC(tables[i].table, 'stream');
      const made = pool.run('write', { ipc }, [ipc.buffer as ArrayBuffer]);
      made.catch(() => undefined); // awaited below, in order; a failure before then is not unhandled
      pending.push(made);
    }
    for (let i = tables.length - pending.length; i < tables.length; i++) put(parquetFileName(tables[i].name), await pending.shift()!);
  } finally {
    await pool.close();
  }
}
