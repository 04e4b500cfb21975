/**
 * Recurrent product runs on real SQLite, through the pipeline: a restart during a run, many
 * commit hooks for one period at once, a period declared empty, and a product change that lets
 * a failed period run again.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { openRuntime, type Runtime } from '../../src/pipeline/runtime.js';
import { initKey } from '../../src/store/index.js';
import { registerDataset, registerProject } from '../../src/pipeline/registry.js';
import { receiveDelivery } from '../../src/pipeline/deliveries.js';
import { changeProduct, registerProduct } from '../../src/pipeline/products.js';
import { productRunsSettled, productsAfterDelivery, resumeProducts } from '../../src/pipeline/product-runs.js';
import { runningJobs } from '../../src/pipeline/jobs.js';
import { SYSTEM_PRINCIPAL, type Principal } from '../../src/model.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';

const operator = (name: string): Principal => ({ role: 'operator', name, id: `operator:${name}` });
const vdab: Principal = { role: 'supplier', name: 'vdab', id: 'supplier:vdab' };
const PEOPLE = makePeople(40, 5);

function dirs(t: { teardown(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koppel-products-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  initKey(path.join(dir, 'keys'));
  return { dataDir: path.join(dir, 'data'), keysDir: path.join(dir, 'keys') };
}

const open = (d: { dataDir: string; keysDir: string }): Runtime => openRuntime({ ...d, logLevel: 'silent' }, { env: {} });

/** One quarterly dataset, a project over it, and a product of that project from 2024Q1. */
function setUp(runtime: Runtime) {
  const { ctx } = runtime;
  registerDataset(ctx, operator('o1'), testDatasetSchema('vdab_set', 'vdab'));
  const project = registerProject(ctx, operator('o1'), {
    title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
    approved: { vdab_set: ['sex', 'loon_cent'] }, key_variables: ['sex'], k: 2,
  });
  return registerProduct(ctx, operator('o1'), project.id, { name: 'Paths', schedule: 'quarterly', datasets: ['vdab_set'], from: '2024Q1' });
}

const upload = (runtime: Runtime, period: string, csv: string, options: { supersede?: boolean; empty?: boolean } = {}) => receiveDelivery(runtime.ctx, {
  principal: vdab, dataset: 'vdab_set', period, body: Readable.from([Buffer.from(csv)]), contentType: 'text/csv',
  supersede: options.supersede ?? false, declaredEmpty: options.empty ?? false,
});

const summary = (runtime: Runtime, product: string) => runtime.store.products.runs(product).map((r) => `${r.period}#${r.attempt}:${r.status}${r.error === null ? '' : `:${r.error.stage}`}`);

t.test('a restart during a run marks it failed and runs the period once more; an interruption twice in a row is not retried', async (t) => {
  const d = dirs(t);
  let runtime = open(d);
  const product = setUp(runtime);
  // A run under way when the process dies: claimed, nothing ended.
  const delivery = (await upload(runtime, '2024Q1', csvFor(PEOPLE))).delivery;
  runtime.close(); // the run's deferred steps now find the store closed, as after a crash
  await productRunsSettled();
  await Promise.allSettled(runningJobs());
  runtime = open(d);
  t.same(summary(runtime, product.id), ['2024Q1#1:running'], 'a stopped process leaves the run running');

  runtime.store.failInterruptedJobs();
  resumeProducts(runtime.ctx);
  await productRunsSettled();
  t.same(summary(runtime, product.id), ['2024Q1#1:failed:interrupted', '2024Q1#2:succeeded'], 'marked failed at start, and run once more');
  const [first, second] = runtime.store.products.runs(product.id);
  t.match(first.error, { code: 'KOPPEL_ERR_LINK_INTERRUPTED' });
  t.same(second.deliveries, [delivery.id]);
  t.equal(runtime.store.getRelease(second.release_id!)?.created_by, SYSTEM_PRINCIPAL.id, 'the retry left a draft');
  const audit = runtime.store.listAudit({ limit: 1000 }).filter((e) => e.action === 'product.run.finish').map((e) => e.outcome);
  t.same(audit, ['failed', 'ok'], 'the interruption is audited');
  runtime.close();

  // The same again for a second period, and the retry dies too: the next start does not loop.
  runtime = open(d);
  await upload(runtime, '2024Q2', csvFor(PEOPLE.slice(0, 30)));
  runtime.close();
  await productRunsSettled();
  runtime = open(d);
  resumeProducts(runtime.ctx);
  runtime.close();
  await productRunsSettled();
  await Promise.allSettled(runningJobs());
  runtime = open(d);
  t.teardown(() => runtime.close());
  runtime.store.failInterruptedJobs();
  resumeProducts(runtime.ctx);
  await productRunsSettled();
  t.same(summary(runtime, product.id).filter((s) => s.startsWith('2024Q2')), ['2024Q2#1:failed:interrupted', '2024Q2#2:failed:interrupted'],
    'two interruptions on the same inputs: failed, not tried a third time');
  t.equal(runtime.store.products.runs(product.id).filter((r) => r.status === 'running').length, 0, 'nothing is left running');
});

