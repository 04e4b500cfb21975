/**
 * Reading a stored data file: verified whole first, then read in pieces, never held whole.
 *
 *   open     one file handle; fstat size == recorded size        else KOPPEL_ERR_STORE_CORRUPT
 *   verify   sha256 over the file in `chunkBytes` pieces read with   else KOPPEL_ERR_STORE_CORRUPT
 *            fs.read on libuv's pool (the next piece is read while
 *            this one is hashed) == recorded sha256
 *   read     as Arrow: record batches one at a time, each read at its offset from the footer
 *            (apache-arrow's AsyncRecordBatchFileReader over the same handle);
 *            or as bytes: a stream of `chunkBytes` pieces (a download), hashed once more
 *
 * Why verify first, then read, rather than hash while reading and refuse at the end: a CSV
 * download renders batches as they are read and a download must send no byte of a bad file,
 * so "refuse at the end" would come after the bytes went out; one rule for every reader is
 * easier to trust than two. Nothing read is handed out before the whole file has matched.
 * The cost is a second read of the file, mostly from the page cache; the hash pass is the
 * bigger cost and is paid once either way.
 *
 * Between the two passes the file stays open on one handle, so a file renamed over the path
 * changes nothing; only an in-place write between them would go unseen, by someone who can
 * already write the data directory. The byte stream hashes again as it goes and breaks off
 * (destroys the stream, so the client sees a cut transfer) if the second pass differs.
 *
 * Per tick the main thread does at most one piece's hash (8 MiB: a few ms) or one batch's
 * decoding (no copy: apache-arrow's vectors view the bytes read), so a server reading a
 * 3 GB file keeps answering. Memory: two pieces, or one batch, at a time.
 */
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { RecordBatchReader, Table, type RecordBatch, type Schema } from 'apache-arrow';
import { KoppelError } from '../errors.js';

/**
 * A stored data file as the store hands it out to a reader that runs elsewhere (a worker
 * thread): where it is, what it must hash to, and how to name it in an error. Only the store
 * makes these, so it stays the only code that knows the data directory's layout.
 */
export interface StoredFileRef {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  /** The data-dir-relative name used in errors, e.g. `deliveries/<id>/linkage.arrow`. */
  readonly what: string;
}

export interface ReadOptions {
  /** Bytes per read while hashing and streaming (default 8 MiB). */
  readonly chunkBytes?: number;
}

const DEFAULT_CHUNK = 8 << 20;

function corrupt(ref: StoredFileRef, problem: string, details: Record<string, string | number> = {}): KoppelError {
  return new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `${ref.what} ${problem}`, { file: ref.what, ...details });
}

