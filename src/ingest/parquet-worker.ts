/**
 * Worker-thread entry that decodes one Parquet upload with parquet-wasm (see parquet-decoder.ts
 * for why it runs apart, and for its tasks). A file it cannot decode is refused with the coded
 * error of parquet-unreadable.ts; a panic inside the WebAssembly module ends this worker, which
 * the decoder also takes as an unreadable file. Each IPC stream's buffer is transferred, not copied.
 */
import { Transfer, serveTasks } from '../util/worker-pool.js';
import type { ParquetTasks } from './parquet-decoder.js';
import { parquetUnreadable } from './parquet-unreadable.js';

interface WasmBatch { intoIPCStream(): Uint8Array }

const parquet = await import('parquet-wasm/node');
let batches: AsyncIterator<WasmBatch> | null = null;

const transferred = (ipc: Uint8Array) => new Transfer(ipc, [ipc.buffer as ArrayBuffer]);

serveTasks<ParquetTasks>({
  async open({ bytes, batchRows }) {
    try {
      // The Blob is parquet-wasm's random-access handle; the plain bytes are let go once it exists.
      const file = await parquet.ParquetFile.fromFile(new Blob([bytes]));
      const schema = file.schema().intoIPCStream();
      const stream = (await file.stream({ batchSize: batchRows })) as unknown as AsyncIterable<WasmBatch>;
      batches = stream[Symbol.asyncIterator]();
      return transferred(schema);
    } catch {
      throw parquetUnreadable('footer');
    }
  },
  async next() {
    if (batches === null) throw parquetUnreadable('data');
    try {
      const r = await batches.next();
      return r.done === true ? null : transferred(r.value.intoIPCStream());
    } catch {
      batches = null;
      throw parquetUnreadable('data');
    }
  },
});
