/**
 * Arrow IPC *file* format on disk, written incrementally with bounded memory.
 *
 * apache-arrow's RecordBatchFileWriter pushes its output into an AsyncByteQueue that nobody
 * drains until the writer closes, so writing a large delivery through it would hold the whole
 * file in memory. `ChunkTap` is an AsyncByteQueue (the writer accepts only that class as a
 * sink) that just collects the chunks of one batch; after each batch we hand them to the file
 * and hash them, so at most one encoded batch is in memory at a time.
 *
 * Reading, verified against the recorded size and hash, is stored-files.ts.
 */
import fs from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { promisify } from 'node:util';
import {
  AsyncByteQueue, RecordBatchFileWriter, util,
  type RecordBatch, type Schema, type Table,
} from 'apache-arrow';

class ChunkTap extends AsyncByteQueue {
  chunks: Uint8Array[] = [];
  override write(value: Uint8Array): void {
    if (value.byteLength > 0) this.chunks.push(value);
  }
  take(): Uint8Array[] {
    const out = this.chunks;
    this.chunks = [];
    return out;
  }
}

export interface WrittenFile {
  readonly bytes: number;
  readonly sha256: string;
  readonly rows: number;
}

/** Sink for record batches of one schema; `close()` finishes, fsyncs and closes the file. */
export interface BatchSink {
  write(batch: RecordBatch): Promise<void>;
  close(): Promise<void>;
}

/** Shared state of the sync and async writers: schema check, hashing and counting. */
class IpcFileEncoder {
  private readonly writer = new RecordBatchFileWriter();
  private readonly tap = new ChunkTap();
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;
  rows = 0;

  constructor(private readonly schema: Schema) {
    // Starting with the schema writes the header now, so a file with no batches is valid too.
    this.writer.reset(this.tap, schema);
  }

  /** Encode one batch; returns the chunks to write, already hashed. */
  encode(batch: RecordBatch): Uint8Array[] {
    // The writer silently closes itself on a schema change; refuse it loudly instead.
    if (batch.schema !== this.schema && !util.compareSchemas(this.schema, batch.schema)) {
      throw new Error('record batch schema differs from the schema the file was opened with');
    }
    this.writer.write(batch);
    this.rows += batch.numRows;
    return this.account(this.tap.take());
  }

  finish(): Uint8Array[] {
    this.writer.close();
    return this.account(this.tap.take());
  }

  digest(): string {
    return this.hash.digest('hex');
  }

  private account(chunks: Uint8Array[]): Uint8Array[] {
    for (const chunk of chunks) {
      this.hash.update(chunk);
      this.bytes += chunk.byteLength;
    }
    return chunks;
  }
}

export interface OpenBatchSink extends BatchSink {
  /** Close the file descriptor without finishing (the staging directory is being discarded). */
  discard(): void;
  readonly state: 'open' | 'closed' | 'failed';
}

const writev = promisify(fs.writev);
const fsync = promisify(fs.fsync);
const close = promisify(fs.close);

/**
 * Open `file` (which must not exist) for incremental writing. `onClosed` receives the final
 * size, hash and row count once the file is complete and fsynced.
 */
export function openBatchSink(file: string, schema: Schema, onClosed: (info: WrittenFile) => void): OpenBatchSink {
  const fd = fs.openSync(file, 'wx', 0o600);
  const encoder = new IpcFileEncoder(schema);
  let state: 'open' | 'closed' | 'failed' = 'open';
  let fdOpen = true;
  let pending: Promise<void> = Promise.resolve();

  const closeFd = () => {
    if (fdOpen) {
      fdOpen = false;
      fs.closeSync(fd);
    }
  };
  const flush = async (chunks: Uint8Array[]): Promise<void> => {
    if (chunks.length > 0) await writev(fd, chunks);
  };
  // Writes are chained, so a caller that does not await each write still gets them in order.
  const enqueue = (work: () => Promise<void>): Promise<void> => {
    pending = pending.then(work).catch((err: unknown) => {
      state = 'failed';
      closeFd();
      throw err;
    });
    return pending;
  };
  return {
    get state() {
      return state;
    },
    write(batch: RecordBatch): Promise<void> {
      if (state !== 'open') return Promise.reject(new Error(`the batch sink is ${state}`));
      return enqueue(() => flush(encoder.encode(batch)));
    },
    close(): Promise<void> {
      if (state !== 'open') return Promise.reject(new Error(`the batch sink is ${state}`));
      state = 'closed';
      return enqueue(async () => {
        await flush(encoder.finish());
        await fsync(fd);
        fdOpen = false;
        await close(fd);
        onClosed({ bytes: encoder.bytes, sha256: encoder.digest(), rows: encoder.rows });
      });
    },
    discard(): void {
      if (state === 'open') state = 'failed';
      closeFd();
    },
  };
}

/** Write a whole table as an IPC file, synchronously, one batch in memory at a time; fsynced. */
export function writeTableFileSync(file: string, table: Table): WrittenFile {
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    const encoder = new IpcFileEncoder(table.schema);
    const put = (chunks: Uint8Array[]) => {
      for (const chunk of chunks) {
        let done = 0;
        while (done < chunk.byteLength) done += fs.writeSync(fd, chunk, done, chunk.byteLength - done);
      }
    };
    for (const batch of table.batches) put(encoder.encode(batch));
    put(encoder.finish());
    fs.fsyncSync(fd);
    return { bytes: encoder.bytes, sha256: encoder.digest(), rows: encoder.rows };
  } finally {
    fs.closeSync(fd);
  }
}
