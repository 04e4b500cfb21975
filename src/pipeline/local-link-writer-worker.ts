/** Worker-thread entry of `ClustersWriter` (local-link-writer.ts): writes one clusters.csv per task. */
import { parentPort } from 'node:worker_threads';
import { writeClustersFile } from './local-link-csv.js';
import type { ClustersReply, ClustersTask } from './local-link-writer.js';

const port = parentPort;
if (port === null) throw new Error('local-link-writer-worker runs only as a worker thread');

port.on('message', (task: ClustersTask) => {
  let reply: ClustersReply;
  try {
    const ids = task.ids.map((c) => ({ values: new Uint8Array(c.values), offsets: new Int32Array(c.offsets), length: c.length }));
    const result = { clusters: new Int32Array(task.clusters), clusterCount: task.clusterCount, offsets: task.offsets };
    reply = { file: writeClustersFile(task.dir, result, task.names, ids), error: null };
  } catch (err) {
    // File-system errors name a path and a code; nothing from the sources is in them.
    const e = err as NodeJS.ErrnoException;
    reply = { file: null, error: { name: e.name ?? 'Error', code: e.code ?? null, message: e.message ?? String(err) } };
  }
  port.postMessage(reply);
});
