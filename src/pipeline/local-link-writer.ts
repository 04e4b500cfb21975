/**
 * clusters.csv written on a worker thread while the main thread writes links.csv and the
 * reports: the two files share no work, and each is bound by memory latency more than by
 * compute, so two cores write them in about the time of the longer one.
 *
 * ```
 * main thread                                         worker (local-link-writer-worker.ts)
 * ClustersWriter.shared()     ── spawned early (or kept from an earlier run), idle until needed
 * write(dir, clusters, ids)   ── {arrays in shared memory} ──> writeClusters -> clusters.csv
 * links.csv, report.json ...  <── {file} or {error} ───────────
 * ```
 * The record ids and cluster numbers are copied once into SharedArrayBuffers; nothing else from
 * the sources crosses, and nothing but the file name comes back.
 */
import type { Worker } from 'node:worker_threads';
import type { IdColumn } from './local-link-csv.js';
import { spawnSiblingWorker, workerFailure } from '../util/spawn-worker.js';

export interface ClustersTask {
  readonly dir: string;
  readonly clusters: SharedArrayBuffer;
  readonly clusterCount: number;
  readonly offsets: Int32Array;
  readonly names: readonly string[];
  readonly ids: readonly { readonly values: SharedArrayBuffer; readonly offsets: SharedArrayBuffer; readonly length: number }[];
}

export type ClustersReply = { readonly file: string; readonly error: null } | { readonly file: null; readonly error: { name: string; code: string | null; message: string } };

function inSharedMemory<T extends Uint8Array | Int32Array>(a: T): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(a.byteLength);
  new Uint8Array(buffer).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return buffer;
}

let sharedWriter: ClustersWriter | null = null;

/** The worker is unref'd while idle, so that a writer can serve the next run without keeping the process alive. */
export class ClustersWriter {
  private readonly worker: Worker;
  private failure: Error | null = null;

  constructor() {
    this.worker = spawnSiblingWorker(import.meta.url, 'local-link-writer-worker');
    this.worker.on('error', (err) => { this.failure = workerFailure('writing clusters.csv', err); });
    this.worker.on('exit', () => { this.failure ??= workerFailure('writing clusters.csv', null); });
    this.worker.unref();
  }

  /** The process's writer, started on first use and kept idle for the next run (not to be closed by its users). */
  static shared(): ClustersWriter {
    if (sharedWriter === null || sharedWriter.failure !== null) sharedWriter = new ClustersWriter();
    return sharedWriter;
  }

  /** Writes `dir/clusters.csv` (as `writeClusters` would) on the worker; resolves to its path. */
  write(dir: string, result: { clusters: Int32Array; clusterCount: number; offsets: Int32Array }, names: readonly string[], ids: readonly IdColumn[]): Promise<string> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const task: ClustersTask = {
      dir, clusters: inSharedMemory(result.clusters), clusterCount: result.clusterCount, offsets: result.offsets, names,
      ids: ids.map((c) => ({ values: inSharedMemory(c.values), offsets: inSharedMemory(c.offsets), length: c.length })),
    };
    return new Promise<string>((resolve, reject) => {
      const onError = (err: Error) => { this.worker.unref(); reject(err); };
      this.worker.ref(); // busy: the process waits for the file
      this.worker.once('error', onError);
      this.worker.once('message', (reply: ClustersReply) => {
        this.worker.off('error', onError);
        this.worker.unref();
        if (reply.error === null) { resolve(reply.file); return; }
        const err = new Error(reply.error.message) as NodeJS.ErrnoException;
        err.name = reply.error.name;
        if (reply.error.code !== null) err.code = reply.error.code;
        reject(err);
      });
      this.worker.postMessage(task);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
