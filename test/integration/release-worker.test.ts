/**
 * A release build runs in a worker thread: the main thread's event loop stays free while it
 * assembles and writes, where the same build inline (`jobWorkers: 0`) holds the loop for the
 * whole of it. On a loaded 2-core machine absolute delays mean little, so the test asserts that
 * the build ran in a worker thread, and compares the loop's longest stall relatively.
 */
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openRuntime } from '../../src/pipeline/runtime.js';
import { initKey } from '../../src/store/index.js';
import { registerDataset, registerProject } from '../../src/pipeline/registry.js';
import { receiveDelivery } from '../../src/pipeline/deliveries.js';
import { runningJobs, startJob } from '../../src/pipeline/jobs.js';
import { buildRelease } from '../../src/pipeline/releases.js';
import { liveReleaseWorkers } from '../../src/pipeline/release-worker-client.js';
import type { PipelineContext } from '../../src/pipeline/context.js';
import type { Principal } from '../../src/model.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';

const operator = (name: string): Principal => ({ role: 'operator', name, id: `operator:${name}` });
const supplier = (name: string): Principal => ({ role: 'supplier', name, id: `supplier:${name}` });

/** A finished job over two deliveries of `people` persons, in a fresh data dir. */
async function finishedJob(t: { teardown(fn: () => unknown): void; equal(a: unknown, b: unknown): void }, people: number): Promise<{ ctx: PipelineContext; jobId: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koppel-relworker-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  initKey(path.join(dir, 'keys'));
  const runtime = openRuntime({ dataDir: path.join(dir, 'data'), keysDir: path.join(dir, 'keys'), logLevel: 'silent' }, { env: {} });
  t.teardown(() => runtime.close());
  const { ctx } = runtime;
  const persons = makePeople(people, 5);
  registerDataset(ctx, operator('olivia'), testDatasetSchema('vdab_set', 'vdab'));
  registerDataset(ctx, operator('olivia'), testDatasetSchema('rsz_set', 'rsz'));
  const upload = (dataset: string, who: string, csv: string) => receiveDelivery(ctx, {
    principal: supplier(who), dataset, period: '2024', body: Readable.from([Buffer.from(csv)]), contentType: 'text/csv', supersede: false,
  });
  const a = await upload('vdab_set', 'vdab', csvFor(persons));
  const b = await upload('rsz_set', 'rsz', csvFor(persons.slice(0, Math.floor(people * 0.8))));
  const project = registerProject(ctx, operator('olivia'), {
    title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
    approved: { vdab_set: ['birth_year', 'sex', 'nis_code', 'loon_cent'], rsz_set: ['loon_cent'] },
    key_variables: ['birth_year', 'sex', 'nis_code'], k: 3,
  });
  const job = startJob(ctx, operator('olivia'), project.id, { deliveries: [a.delivery.id, b.delivery.id] });
  await Promise.all(runningJobs());
  t.equal(ctx.store.getJob(job.id)?.status, 'succeeded');
  return { ctx, jobId: job.id };
}

/** Builds a release while a 5 ms timer runs; the loop's longest stall and whether a release worker was seen. */
async function timedBuild(ctx: PipelineContext, jobId: string): Promise<{ maxStallMs: number; sawWorker: boolean; ms: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  let sawWorker = false;
  const timer = setInterval(() => { sawWorker ||= liveReleaseWorkers() > 0; }, 5);
  const started = performance.now();
  histogram.enable();
  try {
    await buildRelease(ctx, operator('olivia'), jobId);
  } finally {
    histogram.disable();
    clearInterval(timer);
  }
  return { maxStallMs: histogram.max / 1e6, sawWorker, ms: performance.now() - started };
}

t.test('a release build runs in a worker thread and leaves the event loop free; inline it holds the loop', async (t) => {
  const { ctx, jobId } = await finishedJob(t, 5000);
  t.equal(ctx.config.jobWorkers, 1);
  const inlineCtx: PipelineContext = { ...ctx, config: Object.freeze({ ...ctx.config, jobWorkers: 0 }) };
  // Inline first, while no release worker exists (every module is loaded already: imported above).
  const inline = await timedBuild(inlineCtx, jobId);
  const worker = await timedBuild(ctx, jobId);
  t.comment(`worker: build ${worker.ms.toFixed(0)} ms, longest stall ${worker.maxStallMs.toFixed(0)} ms; inline: build ${inline.ms.toFixed(0)} ms, longest stall ${inline.maxStallMs.toFixed(0)} ms`);
  t.ok(worker.sawWorker, 'the build ran in a release worker thread');
  t.notOk(inline.sawWorker, 'with jobWorkers 0 no release worker starts');
  t.equal(liveReleaseWorkers(), 1, 'after a small build the worker is kept, idle, for the next one');
  t.ok(worker.maxStallMs < inline.maxStallMs, `the loop's longest stall is shorter with the worker (${worker.maxStallMs.toFixed(0)} ms) than inline (${inline.maxStallMs.toFixed(0)} ms)`);
  t.equal(ctx.store.listReleases().length, 2, 'both builds made a draft');
});

t.test('a stored file that fails its check in the worker answers KOPPEL_ERR_STORE_CORRUPT and leaves no release, no staging and no worker', async (t) => {
  const { ctx, jobId } = await finishedJob(t, 300);
  const workers = liveReleaseWorkers();
  const job = ctx.store.getJob(jobId)!;
  const payload = ctx.store.deliveryFileRef((job.settings as { deliveries: string[] }).deliveries[1], 'payload');
  const bytes = readFileSync(payload.path);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(payload.path, bytes);
  await t.rejects(buildRelease(ctx, operator('olivia'), jobId), { code: 'KOPPEL_ERR_STORE_CORRUPT', message: /payload\.arrow/ });
  t.same(ctx.store.listReleases(), [], 'no release was recorded');
  t.same(readdirSync(path.join(ctx.store.dataDir, 'staging')), [], 'nothing was left staged');
  t.same(readdirSync(path.join(ctx.store.dataDir, 'releases')), []);
  t.equal(liveReleaseWorkers(), workers, 'the worker that failed ended');
});
