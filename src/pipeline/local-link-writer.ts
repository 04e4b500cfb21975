/**
 * clusters.csv written on a worker thread while the main thread writes links.csv and the
 * reports: the two files share no work, and each is bound by memory latency more than by
 * compute, so two cores write them in about the time of the longer one.
 *
 * ```
 * main thread                                         worker (local-link-writer-worker.ts)
 * ClustersWriter.shared()     ── spawned early (or kept from an earlier run), idle until needed
 * write(dir, clusters, ids)   ── {arrays in shared memory} ──> writeClusters -> clusters.csv
 * links.csv, report.json ...  <── path, or the error as thrown there
 * ```
 * The record ids and cluster numbers are copied once into SharedArrayBuffers; nothing else from
 * the sources crosses, and nothing but the file name comes back.
 */
import { WorkerPool } from '../util/worker-pool.js';
import type { IdColumn } from './local-link-csv.js';

export interface ClustersTask {
  readonly dir: string;
  readonly clusters: SharedArrayBuffer;
  readonly clusterCount: number;
  readonly offsets: Int32Array;
  readonly names: readonly string[];
  readonly ids: readonly { readonly values: SharedArrayBuffer; readonly offsets: SharedArrayBuffer; readonly length: number }[];
}

/** The task table of local-link-writer-worker.ts: the path of the file written. */
export type ClustersTasks = { clusters: (task: ClustersTask) => string };

function inSharedMemory<T extends Uint8Array | Int32Array>(a: T): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(a.byteLength);
  new Uint8Array(buffer).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return buffer;
}

let sharedWriter: ClustersWriter | null = null;

/** A pool of one writer (util/worker-pool.ts), idle between runs without keeping the process alive. */
export class ClustersWriter {
  private readonly pool = new WorkerPool<ClustersTasks>({ from: import.meta.url, entry: 'local-link-writer-worker', role: 'writing clusters.csv', size: 1 });

  /** The process's writer, started on first use and kept idle for the next run (not to be closed by its users). */
  static shared(): ClustersWriter {
    if (sharedWriter === null || sharedWriter.pool.isClosed) sharedWriter = new ClustersWriter();
    return sharedWriter;
  }

  /** Writes `dir/clusters.csv` (as `writeClusters` would) on the worker; resolves to its path. */
  write(dir: string, result: { clusters: Int32Array; clusterCount: number; offsets: Int32Array }, names: readonly string[], ids: readonly IdColumn[]): Promise<string> {
    return this.pool.run('clusters', {
      dir, clusters: inSharedMemory(result.clusters), clusterCount: result.clusterCount, offsets: result.offsets, names,
      ids: ids.map((c) => ({ values: inSharedMemory(c.values), offsets: inSharedMemory(c.offsets), length: c.length })),
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
