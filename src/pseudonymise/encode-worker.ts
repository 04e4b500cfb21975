/**
 * Worker-thread entry of `PseudonymWorkers` (encode-workers.ts): HMACs slices of normalised
 * national numbers into linkage pseudonyms. Digits, flags and output live in SharedArrayBuffers
 * the main thread allocated, so nothing is copied either way; a task names its rows, and the
 * reply only says it is done. The key arrives once per task (32 bytes, in memory only).
 */
import { serveTasks } from '../util/worker-pool.js';
import { pseudonymTasks } from './encode-workers.js';

serveTasks(pseudonymTasks);
