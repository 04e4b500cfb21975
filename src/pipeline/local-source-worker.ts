/**
 * Worker-thread entry of `SourceWorkers` (local-source-workers.ts): reads one `koppel link` source
 * and encodes it, all on this thread, and hands back only what the link stage needs: the
 * encoded source (keyed tokens, Bloom filters, pseudonyms) and the record ids, their buffers
 * transferred, not copied. The cleartext columns never leave this thread.
 */
import { parentPort } from 'node:worker_threads';
import { KoppelError } from '../errors.js';
import { encodeSource, encodingKeysFrom } from '../pseudonymise/encode-source.js';
import { loadSource } from './local-sources.js';
import { transferablesOf, type SourceTask, type SourceTaskReply } from './local-source-workers.js';

const port = parentPort;
if (port === null) throw new Error('local-source-worker runs only as a worker thread');

port.on('message', (task: SourceTask) => {
  void run(task).then(
    (reply) => port.postMessage(reply, 'ok' in reply ? transferablesOf(reply.ok) : []),
    () => { /* run never rejects */ },
  );
});

async function run(task: SourceTask): Promise<SourceTaskReply> {
  try {
    const t = performance.now();
    const loaded = await loadSource(task.spec, task.fields);
    const readMs = performance.now() - t;
    const t0 = performance.now();
    const encoded = encodeSource(
      { name: task.spec.name, unique: task.spec.unique, size: loaded.size, columns: loaded.columns },
      task.specs, encodingKeysFrom(new Uint8Array(task.master)),
    );
    return { id: task.id, ok: { encoded, ids: loaded.ids, format: loaded.format, readMs, encodeMs: performance.now() - t0 } };
  } catch (err) {
    // A KoppelError's message and details name files, columns and rows, never values; any
    // other error crosses back as its kind only.
    if (err instanceof KoppelError) return { id: task.id, error: { code: err.code, message: err.message, details: err.details } };
    return { id: task.id, error: { code: null, message: `reading the source failed (${err instanceof Error ? err.name : 'Error'})`, details: undefined } };
  }
}
