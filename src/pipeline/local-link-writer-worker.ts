/** Worker-thread entry of `ClustersWriter` (local-link-writer.ts): writes one clusters.csv per task. */
import { serveTasks } from '../util/worker-pool.js';
import { writeClustersFile } from './local-link-csv.js';
import type { ClustersTasks } from './local-link-writer.js';

serveTasks<ClustersTasks>({
  clusters(task) {
    const ids = task.ids.map((c) => ({ values: new Uint8Array(c.values), offsets: new Int32Array(c.offsets), length: c.length }));
    const result = { clusters: new Int32Array(task.clusters), clusterCount: task.clusterCount, offsets: task.offsets };
    // A file-system error crosses back as it is: it names a path and a code, nothing from the sources.
    return writeClustersFile(task.dir, result, task.names, ids);
  },
});
