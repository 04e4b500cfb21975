/**
 * Worker threads for the one expensive step of encoding national numbers: the HMAC (two
 * SHA-256 compressions per number, ~0.5 µs). `koppel link` hands each parsed batch's numbers to
 * the queue and parses on; the workers HMAC as the batches come; once everything is read the
 * main thread takes queued tasks too (`helpInline`), so both cores of a 2-core machine stay busy.
 *
 * ```
 * main thread                                      worker i (encode-worker.ts)
 * nationalIdDigits -> digits, present (shared)
 * pseudonymise(key, d) ── task {rows from..to} ──>  pseudonymiseDigits into `out` (shared)
 *                     <── done ────────────────────
 * ```
 * Digits, flags and pseudonyms sit in SharedArrayBuffers: no copy and no transfer; each
 * worker writes only its own rows. Cleartext digits never leave the process's memory.
 */
import { WorkerPool } from '../util/worker-pool.js';
import { INSZ_LENGTH } from '../ingest/insz.js';
import { HMAC_SHA256_BYTES } from './hmac-batch.js';
import type { Data, Utf8 } from 'apache-arrow';
import { nationalIdDigits, nationalIdField, pseudonymiseDigits, type NationalIdDigits } from './encode-national-id.js';
import type { EncodedFieldResult } from './encode-field.js';

export interface PseudonymTask {
  readonly key: Uint8Array;
  readonly rows: number;
  readonly from: number;
  readonly to: number;
  readonly digits: SharedArrayBuffer;
  readonly present: SharedArrayBuffer;
  readonly out: SharedArrayBuffer;
}

/** The task table of encode-worker.ts, which the main thread runs too (`helpInline`). */
export const pseudonymTasks = {
  hmac(task: PseudonymTask): void {
    const d = { length: task.rows, digits: new Uint8Array(task.digits), present: new Uint8Array(task.present), nulls: 0, invalid: 0 };
    pseudonymiseDigits(task.key, d, new Uint8Array(task.out), task.from, task.to);
  },
};

/** Allocates in shared memory, so that workers can read the digits where they are. */
export function sharedBytes(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}

/** Tasks in a worker's inbox at once: it starts the next the moment it finishes one, even while
 * the main thread is busy (its reply waits for the main thread's event loop). */
const INBOX = 2;

/** Process-wide pools by size (`PseudonymWorkers.shared`). */
const sharedPools = new Map<number, PseudonymWorkers>();

/**
 * A queue of HMAC tasks served by worker threads (each with up to `INBOX` tasks in hand), and by
 * the main thread itself when it has nothing else to do (`helpInline`): with one worker per
 * spare core, every core stays busy, while reading and at the end.
 *
 * The pool is util/worker-pool.ts: idle workers do not keep the process alive, so a pool can
 * outlive the run that started it and serve the next (`shared`), as a database keeps its threads.
 */
export class PseudonymWorkers {
  private readonly pool: WorkerPool<typeof pseudonymTasks>;

  constructor(readonly size: number) {
    this.pool = new WorkerPool({ from: import.meta.url, entry: 'encode-worker', role: 'computing pseudonyms', size, inbox: INBOX });
  }

  /**
   * The process's pool of `size` workers, started on first use and kept (idle, unref'd) for the
   * next run: starting a worker costs 0.15 s compiled, 0.5 s under a TypeScript loader. Not to be
   * closed by its users; a closed pool is replaced.
   */
  static shared(size: number): PseudonymWorkers {
    let pool = sharedPools.get(size);
    if (pool === undefined || pool.pool.isClosed) {
      pool = new PseudonymWorkers(size);
      sharedPools.set(size, pool);
    }
    return pool;
  }

  /**
   * The linkage pseudonyms of `d` (whose digits and present flags must be in shared memory,
   * see `sharedBytes`), computed in `slices` contiguous slices of rows (by default one per
   * worker, plus one for the main thread).
   */
  async pseudonymise(key: Uint8Array, d: NationalIdDigits, slices = this.size + 1): Promise<Uint8Array> {
    const digits = sharedBufferOf(d.digits, d.length * INSZ_LENGTH);
    const present = sharedBufferOf(d.present, d.length);
    const out = new SharedArrayBuffer(d.length * HMAC_SHA256_BYTES);
    const per = Math.max(1, Math.ceil(d.length / slices));
    const tasks: Promise<void>[] = [];
    for (let from = 0; from < d.length; from += per) {
      tasks.push(this.pool.run('hmac', { key, rows: d.length, from, to: Math.min(d.length, from + per), digits, present, out }));
    }
    await Promise.all(tasks);
    return new Uint8Array(out);
  }

  /**
   * Runs queued tasks on this thread until none is left, for a caller that would otherwise only
   * wait for the workers.
   */
  helpInline(): Promise<void> {
    return this.pool.runQueuedHere(pseudonymTasks);
  }

  /** Ends the workers, failing what they had. */
  close(): Promise<void> {
    return this.pool.close();
  }
}

function sharedBufferOf(bytes: Uint8Array, length: number): SharedArrayBuffer {
  if (!(bytes.buffer instanceof SharedArrayBuffer) || bytes.byteOffset !== 0 || bytes.length !== length) {
    throw new TypeError('pseudonym workers need digits and flags allocated with sharedBytes');
  }
  return bytes.buffer;
}

/**
 * A national_id column encoded batch by batch as a source is read: each batch's digits are
 * taken at once (so its text can go), and its HMAC is queued to the workers, which work while
 * the main thread parses on. `finish` joins the batches: the same result as
 * `encodeNationalIdColumn` over all of them.
 */
export class NationalIdBatches {
  private readonly parts: { d: NationalIdDigits; pseudonyms: Promise<Uint8Array> }[] = [];

  constructor(private readonly workers: PseudonymWorkers, private readonly key: Uint8Array) {}

  get rows(): number {
    let n = 0;
    for (const p of this.parts) n += p.d.length;
    return n;
  }

  push(chunk: Data<Utf8>): void {
    const d = nationalIdDigits([chunk], sharedBytes);
    const pseudonyms = this.workers.pseudonymise(this.key, d, 1);
    pseudonyms.catch(() => { /* awaited in finish */ });
    this.parts.push({ d, pseudonyms });
  }

  async finish(name: string): Promise<EncodedFieldResult> {
    const done = await Promise.all(this.parts.map((p) => p.pseudonyms));
    const n = this.rows;
    const digits = new Uint8Array(0);
    const present = new Uint8Array(n);
    const pseudonyms = new Uint8Array(n * HMAC_SHA256_BYTES);
    let nulls = 0; let invalid = 0; let at = 0;
    this.parts.forEach((p, i) => {
      present.set(p.d.present, at);
      pseudonyms.set(done[i], at * HMAC_SHA256_BYTES);
      nulls += p.d.nulls; invalid += p.d.invalid;
      at += p.d.length;
    });
    this.parts.length = 0;
    // The digits are not kept: the field needs only the flags and counts.
    return nationalIdField(name, { length: n, digits, present, nulls, invalid }, pseudonyms);
  }
}
