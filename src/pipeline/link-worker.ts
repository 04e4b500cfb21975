/**
 * Worker-thread entry of a linkage job (see link-worker-tasks.ts for the steps and
 * link-worker-client.ts for the main-thread side): one job's `read`, `link` and `files`, in
 * that order, on this worker, which the job leases and ends afterwards. Every typed array goes
 * back transferred, not copied.
 */
import os from 'node:os';
import { Transfer, serveTasks } from '../util/worker-pool.js';
import type { LinkTasks } from './link-worker-client.js';
import { LinkTask, summaryTransferables, transferables } from './link-worker-tasks.js';

// Below the main thread: when the machine is busy, the thread that answers HTTP gets the CPU
// first and the job waits. On Linux the nice value is per thread, so this lowers only this
// thread; elsewhere it would lower the whole process, so it is left alone there.
if (process.platform === 'linux') {
  try {
    os.setPriority(10);
  } catch {
    // Not permitted in this environment: run at normal priority.
  }
}

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
  async link() {
    const summary = await current().link();
    return new Transfer(summary, summaryTransferables(summary));
  },
  files(personIds) {
    const files = current().files(personIds);
    return new Transfer(files, transferables(files.files.map((f) => f.bytes)));
  },
});
