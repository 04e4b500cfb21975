/**
 * Worker-thread entry of a linkage job (see link-worker-tasks.ts for the steps and
 * link-worker-client.ts for the main-thread side): one job's `read`, `link` and `files`, in
 * that order, on this worker, which the job leases and ends afterwards. Every typed array goes
 * back transferred, not copied.
 */
import { lowerThisThreadPriority } from '../util/thread-priority.js';
import { Transfer, serveTasks } from '../util/worker-pool.js';
import type { LinkTasks } from './link-worker-client.js';
import { LinkTask, summaryTransferables, transferables } from './link-worker-tasks.js';

// Below the main thread, which answers HTTP (util/thread-priority.ts).
lowerThisThreadPriority();

let task: LinkTask | null = null;

function current(): LinkTask {
  if (task === null) throw new Error('a link task step before read');
  return task;
}

serveTasks<LinkTasks>({
  read(input) {
    task = new LinkTask(input);
    return task.read();
  },
  link() {
    const summary = current().link();
    return new Transfer(summary, summaryTransferables(summary));
  },
  files(personIds) {
    const files = current().files(personIds);
    return new Transfer(files, transferables(files.files.map((f) => f.bytes)));
  },
});
