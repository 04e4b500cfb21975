/**
 * Worker-thread entry of `SourceWorkers` (local-source-workers.ts): reads one `koppel link` source
 * and encodes it, all on this thread, and hands back only what the link stage needs: the
 * encoded source (keyed tokens, Bloom filters, pseudonyms) and the record ids, their buffers
 * transferred, not copied. The cleartext columns never leave this thread.
 */
import { encodeSource, encodingKeysFrom } from '../pseudonymise/encode-source.js';
import { Transfer, serveTasks } from '../util/worker-pool.js';
import { loadSource } from './local-sources.js';
import { transferablesOf, type SourceTasks } from './local-source-workers.js';

serveTasks<SourceTasks>({
  async load(task) {
    const t = performance.now();
    const loaded = await loadSource(task.spec, task.fields);
    const readMs = performance.now() - t;
    const t0 = performance.now();
    const encoded = encodeSource(
      { name: task.spec.name, unique: task.spec.unique, size: loaded.size, columns: loaded.columns },
      task.specs, encodingKeysFrom(task.master),
    );
    const result = { encoded, ids: loaded.ids, format: loaded.format, readMs, encodeMs: performance.now() - t0 };
    return new Transfer(result, transferablesOf(result));
  },
});
