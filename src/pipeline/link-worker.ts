/**
 * Worker-thread entry of a linkage job (see link-worker-tasks.ts for the steps and
 * link-worker-client.ts for the main-thread side). It reads `workerData` (a LinkTaskInput),
 * reports the record count, links, hands back the person keys, waits for the person ids, and
 * hands back the job's files. Every typed array goes back transferred, not copied.
 */
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import {
  LinkTask, serializeError, summaryTransferables, transferables,
  type LinkTaskInput, type MainMessage, type WorkerMessage,
} from './link-worker-tasks.js';

const port = parentPort;
if (port === null) throw new Error('link-worker runs only as a worker thread');

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

const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const fail = (err: unknown) => post({ type: 'failed', error: serializeError(err) });

const task = new LinkTask(workerData as LinkTaskInput);
try {
  post({ type: 'read', records: await task.read() });
  const summary = task.link();
  port.once('message', (message: MainMessage) => {
    try {
      const files = task.files(message.ids);
      post({ type: 'files', files }, transferables(files.files.map((f) => f.bytes)));
    } catch (err) {
      fail(err);
    }
  });
  post({ type: 'linked', summary }, summaryTransferables(summary));
} catch (err) {
  fail(err);
}
