import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { isKoppelError } from '../../../src/errors.js';
import { WorkerPool, liveWorkers, type WorkerPoolOptions } from '../../../src/util/worker-pool.js';
import type { FixtureTasks } from './worker-pool-fixture-worker.js';

const ENTRY = 'worker-pool-fixture-worker';

function pool(t: { teardown(fn: () => unknown): void }, options: Partial<WorkerPoolOptions> = {}): WorkerPool<FixtureTasks> {
  const p = new WorkerPool<FixtureTasks>({ from: import.meta.url, entry: ENTRY, role: 'running a test', size: 1, ...options });
  t.teardown(() => p.close());
  return p;
}

t.test('a task answers with its result, and an unknown task fails as a plain error', async (t) => {
  const p = pool(t);
  t.same(await p.run('echo', { a: [1, 'b'] }), { a: [1, 'b'] });
  await t.rejects(p.run('nope' as 'echo', 1), { message: /no task named nope/ });
  t.equal(await p.run('echo', 2), 2, 'and the worker goes on');
});

t.test('tasks beyond the pool size wait their turn: every one answers, two at a time on two workers', async (t) => {
  const running = new Int32Array(new SharedArrayBuffer(8));
  const p = pool(t, { size: 2 });
  const done = await Promise.all(Array.from({ length: 6 }, (_, i) => p.run('busy', { running, ms: 20 + i, meet: 2 })));
  t.same(done, [20, 21, 22, 23, 24, 25], 'every task answered, in its own promise');
  t.equal(running[1], 2, 'two at a time: one per worker');
});

t.test('buffers listed for transfer are moved, both ways, not copied', async (t) => {
  const p = pool(t);
  const sent = Uint8Array.from([1, 2, 3, 4]);
  t.equal(await p.run('sum', sent, [sent.buffer]), 10);
  t.equal(sent.byteLength, 0, 'the caller\'s buffer went to the worker');
  const got = await p.run('bytes', 300);
  t.equal(got.length, 300);
  t.equal(got[299], 299 & 0xff);
  t.equal(await p.run('keptLength', undefined), 0, 'the worker\'s buffer came here');
});

t.test('a KoppelError thrown in a worker rejects the caller with the same code, message and details', async (t) => {
  const p = pool(t);
  const err = await p.run('fail', { row: 7, column: 'surname' }).then(() => null, (e: unknown) => e);
  t.ok(isKoppelError(err), 'a KoppelError on this side');
  t.match(err, { code: 'KOPPEL_ERR_LINK_BAD_JOB', statusCode: 400, message: 'Row 7 has no column surname.', details: { row: 7, column: 'surname' } });
});

t.test('a worker that exits mid-task fails every task it held with the coded error; a fresh worker takes the next', async (t) => {
  const p = pool(t, { inbox: 3 });
  const held = [p.run('exitSoon', undefined), p.run('echo', 'a'), p.run('echo', 'b')];
  await Promise.all(held.map((task) => t.rejects(task, { code: 'KOPPEL_ERR_LINK_WORKER_FAILED', details: { kind: 'exit' } })));
  t.equal(await p.run('echo', 'c'), 'c', 'the pool goes on');
  const crashed = [p.run('crashSoon', undefined), p.run('echo', 'd')];
  await Promise.all(crashed.map((task) => t.rejects(task, { code: 'KOPPEL_ERR_LINK_WORKER_FAILED', details: { kind: 'RangeError' } }, 'an uncaught exception: its kind, not its message')));
  t.equal(await p.run('echo', 'e'), 'e');
});

t.test('a worker that runs out of its heap limit fails its task with the coded error, and the process lives on', async (t) => {
  const p = pool(t, { resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
  await t.rejects(p.run('hog', undefined), { code: 'KOPPEL_ERR_LINK_WORKER_FAILED', details: { kind: 'ERR_WORKER_OUT_OF_MEMORY' } });
  t.equal(await p.run('echo', 1), 1);
});

t.test('a lease keeps one worker for its owner; others wait; retiring it ends the thread', async (t) => {
  const p = pool(t, { start: 'on-demand' });
  const before = liveWorkers(ENTRY);
  const first = await p.lease();
  t.equal(await first.run('add', 5), 5);
  t.equal(await first.run('add', 2), 7, 'the same worker, with its state');
  let second: Awaited<ReturnType<typeof p.lease>> | null = null;
  const waiting = p.lease().then((l) => { second = l; });
  await new Promise((r) => setTimeout(r, 20));
  t.equal(second, null, 'the only worker is leased');
  t.equal(liveWorkers(ENTRY), before + 1);
  await first.release({ retire: true });
  await first.release({ retire: true });
  t.equal(liveWorkers(ENTRY), before, 'the retired worker has exited');
  await waiting;
  t.equal(await second!.run('add', 1), 1, 'the next lease gets a fresh worker');
  await t.rejects(first.run('add', 1), /released/);
  await second!.release();
});

t.test('the main thread can run queued tasks with the same table', async (t) => {
  const p = pool(t);
  const table = { echo: (x: unknown) => `here ${String(x)}` } as unknown as FixtureTasks;
  const tasks = [p.run('echo', 1), p.run('echo', 2), p.run('echo', 3)];
  await p.runQueuedHere(table);
  t.same(await Promise.all(tasks), [1, 'here 2', 'here 3'], 'the first went to the worker, the queued ones ran here');
});

t.test('close fails what the pool holds and refuses new work', async (t) => {
  const p = pool(t);
  const held = t.rejects(p.run('busy', { running: new Int32Array(new SharedArrayBuffer(8)), ms: 5000 }), /closed/);
  const queued = t.rejects(p.run('echo', 1), /closed/);
  await p.close();
  await held;
  await queued;
  await t.rejects(p.run('echo', 2), /closed/);
  await t.rejects(p.lease(), /closed/);
});

t.test('idle workers do not keep the process alive', async (t) => {
  // A child process starts a pool, runs a task and never closes the pool: it must still exit.
  const pool = fileURLToPath(new URL('../../../src/util/worker-pool.ts', import.meta.url));
  const script = `
    const { WorkerPool } = await import(${JSON.stringify(pool)});
    const p = new WorkerPool({ from: ${JSON.stringify(import.meta.url)}, entry: '${ENTRY}', role: 'idling', size: 2 });
    process.stdout.write(String(await p.run('echo', 42)));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000 });
  t.equal(stdout, '42', 'the child answered and exited by itself');
});
