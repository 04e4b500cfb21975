/**
 * A worker thread that does a long CPU-bound task (a linkage job, a release build) runs below
 * the main thread: when the machine is busy, the thread that answers HTTP gets the CPU first
 * and the task waits. On Linux the nice value is per thread, so this lowers only the calling
 * thread; elsewhere it would lower the whole process, so it is left alone there.
 */
import os from 'node:os';

export function lowerThisThreadPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    os.setPriority(10);
  } catch {
    // Not permitted in this environment: run at normal priority.
  }
}
