/**
 * Worker-thread entry of `PseudonymWorkers` (encode-workers.ts): HMACs slices of normalised
 * national numbers into linkage pseudonyms. Digits, flags and output live in SharedArrayBuffers
 * the main thread allocated, so nothing is copied either way; a task names its rows, and the
 * reply only says it is done. The key arrives once per task (32 bytes, in memory only).
 */
import { parentPort } from 'node:worker_threads';
import { pseudonymiseDigits } from './encode-national-id.js';
import type { PseudonymTask, PseudonymTaskDone } from './encode-workers.js';

const port = parentPort;
if (port === null) throw new Error('encode-worker runs only as a worker thread');

port.on('message', (task: PseudonymTask) => {
  let reply: PseudonymTaskDone;
  try {
    const d = { length: task.rows, digits: new Uint8Array(task.digits), present: new Uint8Array(task.present), nulls: 0, invalid: 0 };
    pseudonymiseDigits(task.key, d, new Uint8Array(task.out), task.from, task.to);
    reply = { id: task.id, error: null };
  } catch (err) {
    // Only the kind of failure crosses back: a message could in principle quote input.
    reply = { id: task.id, error: err instanceof Error ? err.name : 'Error' };
  }
  port.postMessage(reply);
});
