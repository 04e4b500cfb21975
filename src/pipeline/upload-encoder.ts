/**
 * The keyed encoding of an upload's linkage columns (linkage-encoding.ts), off the main thread.
 *
 * Encoding is most of an upload's CPU (HMACs per q-gram: 17 of 30 s of three 2M-row uploads
 * on the main thread, `npm run bench -- turnaround`). One encode worker per server takes it, so
 * the main thread parses, hashes and writes while the worker encodes, on the other core, and
 * the event loop keeps answering. The worker keeps one session per upload (the encoder's
 * distinct values, encoded once per delivery, live there); the pool has one worker, so every
 * task of a session reaches it in order.
 *
 * ```
 * main thread                                          encode worker (upload-encoder-worker.ts)
 * open   {session, columns, purpose keys}      ────>   new LinkageEncoder
 * encode {session, linkage columns (copies)}   ────>   encodeColumns  ── typed arrays (moved) ──> encodingData
 * close  {session}                             ────>   forget it
 * ```
 * With `jobWorkers: 0` (tests, embedded use) the same encoder runs inline. A worker that dies
 * fails its uploads with KOPPEL_ERR_LINK_WORKER_FAILED; the next upload gets a fresh worker.
 */
import type { Data, Utf8 } from 'apache-arrow';
import type { ColumnSpec, FieldType } from '../model.js';
import { TOKEN_SLOTS, type FieldQuality } from '../pseudonymise/encoded-source.js';
import type { EncodingKeys } from '../pseudonymise/encode-field.js';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';
import { Transfer, WorkerPool } from '../util/worker-pool.js';
import type { PipelineContext } from './context.js';
import { LinkageEncoder, encodingData, type ColumnEncoding } from './linkage-encoding.js';

/** A text column's buffers, as they cross to the worker. */
export interface TextColumn {
  readonly length: number;
  readonly valueOffsets: Int32Array;
  readonly values: Uint8Array;
  readonly nullBitmap: Uint8Array | null;
  readonly nullCount: number;
}

export interface OpenSession {
  readonly session: number;
  readonly columns: readonly ColumnSpec[];
  /** The purpose keys of the columns' types, and the national number's. */
  readonly keys: { readonly encode: Partial<Record<FieldType, Uint8Array>>; readonly nationalId: Uint8Array };
}

/** The task table of upload-encoder-worker.ts. */
export type EncodeTasks = {
  open: (input: OpenSession) => void;
  encode: (input: { session: number; columns: Record<string, TextColumn> }) => Promise<Transfer<ColumnEncoding[]>>;
  close: (input: { session: number }) => void;
};

export interface UploadEncoder {
  /** As `LinkageEncoder.encodeBatch`; batches are encoded in the order they are given. */
  encodeBatch(cleartext: ReadonlyMap<string, Data<Utf8>>, quality: Record<string, FieldQuality>): Promise<Data[]>;
  /** Frees the session; safe to call more than once, and after a failure. */
  close(): Promise<void>;
}

const poolOf = new WeakMap<PipelineContext, WorkerPool<EncodeTasks>>();
let sessions = 0;

export function openUploadEncoder(ctx: PipelineContext, columns: readonly ColumnSpec[], keys: EncodingKeys): UploadEncoder {
  if (ctx.config.jobWorkers === 0) {
    const inline = new LinkageEncoder(columns, keys);
    // One batch at a time, in order, as the worker takes them (the encoder yields between steps).
    let last: Promise<unknown> = Promise.resolve();
    return {
      encodeBatch: (cleartext, quality) => {
        const next = last.then(() => inline.encodeBatch(cleartext, quality));
        last = next.catch(() => undefined);
        return next;
      },
      close: async () => undefined,
    };
  }
  let pool = poolOf.get(ctx);
  if (pool === undefined) {
    // One worker: the main thread parses and writes on one core, the worker encodes on the other.
    pool = new WorkerPool<EncodeTasks>({ from: import.meta.url, entry: 'upload-encoder-worker', role: 'encoding uploads', size: 1, inbox: 2, start: 'on-demand', resourceLimits: { maxYoungGenerationSizeMb: 32 } });
    poolOf.set(ctx, pool);
  }
  return new WorkerSession(pool, columns, keys);
}

/**
 * A text column's own buffers, offsets from 0: copied, not moved (the batch is still read on
 * this thread), and no more than its rows (a view's whole underlying buffer would be cloned).
 */
function exactCopy(data: Data<Utf8>): TextColumn {
  // A slice's offsets are its own (row i at o[i]); its bitmap is the parent's (bit offset + i).
  const n = data.length;
  const o = data.valueOffsets;
  const start = o[0];
  const valueOffsets = new Int32Array(n + 1);
  for (let i = 0; i <= n; i++) valueOffsets[i] = o[i] - start;
  const bitmap = validityBitmap(data);
  let nullBitmap: Uint8Array | null = null;
  if (bitmap !== null && data.nullCount > 0) {
    nullBitmap = new Uint8Array((n + 7) >>> 3);
    for (let i = 0; i < n; i++) if (isBitSet(bitmap, data.offset + i)) nullBitmap[i >>> 3] |= 1 << (i & 7);
  }
  return { length: n, valueOffsets, values: data.values.slice(start, o[n]), nullBitmap, nullCount: nullBitmap === null ? 0 : data.nullCount };
}

class WorkerSession implements UploadEncoder {
  private readonly session = ++sessions;
  private readonly opened: Promise<void>;
  private closed = false;

  constructor(private readonly pool: WorkerPool<EncodeTasks>, private readonly columns: readonly ColumnSpec[], keys: EncodingKeys) {
    // Every type's key: a field's encoder may also use another type's (a given name's, a name's).
    const encode: Partial<Record<FieldType, Uint8Array>> = {};
    for (const type of Object.keys(TOKEN_SLOTS) as FieldType[]) encode[type] = keys.encode(type);
    this.opened = pool.run('open', { session: this.session, columns, keys: { encode, nationalId: keys.nationalId } });
    this.opened.catch(() => { /* reported by the first encodeBatch */ });
  }

  async encodeBatch(cleartext: ReadonlyMap<string, Data<Utf8>>, quality: Record<string, FieldQuality>): Promise<Data[]> {
    await this.opened;
    const sent: Record<string, TextColumn> = {};
    for (const column of this.columns) {
      const data = cleartext.get(column.name);
      if (data === undefined) throw new Error(`ingest produced no linkage column ${column.name}`);
      sent[column.name] = exactCopy(data);
    }
    const encoded = await this.pool.run('encode', { session: this.session, columns: sent });
    return encodingData(this.columns, encoded, quality);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.run('close', { session: this.session }).catch(() => { /* a lost worker lost the session too */ });
  }
}
