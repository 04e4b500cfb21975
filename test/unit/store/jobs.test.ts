import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { createHash } from 'node:crypto';
import { tableToIPC } from 'apache-arrow';
import { ls, sampleProject, sampleTable, storeFixture } from './store-fixture.js';

t.test('a job is created queued for an existing project, with its settings', async (t) => {
  const { store } = storeFixture(t);
  const project = store.createProject(sampleProject(), 'operator:an');
  const job = store.createJob(project.id, { deliveries: ['dlv_x'], threshold: 0.9 }, 'operator:an');
  t.match(job.id, /^job_[0-9a-f]{20}$/);
  t.match(job, { project_id: project.id, status: 'queued', settings: { deliveries: ['dlv_x'], threshold: 0.9 }, progress: null, report: null, error: null, files: [], started_at: null, finished_at: null, created_by: 'operator:an' });
  t.same(store.getJob(job.id), job);
  t.equal(store.getJob('job_00000000000000000000'), null);
  t.throws(() => store.createJob('prj_00000000000000000000', {}, 'operator:an'), { code: 'KOPPEL_ERR_STORE_NOT_FOUND' });
});

t.test('updateJob patches only the given fields and stamps start and finish', async (t) => {
  const { store } = storeFixture(t);
  const job = store.createJob(store.createProject(sampleProject(), 'operator:an').id, {}, 'operator:an');
  store.updateJob(job.id, { status: 'running', progress: { stage: 'blocking', done: 1, of: 4 } });
  const running = store.getJob(job.id)!;
  t.equal(running.status, 'running');
  t.type(running.started_at, 'string');
  t.equal(running.finished_at, null);
  store.updateJob(job.id, { progress: { stage: 'em', done: 2, of: 4 } });
  t.same(store.getJob(job.id)!.progress, { stage: 'em', done: 2, of: 4 });
  t.equal(store.getJob(job.id)!.status, 'running', 'status untouched by a progress patch');
  store.updateJob(job.id, { status: 'failed', error: { code: 'KOPPEL_ERR_LINK_BAD_JOB' } });
  const failed = store.getJob(job.id)!;
  t.equal(failed.status, 'failed');
  t.type(failed.finished_at, 'string');
  t.equal(failed.started_at, running.started_at);
  t.same(failed.progress, { stage: 'em', done: 2, of: 4 });
  t.same(failed.error, { code: 'KOPPEL_ERR_LINK_BAD_JOB' });
  t.throws(() => store.updateJob('job_00000000000000000000', { status: 'running' }), { code: 'KOPPEL_ERR_STORE_NOT_FOUND' });
});

t.test('job files are published atomically once and read back verified', async (t) => {
  const { store, dataDir } = storeFixture(t);
  const job = store.createJob(store.createProject(sampleProject(), 'operator:an').id, {}, 'operator:an');
  const links = sampleTable(25, 1);
  const clusters = sampleTable(7, 2);
  store.writeJobFiles(job.id, [{ name: 'links', table: links }, { name: 'clusters.arrow', table: clusters }], { pairs: 25 });
  t.same(ls(path.join(dataDir, 'jobs', job.id)), ['clusters.arrow', 'links.arrow', 'report.json']);
  t.same(JSON.parse(fs.readFileSync(path.join(dataDir, 'jobs', job.id, 'report.json'), 'utf8')), { pairs: 25 });
  t.same(store.getJob(job.id)!.files.map((f) => [f.name, f.rows]), [['links.arrow', 25], ['clusters.arrow', 7]]);
  t.equal((await store.readJobFile(job.id, 'links')).numRows, 25);
  t.equal((await store.readJobFile(job.id, 'clusters.arrow')).numRows, 7);
  await t.rejects(store.readJobFile(job.id, 'nope'), { code: 'KOPPEL_ERR_STORE_NOT_FOUND' });
  t.throws(() => store.writeJobFiles(job.id, [{ name: 'links', table: links }], {}), { code: 'KOPPEL_ERR_STORE_CONFLICT' });
  t.same(ls(path.join(dataDir, 'staging')), []);
  fs.appendFileSync(path.join(dataDir, 'jobs', job.id, 'links.arrow'), 'x');
  await t.rejects(store.readJobFile(job.id, 'links'), { code: 'KOPPEL_ERR_STORE_CORRUPT' });
});

