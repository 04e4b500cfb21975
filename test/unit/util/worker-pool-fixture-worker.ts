/** A task table for the worker-pool tests: each task shows one behaviour of the pool. */
import { KoppelError } from '../../../src/errors.js';
import { Transfer, serveTasks } from '../../../src/util/worker-pool.js';

let kept: Uint8Array | null = null;
let state = 0;

const tasks = {
  echo: (x: unknown) => x,
  /** Sums the bytes it was sent (the caller's buffer is moved here). */
  sum: (bytes: Uint8Array) => bytes.reduce((a, b) => a + b, 0),
  /** `n` bytes 0, 1, 2, ..., handed over: afterwards this worker's copy is empty. */
  bytes(n: number) {
    const buffer = new ArrayBuffer(n);
    kept = new Uint8Array(buffer);
    for (let i = 0; i < n; i++) kept[i] = i & 0xff;
    return new Transfer(kept, [buffer]);
  },
  keptLength: () => kept?.byteLength ?? -1,
  /** Counts the tasks running at once in `running[0]` and keeps the peak in `running[1]`. */
  async busy(input: { running: Int32Array; ms: number; meet?: number }) {
    const now = Atomics.add(input.running, 0, 1) + 1;
    for (let peak = Atomics.load(input.running, 1); now > peak; peak = Atomics.load(input.running, 1)) {
      if (Atomics.compareExchange(input.running, 1, peak, now) === peak) break;
    }
    // On a loaded machine the second worker may still be starting when the first has run every
    // task: wait (at most 20 s) until `meet` tasks have run at once, so the test checks the pool
    // and not the machine's speed.
    for (const until = Date.now() + 20_000; Atomics.load(input.running, 1) < (input.meet ?? 0) && Date.now() < until;) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, input.ms));
    Atomics.sub(input.running, 0, 1);
    return input.ms;
  },
  fail(details: { row: number; column: string }) {
    throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `Row ${details.row} has no column ${details.column}.`, details);
  },
  add: (n: number) => (state += n),
  /** Never answers; the worker exits a little later. */
  exitSoon: () => new Promise<never>(() => { setTimeout(() => process.exit(3), 30); }),
  /** Never answers; an uncaught exception ends the worker a little later. */
  crashSoon: () => new Promise<never>(() => { setTimeout(() => { throw new RangeError('thrown outside any task'); }, 30); }),
  /** Allocates until the heap limit stops it. */
  hog() {
    const held: { i: number; s: string }[] = [];
    for (let i = 0; ; i++) held.push({ i, s: `row ${i}` });
  },
};

export type FixtureTasks = typeof tasks;

serveTasks(tasks);
