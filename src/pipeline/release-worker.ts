/**
 * Worker-thread entry of a release build (see release-worker-tasks.ts for the steps and
 * release-worker-client.ts for the main-thread side): one build's `assemble` and `write`, in
 * that order, on this worker, which the build leases and ends afterwards.
 */
import { lowerThisThreadPriority } from '../util/thread-priority.js';
import { serveTasks } from '../util/worker-pool.js';
import type { ReleaseTasks } from './release-worker-client.js';
import { ReleaseTask } from './release-worker-tasks.js';

// Below the main thread, which answers HTTP (util/thread-priority.ts).
lowerThisThreadPriority();

let task: ReleaseTask | null = null;

serveTasks<ReleaseTasks>({
  assemble(input) {
    task = new ReleaseTask(input);
    return task.assemble();
  },
  write(staging) {
    if (task === null) throw new Error('a release task step before assemble');
    return task.write(staging);
  },
});
