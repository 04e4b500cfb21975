import t from 'tap';
import type { ProductSpec } from '../../../src/model.js';
import { deliver, sampleProject, sampleSchema, storeFixture } from './store-fixture.js';

const spec: ProductSpec = { name: 'Paths', schedule: 'quarterly', datasets: ['vdab_jobseekers'], from: '2024Q1', job: {}, release: {} };

function withProject(t: { teardown(fn: () => void | Promise<void>): void }) {
  const fx = storeFixture(t);
  fx.store.createDataset(sampleSchema(), 'operator:o1');
  const project = fx.store.createProject(sampleProject(), 'operator:o1');
  return { ...fx, project };
}

const always = () => true;

t.test('a product keeps its settings, its version and who registered and last changed it, across a reopen', async (t) => {
  const fx = withProject(t);
  const made = fx.store.products.create(fx.project.id, spec, 'operator:o1');
  t.match(made, { ...spec, project_id: fx.project.id, version: 1, created_by: 'operator:o1', updated_by: 'operator:o1' });
  t.match(made.id, /^prd_[0-9a-f]{20}$/);
  const changed = fx.store.products.update(made.id, { ...made, name: 'Paths 2' }, 'operator:o2');
  t.match(changed, { name: 'Paths 2', version: 2, created_by: 'operator:o1', updated_by: 'operator:o2' });
  t.same(fx.store.products.runs(made.id), [], 'no runs yet');
  fx.store.close();
  const again = fx.reopen();
  t.same(again.products.get(made.id), changed, 'the product survives a reopen');
  t.same(again.products.list(fx.project.id).map((p) => p.id), [made.id]);
  t.same(again.products.list('prj_other'), []);
  t.equal(again.products.get('prd_none'), null);
  t.throws(() => again.products.update('prd_none', spec, 'operator:o2'), { code: 'KOPPEL_ERR_STORE_NOT_FOUND' });
});

t.test('a claim snapshots the settings; at most one attempt per period is running or succeeded', async (t) => {
  const fx = withProject(t);
  const product = fx.store.products.create(fx.project.id, spec, 'operator:o1');
  fx.store.products.update(product.id, { ...spec, job: { threshold: 0.9 } }, 'operator:o2');
  const seen: number[] = [];
  const first = fx.store.products.claimRun(product.id, '2024Q1', ['dlv_a'], (attempts, p) => {
    seen.push(attempts.length, p.version);
    return true;
  });
  t.same(seen, [0, 2], 'the policy sees the earlier attempts and the product as it is now');
  t.match(first, { period: '2024Q1', attempt: 1, status: 'running', product_version: 2, settings_by: 'operator:o2', deliveries: ['dlv_a'], settings: { job: { threshold: 0.9 } } });
  t.equal(fx.store.products.claimRun(product.id, '2024Q1', ['dlv_a'], () => false), null, 'a refused claim makes nothing');
  t.throws(() => fx.store.products.claimRun(product.id, '2024Q1', ['dlv_b'], always), /UNIQUE/, 'the database refuses a second live attempt, whatever the policy says');
  t.equal(fx.store.products.claimRun('prd_none', '2024Q1', [], always), null, 'no product, no claim');

  t.ok(fx.store.products.finishRun(first!.id, { error: { code: 'KOPPEL_ERR_LINK_BAD_JOB', message: 'm', stage: 'job' } }));
  t.notOk(fx.store.products.finishRun(first!.id, { release_id: 'rel_x' }), 'an ended attempt does not end again');
  const second = fx.store.products.claimRun(product.id, '2024Q1', ['dlv_b'], (attempts) => attempts.at(-1)?.status === 'failed');
  t.match(second, { attempt: 2, status: 'running' }, 'after a failure, a second attempt');
  t.match(fx.store.products.claimRun(product.id, '2024Q2', ['dlv_c'], always), { attempt: 1 }, 'periods are apart');
  t.same(fx.store.products.runs(product.id).map((r) => `${r.period}#${r.attempt}:${r.status}`), ['2024Q1#1:failed', '2024Q1#2:running', '2024Q2#1:running']);
});

t.test('the run of a release or a job is found by either; attempts a stopped process left running are marked failed', async (t) => {
  const fx = withProject(t);
  const product = fx.store.products.create(fx.project.id, spec, 'operator:o1');
  const { delivery } = await deliver(fx.store, fx.keyring, {});
  const job = fx.store.createJob(fx.project.id, { deliveries: [delivery.id] }, 'system:koppel');
  const run = fx.store.products.claimRun(product.id, '2024Q1', [delivery.id], always)!;
  fx.store.products.setRunJob(run.id, job.id);
  t.equal(fx.store.products.runOf('rel_none', job.id)?.id, run.id, 'found by its job');
  t.equal(fx.store.products.runOf('rel_none', 'job_none'), null);
  fx.store.close();

  const again = fx.reopen();
  const failed = again.products.failInterrupted();
  t.same(failed.map((r) => [r.id, r.status, r.error?.stage, r.error?.code]), [[run.id, 'failed', 'interrupted', 'KOPPEL_ERR_LINK_INTERRUPTED']]);
  t.same(again.products.failInterrupted(), [], 'and only once');
  t.ok(again.products.getRun(run.id)?.finished_at, 'it has ended');
});