/** Reads `length` bytes at `position` into `into` (fs.read may return fewer than asked). */
async function readFully(handle: FileHandle, into: Uint8Array, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(into, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/**
 * sha256 of the first `size` bytes of `handle`, in `chunk`-sized pieces: while one piece is
 * hashed on this thread, the next is already being read on libuv's pool.
 */
async function hashHandle(handle: FileHandle, size: number, chunk: number): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  const buffers = [Buffer.allocUnsafe(Math.min(chunk, Math.max(size, 1))), Buffer.allocUnsafe(Math.min(chunk, Math.max(size, 1)))];
  let bytes = 0;
  let which = 0;
  let pending: Promise<number> | null = size > 0 ? readFully(handle, buffers[0], Math.min(chunk, size), 0) : null;
  while (pending !== null) {
    const n = await pending;
    const current = buffers[which];
    const at = bytes + n;
    which ^= 1;
    pending = n > 0 && at < size ? readFully(handle, buffers[which], Math.min(chunk, size - at), at) : null;
    hash.update(current.subarray(0, n));
    bytes = at;
    if (n === 0) break;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * A stored file whose size and sha256 matched the record when it was opened. Read it once,
 * as Arrow batches (`arrow()`, `table()`) or as bytes (`byteStream()`); each closes the file
 * when it ends. `close()` releases a file that is not going to be read.
 */
export class VerifiedFile {
  private closed = false;
  private taken = false;

  private constructor(private readonly handle: FileHandle, readonly ref: StoredFileRef, private readonly chunkBytes: number) {}

  /** Opens and verifies `ref`; a missing, resized or altered file is KOPPEL_ERR_STORE_CORRUPT. */
  static async open(ref: StoredFileRef, options: ReadOptions = {}): Promise<VerifiedFile> {
    const chunkBytes = Math.max(4096, options.chunkBytes ?? DEFAULT_CHUNK);
    let handle: FileHandle;
    try {
      handle = await fs.promises.open(ref.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw corrupt(ref, 'is missing from the data directory');
      throw err;
    }
    try {
      const { size } = await handle.stat();
      if (size !== ref.bytes) throw corrupt(ref, 'does not match its recorded size and sha256', { bytes: size, expectedBytes: ref.bytes });
      const actual = await hashHandle(handle, size, chunkBytes);
      if (actual.sha256 !== ref.sha256 || actual.bytes !== ref.bytes) {
        throw corrupt(ref, 'does not match its recorded size and sha256', { bytes: actual.bytes, expectedBytes: ref.bytes });
      }
      return new VerifiedFile(handle, ref, chunkBytes);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }

  /**
   * The file as an Arrow IPC file: its schema, and its record batches one at a time, each read
   * at its offset from the footer. The file closes when the batches end or the loop stops.
   */
  async arrow(): Promise<{ schema: Schema; batches: AsyncIterable<RecordBatch> }> {
    this.claim();
    const handle = this.handle;
    // apache-arrow closes the handle it is given when it finishes; this view leaves that to us.
    const view = {
      fd: handle.fd,
      stat: () => Promise.resolve({ size: this.ref.bytes }),
      read: (buffer: Uint8Array, offset: number, length: number, position: number) => handle.read(buffer, offset, length, position),
      close: () => Promise.resolve(),
    };
    try {
      const reader = await RecordBatchReader.from(view as unknown as FileHandle);
      // Its bytes are the ones recorded, so this is a bug in what wrote it, not a damaged file.
      if (!reader.isFile()) throw new Error(`${this.ref.what} matches its recorded hash but is not an Arrow IPC file`);
      await reader.open();
      const batches = async function* (file: VerifiedFile): AsyncGenerator<RecordBatch> {
        try {
          for await (const batch of reader) yield batch;
        } finally {
          await file.close();
        }
      };
      return { schema: reader.schema, batches: batches(this) };
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** All batches as one table (for a reader that needs the whole file: the link stage). */
  async table(): Promise<Table> {
    const { schema, batches } = await this.arrow();
    const all: RecordBatch[] = [];
    for await (const batch of batches) all.push(batch);
    return new Table(schema, all);
  }

  /**
   * The raw bytes as a stream of `chunkBytes` pieces, hashed again on the way: if they no
   * longer match (the file was written to since it was verified) the stream is destroyed with
   * KOPPEL_ERR_STORE_CORRUPT instead of ending, so the receiver sees a broken transfer.
   */
  byteStream(): Readable {
    this.claim();
    const pieces = async function* (file: VerifiedFile): AsyncGenerator<Buffer> {
      const hash = createHash('sha256');
      try {
        let at = 0;
        while (at < file.ref.bytes) {
          // A fresh buffer per piece: the consumer may hold on to it after the next read.
          const piece = Buffer.allocUnsafe(Math.min(file.chunkBytes, file.ref.bytes - at));
          const n = await readFully(file.handle, piece, piece.length, at);
          if (n === 0) break;
          at += n;
          const out = n === piece.length ? piece : piece.subarray(0, n);
          hash.update(out);
          yield out;
        }
        if (at !== file.ref.bytes || hash.digest('hex') !== file.ref.sha256) throw corrupt(file.ref, 'changed while it was being sent');
      } finally {
        await file.close();
      }
    };
    return Readable.from(pieces(this), { objectMode: false });
  }

  private claim(): void {
    if (this.closed || this.taken) throw new Error(`${this.ref.what} was already read or closed`);
    this.taken = true;
  }
}

/** Open and verify a stored file (see VerifiedFile). */
export function openStoredFile(ref: StoredFileRef, options?: ReadOptions): Promise<VerifiedFile> {
  return VerifiedFile.open(ref, options);
}

/** A stored Arrow file as one table, verified first, read batch by batch. */
export async function readStoredTable(ref: StoredFileRef, options?: ReadOptions): Promise<Table> {
  return (await openStoredFile(ref, options)).table();
}
