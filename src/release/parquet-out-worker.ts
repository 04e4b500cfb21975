/** Worker-thread entry that writes release tables as Parquet (see parquet-out.ts). */
import { Transfer, serveTasks } from '../util/worker-pool.js';
import type { ParquetOutTasks } from './parquet-out.js';

const parquet = await import('parquet-wasm/node');

serveTasks<ParquetOutTasks>({
  async write({ ipc }) {
    const table = parquet.Table.fromIPCStream(ipc);
    const properties = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.ZSTD).setCreatedBy('koppel').build();
    const bytes = parquet.writeParquet(table, properties);
    return new Transfer(bytes, [bytes.buffer as ArrayBuffer]);
  },
});