t.test('a job file name that could escape its directory is refused and nothing is published', async (t) => {
  const { store, dataDir } = storeFixture(t);
  const job = store.createJob(store.createProject(sampleProject(), 'operator:an').id, {}, 'operator:an');
  for (const name of ['../evil', 'a/b', '.hidden', '']) {
    t.throws(() => store.writeJobFiles(job.id, [{ name, table: sampleTable(1, 1) }], {}), /unsafe file name/, JSON.stringify(name));
  }
  t.same(ls(path.join(dataDir, 'jobs')), []);
  t.same(ls(path.join(dataDir, 'staging')), []);
  t.same(store.getJob(job.id)!.files, []);
});

t.test('failInterruptedJobs marks queued and running jobs failed and leaves finished ones', async (t) => {
  const { store } = storeFixture(t);
  const project = store.createProject(sampleProject(), 'operator:an');
  const queued = store.createJob(project.id, {}, 'operator:an');
  const running = store.createJob(project.id, {}, 'operator:an');
  const done = store.createJob(project.id, {}, 'operator:an');
  store.updateJob(running.id, { status: 'running' });
  store.updateJob(done.id, { status: 'succeeded' });
  t.equal(store.failInterruptedJobs(), 2);
  t.same([queued, running, done].map((j) => store.getJob(j.id)!.status), ['failed', 'failed', 'succeeded']);
  t.match(store.getJob(running.id)!.error, { code: 'KOPPEL_ERR_LINK_INTERRUPTED' });
  t.equal(store.failInterruptedJobs(), 0);
});

t.test('job files handed over as IPC bytes are hashed by the store, published once and read back like tables', async (t) => {
  const { store, dataDir } = storeFixture(t);
  const project = store.createProject(sampleProject(), 'operator:an');
  const [fromBytes, fromTable] = [0, 1].map(() => store.createJob(project.id, {}, 'operator:an'));
  // Over 1 MiB, so the file is written in more than one slice.
  const links = sampleTable(40_000, 3);
  const bytes = tableToIPC(links, 'file');
  t.ok(bytes.byteLength > 1 << 20);
  await store.writeJobFileBytes(fromBytes.id, [{ name: 'links', bytes, rows: links.numRows }], { pairs: 40_000 });
  store.writeJobFiles(fromTable.id, [{ name: 'links', table: links }], { pairs: 40_000 });
  const [a, b] = [fromBytes, fromTable].map((j) => store.getJob(j.id)!.files);
  t.same(a, b, 'the same name, size, sha256 and row count as the table writer records');
  t.equal(a[0].sha256, createHash('sha256').update(bytes).digest('hex'));
  t.same(ls(path.join(dataDir, 'jobs', fromBytes.id)), ['links.arrow', 'report.json']);
  t.equal((await store.readJobFile(fromBytes.id, 'links')).numRows, 40_000);
  await t.rejects(store.writeJobFileBytes(fromBytes.id, [{ name: 'links', bytes }], {}), { code: 'KOPPEL_ERR_STORE_CONFLICT' });
  await t.rejects(store.writeJobFileBytes(fromBytes.id.replace(/.$/, 'x'), [{ name: 'links', bytes }], {}), { code: 'KOPPEL_ERR_STORE_NOT_FOUND' });
  t.same(ls(path.join(dataDir, 'staging')), []);
});

t.test('writing job bytes leaves the event loop free between slices, and a bad name publishes nothing', async (t) => {
  const { store, dataDir } = storeFixture(t);
  const job = store.createJob(store.createProject(sampleProject(), 'operator:an').id, {}, 'operator:an');
  const bytes = new Uint8Array(6 << 20).fill(7);
  let turns = 0;
  let writing = true;
  const spin = () => { turns++; if (writing) setImmediate(spin); };
  setImmediate(spin);
  await store.writeJobFileBytes(job.id, [{ name: 'clusters', bytes }], {});
  writing = false;
  t.ok(turns >= 6, `the loop turned ${turns} times during a six-slice write`);
  const other = store.createJob(store.createProject(sampleProject(), 'operator:an').id, {}, 'operator:an');
  await t.rejects(store.writeJobFileBytes(other.id, [{ name: 'ok', bytes: bytes.subarray(0, 10) }, { name: '../evil', bytes }], {}), /unsafe file name/);
  t.same(store.getJob(other.id)!.files, []);
  t.same(ls(path.join(dataDir, 'jobs')), [job.id]);
  t.same(ls(path.join(dataDir, 'staging')), []);
});
