import t from 'tap';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { openRuntime, type Runtime } from '../../src/pipeline/runtime.js';
import { initKey, type JobRecord } from '../../src/store/index.js';
import { registerDataset, registerProject } from '../../src/pipeline/registry.js';
import { receiveDelivery } from '../../src/pipeline/deliveries.js';
import { runningJobs, startJob, type JobRequest } from '../../src/pipeline/jobs.js';
import { liveLinkWorkers } from '../../src/pipeline/link-worker-client.js';
import type { PipelineContext } from '../../src/pipeline/context.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import type { Principal } from '../../src/model.js';

const operator: Principal = { role: 'operator', name: 'olivia', id: 'operator:olivia' };
const supplier = (name: string): Principal => ({ role: 'supplier', name, id: `supplier:${name}` });

interface Setup { runtime: Runtime; worker: PipelineContext; inline: PipelineContext; project: string; deliveries: string[] }

/** Two deliveries (300 and 200 people, every tenth number of the second missing), one project. */
async function setup(t: { teardown(fn: () => unknown): void }): Promise<Setup> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koppel-link-worker-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  initKey(path.join(dir, 'keys'));
  const runtime = openRuntime({ dataDir: path.join(dir, 'data'), keysDir: path.join(dir, 'keys'), logLevel: 'silent', jobWorkers: 1 }, { env: {} });
  t.teardown(async () => {
    await Promise.allSettled(runningJobs());
    runtime.close();
  });
  const ctx = runtime.ctx;
  registerDataset(ctx, operator, testDatasetSchema('vdab_set', 'vdab'));
  registerDataset(ctx, operator, testDatasetSchema('agodi_set', 'agodi'));
  const people = makePeople(300, 5);
  const upload = (dataset: string, who: string, csv: string) => receiveDelivery(ctx, {
    principal: supplier(who), dataset, period: '2024', body: Readable.from([Buffer.from(csv)]), contentType: 'text/csv', supersede: false,
  });
  const a = await upload('vdab_set', 'vdab', csvFor(people));
  const b = await upload('agodi_set', 'agodi', csvFor(people.slice(100), { spell: (insz, i) => (i % 10 === 0 ? '' : insz) }));
  const project = registerProject(ctx, operator, {
    title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
    approved: { vdab_set: ['loon_cent'], agodi_set: ['loon_cent'] }, key_variables: [], k: 2,
  });
  const inline: PipelineContext = { ...ctx, config: Object.freeze({ ...ctx.config, jobWorkers: 0 }) };
  return { runtime, worker: ctx, inline, project: project.id, deliveries: [a.delivery.id, b.delivery.id] };
}

async function runToEnd(ctx: PipelineContext, project: string, request: JobRequest): Promise<JobRecord> {
  const job = startJob(ctx, operator, project, request);
  await Promise.all(runningJobs());
  return ctx.store.getJob(job.id) as JobRecord;
}

/** The report without what differs between any two runs: wall-clock times. */
/** A report without its timings, and without why the job relinked in full (the second run follows the first). */
function timeless(report: unknown): unknown {
  const { total_ms: _total, mode_reason: _reason, linkage, ...rest } = report as { total_ms: number; mode_reason: string; linkage: { timings_ms: unknown } };
  const { timings_ms: _timings, ...model } = linkage;
  return { ...rest, linkage: model };
}

t.test('a job in a worker thread stores the same files, report and person ids as one on the main thread', async (t) => {
  const s = await setup(t);
  const inWorker = await runToEnd(s.worker, s.project, { deliveries: s.deliveries });
  const onMain = await runToEnd(s.inline, s.project, { deliveries: s.deliveries });
  t.equal(inWorker.status, 'succeeded');
  t.equal(onMain.status, 'succeeded');
  t.same(inWorker.files.map((f) => [f.name, f.bytes, f.sha256, f.rows]), onMain.files.map((f) => [f.name, f.bytes, f.sha256, f.rows]),
    'clusters.arrow and links.arrow are byte for byte the same (same person ids, same links)');
  t.same(timeless(inWorker.report), timeless(onMain.report), 'the same report, apart from timings');
  const report = inWorker.report as { persons: number; links: number; deliveries: { records: number; unique: boolean }[] };
  t.equal(report.persons, 300, 'the 20 records without a number still join their persons');
  t.same(report.deliveries.map((d) => [d.records, d.unique]), [[300, true], [200, true]]);
  const clusters = await s.runtime.store.readJobFile(inWorker.id, 'clusters');
  t.equal(clusters.numRows, 500, 'every record of both deliveries is in clusters.arrow');
});

t.test('a blocking rule on a field the job lacks is refused when the job is started', async (t) => {
  const s = await setup(t);
  t.throws(() => startJob(s.worker, operator, s.project, { deliveries: s.deliveries, blocking: [['no_such_field']] }), { code: 'KOPPEL_ERR_LINK_BAD_JOB', message: /no_such_field/ });
});

t.test('an engine error in the worker fails the job with the same coded error', async (t) => {
  const s = await setup(t);
  for (const [mode, ctx] of [['worker', s.worker], ['inline', s.inline]] as const) {
    // An empty blocking rule: the job body's schema refuses it over HTTP, but startJob called
    // directly has only the cross-setting checks, which pass it; the engine refuses it.
    const job = await runToEnd(ctx, s.project, { deliveries: s.deliveries, blocking: [[]] });
    t.equal(job.status, 'failed', `${mode}: the job failed`);
    t.equal((job.error as { code: string }).code, 'KOPPEL_ERR_LINK_BAD_JOB', `${mode}: with the engine's code`);
    t.match((job.error as { message: string }).message, /names no field/, `${mode}: and its message`);
    t.same(job.files, [], `${mode}: and no files`);
  }
});

t.test('a stored linkage file that no longer matches its hash fails the job as KOPPEL_ERR_STORE_CORRUPT', async (t) => {
  const s = await setup(t);
  const ref = s.runtime.store.deliveryFileRef(s.deliveries[1], 'linkage');
  appendFileSync(ref.path, Buffer.from([0]));
  const job = await runToEnd(s.worker, s.project, { deliveries: s.deliveries });
  t.equal(job.status, 'failed');
  t.equal((job.error as { code: string }).code, 'KOPPEL_ERR_STORE_CORRUPT', 'read and checked in the worker, reported with the store\'s code');
});

t.test('jobs beyond jobWorkers wait queued, and awaiting runningJobs() leaves no worker thread behind', async (t) => {
  const s = await setup(t);
  const first = startJob(s.worker, operator, s.project, { deliveries: s.deliveries });
  const second = startJob(s.worker, operator, s.project, { deliveries: s.deliveries });
  let both = 0;
  let polls = 0;
  let sawWorker = false;
  while (runningJobs().length > 0) {
    sawWorker ||= liveLinkWorkers() > 0;
    const statuses = [first.id, second.id].map((id) => s.runtime.store.getJob(id)?.status);
    if (statuses.every((x) => x === 'running')) both++;
    polls++;
    await new Promise((r) => setTimeout(r, 5));
  }
  t.ok(polls > 1, 'the main thread went on polling while the jobs ran');
  t.equal(both, 0, 'with jobWorkers 1 the two jobs never ran at once');
  t.same([first.id, second.id].map((id) => s.runtime.store.getJob(id)?.status), ['succeeded', 'succeeded']);
  t.ok(sawWorker, 'the jobs ran in worker threads');
  t.equal(liveLinkWorkers(), 0, 'once runningJobs() have settled, every worker thread has exited');
});
