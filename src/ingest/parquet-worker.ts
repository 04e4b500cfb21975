/**
 * Worker thread that decodes one Parquet upload with parquet-wasm (see parquet-decoder.ts for
 * why it runs apart). Protocol, one message each way at a time:
 *
 *   workerData { bytes, batchRows }
 *   worker -> { kind: 'schema', ipc }              once, after reading the footer
 *   'next' -> { kind: 'batch', ipc } | { kind: 'end' }
 *   worker -> { kind: 'unreadable', where }         the file cannot be decoded (then it stops)
 *
 * `ipc` is an Arrow IPC stream; its buffer is transferred, not copied. A panic inside the
 * WebAssembly module surfaces as the worker's 'error' event and is handled by the parent.
 */
import { parentPort, workerData } from 'node:worker_threads';

export type ParquetWorkerMessage =
  | { kind: 'schema'; ipc: Uint8Array }
  | { kind: 'batch'; ipc: Uint8Array }
  | { kind: 'end' }
  | { kind: 'unreadable'; where: 'footer' | 'data' };

interface WasmBatch { intoIPCStream(): Uint8Array }

const port = parentPort;
if (port === null) throw new Error('parquet-worker.ts runs as a worker thread');

const data = workerData as { bytes: Uint8Array | null; batchRows: number };
const post = (message: ParquetWorkerMessage): void => {
  if (message.kind === 'schema' || message.kind === 'batch') port.postMessage(message, [message.ipc.buffer as ArrayBuffer]);
  else port.postMessage(message);
};

const parquet = await import('parquet-wasm/node');
let batches: AsyncIterator<WasmBatch> | null = null;
try {
  // The Blob is parquet-wasm's random-access handle; the plain bytes are let go once it exists.
  const file = await parquet.ParquetFile.fromFile(new Blob([data.bytes as Uint8Array]));
  data.bytes = null;
  const schema = file.schema().intoIPCStream();
  const stream = (await file.stream({ batchSize: data.batchRows })) as unknown as AsyncIterable<WasmBatch>;
  batches = stream[Symbol.asyncIterator]();
  post({ kind: 'schema', ipc: schema });
} catch {
  post({ kind: 'unreadable', where: 'footer' });
}

port.on('message', (request: unknown) => {
  if (request !== 'next' || batches === null) return;
  const it = batches;
  it.next().then(
    (r) => post(r.done === true ? { kind: 'end' } : { kind: 'batch', ipc: r.value.intoIPCStream() }),
    () => {
      batches = null;
      post({ kind: 'unreadable', where: 'data' });
    },
  );
});