t.test('many commit hooks for one complete period give one run', async (t) => {
  const runtime = open(dirs(t));
  t.teardown(() => runtime.close());
  const product = setUp(runtime);
  const { delivery } = await upload(runtime, '2024Q1', csvFor(PEOPLE));
  for (let i = 0; i < 20; i++) productsAfterDelivery(runtime.ctx, delivery);
  await Promise.all(Array.from({ length: 10 }, async () => productsAfterDelivery(runtime.ctx, delivery)));
  await productRunsSettled();
  t.same(summary(runtime, product.id), ['2024Q1#1:succeeded']);
  await upload(runtime, '2023Q4', csvFor(PEOPLE));
  await productRunsSettled();
  t.same(summary(runtime, product.id), ['2024Q1#1:succeeded'], 'a period before the product\'s first runs nothing');
});

t.test('a product registered after its periods are complete runs each of them, one after another', async (t) => {
  const runtime = open(dirs(t));
  t.teardown(() => runtime.close());
  const { ctx } = runtime;
  registerDataset(ctx, operator('o1'), testDatasetSchema('vdab_set', 'vdab'));
  for (const period of ['2024Q3', '2024Q1', '2024Q2']) await upload(runtime, period, csvFor(PEOPLE.slice(0, 30)));
  const project = registerProject(ctx, operator('o1'), {
    title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
    approved: { vdab_set: ['sex'] }, key_variables: ['sex'], k: 2,
  });
  const product = registerProduct(ctx, operator('o1'), project.id, { name: 'Paths', schedule: 'quarterly', datasets: ['vdab_set'], from: '2024Q2' });
  await productRunsSettled();
  const runs = runtime.store.products.runs(product.id);
  t.same(runs.map((r) => `${r.period}:${r.status}`), ['2024Q2:succeeded', '2024Q3:succeeded'], 'every complete period from the first runs; 2024Q1 is before it');
  const jobStarted = runtime.store.getJob(runs[1].job_id!)!.created_at;
  t.ok(jobStarted >= runs[0].finished_at!, 'the second run\'s job started after the first run had ended');
});

t.test('a period declared empty fails with its reason, and runs when a superseding delivery with records comes', async (t) => {
  const runtime = open(dirs(t));
  t.teardown(() => runtime.close());
  const product = setUp(runtime);
  await upload(runtime, '2024Q1', `${csvFor(PEOPLE).split('\n')[0]}\n`, { empty: true });
  await productRunsSettled();
  t.same(summary(runtime, product.id), ['2024Q1#1:failed:deliveries']);
  t.match(runtime.store.products.runs(product.id)[0].error?.message, /declared empty: there is nothing to link/);
  resumeProducts(runtime.ctx);
  await productRunsSettled();
  t.equal(runtime.store.products.runs(product.id).length, 1, 'a start does not retry a failure whose inputs did not change');
  await upload(runtime, '2024Q1', csvFor(PEOPLE), { supersede: true });
  await productRunsSettled();
  t.same(summary(runtime, product.id), ['2024Q1#1:failed:deliveries', '2024Q1#2:succeeded']);
});

t.test('settings that reach the pipeline by another path than the route are checked with the same schema', async (t) => {
  const runtime = open(dirs(t));
  t.teardown(() => runtime.close());
  const product = setUp(runtime);
  const project = product.project_id;
  for (const bad of ['a string', null, [], { name: 'x', schedule: 'weekly', datasets: ['vdab_set'] }]) {
    t.throws(() => registerProduct(runtime.ctx, operator('o1'), project, bad), { code: 'KOPPEL_ERR_SCHEMA_BAD_PRODUCT' }, JSON.stringify(bad));
  }
  t.throws(() => changeProduct(runtime.ctx, operator('o2'), product.id, { colour: 'red' }, false), { code: 'KOPPEL_ERR_SCHEMA_BAD_PRODUCT', message: /"colour"/ });
  t.throws(() => changeProduct(runtime.ctx, operator('o2'), 'prd_00000000000000000000', { name: 'y' }, false), { code: 'KOPPEL_ERR_STORE_NOT_FOUND' });
  t.equal(runtime.store.products.get(product.id)?.version, 1, 'nothing changed');
});

t.test('a product change runs again a period that failed under the old settings', async (t) => {
  const runtime = open(dirs(t));
  t.teardown(() => runtime.close());
  const product = setUp(runtime);
  // A field mapped to a column the dataset does not have: the job is refused.
  changeProduct(runtime.ctx, operator('o2'), product.id, { job: { fields: [{ name: 'surname', type: 'surname' }], columns: { vdab_set: { surname: 'nope' } } } }, false);
  await upload(runtime, '2024Q1', csvFor(PEOPLE));
  await productRunsSettled();
  const [failed] = runtime.store.products.runs(product.id);
  t.match(failed, { status: 'failed', error: { stage: 'job' }, product_version: 2, settings_by: 'operator:o2' });
  const changed = changeProduct(runtime.ctx, operator('o3'), product.id, { job: {} }, false);
  t.equal(changed.version, 3);
  await productRunsSettled();
  t.same(summary(runtime, product.id), ['2024Q1#1:failed:job', '2024Q1#2:succeeded'], 'the change ran the period again');
  const audit = runtime.store.listAudit({ limit: 1000 }).filter((e) => e.action === 'product.change');
  t.same(audit.map((e) => [e.actor, (e.detail as { changed: string[] }).changed]), [['operator:o2', ['job']], ['operator:o3', ['job']]], 'each change is audited with what it changed');
});
