/**
 * Worker-thread entry of a release build (see release-worker-tasks.ts for the steps and
 * release-worker-client.ts for the main-thread side): one build's `assemble` and `write`, in
 * that order, on this worker, which the build leases (release-worker-client.ts says when it ends).
 */
import { serveTasks } from '../util/worker-pool.js';
import type { ReleaseTasks } from './release-worker-client.js';
import { ReleaseTask } from './release-worker-tasks.js';

// At normal priority, unlike a link worker (link-worker.ts): the operator waits for the build
// to answer, and on a busy machine a lowered thread waits behind every other process (measured
// on a loaded 2-core machine: a build of 5,000 persons took 15 s at nice 10, 3 s inline). The
// scheduler already favours the main thread, which sleeps between requests, when it wakes.

let task: ReleaseTask | null = null;

serveTasks<ReleaseTasks>({
  assemble(input) {
    task = new ReleaseTask(input);
    return task.assemble();
  },
  write(staging) {
    if (task === null) throw new Error('a release task step before assemble');
    // The build's last step: a worker kept for the next build holds nothing of this one (its key).
    const last = task;
    task = null;
    return last.write(staging);
  },
});
