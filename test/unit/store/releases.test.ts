import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import t from 'tap';
import { writeStagedBytes, writeStagedTable, type Store } from '../../../src/store/index.js';
import { ls, sampleProject, sampleTable, storeFixture } from './store-fixture.js';

function draftManifest() {
  return { status: 'draft', files: [{ name: 'persons', rows: 12, columns: ['pseudonym'] }, { name: 'vdab_jobseekers', rows: 30 }] };
}

function buildRelease(store: Store, by = 'operator:an') {
  const project = store.createProject(sampleProject(), 'operator:an');
  const job = store.createJob(project.id, {}, 'operator:an');
  const release = store.createRelease(job.id, project.id, [
    { name: 'persons', table: sampleTable(12, 1) },
    { name: 'vdab_jobseekers', table: sampleTable(30, 2) },
  ], draftManifest(), by);
  return { project, job, release };
}

const approval = (actor: string, target?: string) => ({ actor, action: 'release.approve', outcome: 'ok' as const, ...(target === undefined ? {} : { target }) });

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

t.test('a release is written as a draft whose manifest records every file sha256', async (t) => {
  const { store, dataDir } = storeFixture(t);
  const { project, job, release } = buildRelease(store);
  t.match(release.id, /^rel_[0-9a-f]{20}$/);
  t.match(release, { job_id: job.id, project_id: project.id, status: 'draft', created_by: 'operator:an', approved_by: null, approved_at: null });
  const dir = path.join(dataDir, 'releases', release.id);
  t.same(ls(dir), ['manifest.json', 'persons.arrow', 'vdab_jobseekers.arrow']);
  const onDisk = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  t.same(onDisk, release.manifest);
  const files = onDisk.files as { name: string; file: string; sha256: string; rows: number; columns?: string[] }[];
  t.same(files.map((f) => [f.name, f.file, f.rows]), [['persons', 'persons.arrow', 12], ['vdab_jobseekers', 'vdab_jobseekers.arrow', 30]]);
  t.same(files[0].columns, ['pseudonym'], 'the draft fields are kept');
  for (const f of files) t.equal(f.sha256, sha256(path.join(dir, f.file)), `${f.file} hash`);
  t.same(store.getRelease(release.id), release);
  t.same(ls(path.join(dataDir, 'staging')), []);
});

t.test('a release of a job of another project is refused', async (t) => {
  const { store } = storeFixture(t);
  const { job } = buildRelease(store);
  const other = store.createProject(sampleProject(), 'operator:an');
  t.throws(() => store.createRelease(job.id, other.id, [], {}, 'operator:an'), { code: 'KOPPEL_ERR_STORE_NOT_FOUND' });
});

t.test('the builder cannot approve their own release (four-eyes)', async (t) => {
  const { store } = storeFixture(t);
  const { release } = buildRelease(store, 'operator:an');
  let called = false;
  t.throws(() => store.approveRelease(release.id, 'operator:an', approval('operator:an'), (d) => { called = true; return d; }), { code: 'KOPPEL_ERR_AUTH_FOUR_EYES' });
  t.equal(called, false, 'the manifest was not finalised');
  t.equal(store.getRelease(release.id)!.status, 'draft');
});

t.test('approval by a second operator finalises the manifest on disk and in the record', async (t) => {
  const { store, keyring, dataDir } = storeFixture(t);
  const { release } = buildRelease(store);
  store.audit({ actor: 'operator:an', action: 'release.build', target: release.id, outcome: 'ok' });
  const approved = store.approveRelease(release.id, 'operator:bo', approval('operator:bo', release.id), (draft, head) => ({
    ...draft, status: 'approved', approved_by: 'operator:bo', approved_at: '2026-03-01T10:00:00.000Z', audit_head: head,
    files: [], // a careless finaliser: the store puts the hashes back
  }));
  t.match(approved, { status: 'approved', approved_by: 'operator:bo', approved_at: '2026-03-01T10:00:00.000Z' });
  t.same(approved.manifest.audit_head, store.auditHead());
  t.match(store.listAudit({ after: store.auditHead()!.seq - 1 }), [{ action: 'release.approve', actor: 'operator:bo', target: release.id }], 'the approval entry is the head the manifest records');
  const onDisk = JSON.parse(fs.readFileSync(path.join(dataDir, 'releases', release.id, 'manifest.json'), 'utf8'));
  t.same(onDisk, approved.manifest);
  t.same((onDisk.files as { sha256: string }[]).map((f) => f.sha256), release.files.map((f) => f.sha256));
  t.same(ls(path.join(dataDir, 'releases', release.id)), ['manifest.json', 'persons.arrow', 'vdab_jobseekers.arrow'], 'no temp file left');
  t.throws(() => store.approveRelease(release.id, 'operator:cy', approval('operator:cy'), (d) => d), { code: 'KOPPEL_ERR_RELEASE_ALREADY_APPROVED' });
  t.throws(() => store.approveRelease('rel_00000000000000000000', 'operator:cy', approval('operator:cy'), (d) => d), { code: 'KOPPEL_ERR_RELEASE_NOT_FOUND' });
  t.ok(keyring.currentId);
});

t.test('a finaliser that throws leaves the release a draft', async (t) => {
  const { store, dataDir } = storeFixture(t);
  const { release } = buildRelease(store);
  const before = store.auditHead();
  t.throws(() => store.approveRelease(release.id, 'operator:bo', approval('operator:bo'), () => { throw new Error('boom'); }));
  t.equal(store.getRelease(release.id)!.status, 'draft');
  t.same(store.auditHead(), before, 'the approval entry was rolled back with the approval');
  t.same(JSON.parse(fs.readFileSync(path.join(dataDir, 'releases', release.id, 'manifest.json'), 'utf8')), release.manifest);
});

t.test('listReleases filters by project and status', async (t) => {
  const { store } = storeFixture(t);
  const a = buildRelease(store);
  const b = buildRelease(store);
  store.approveRelease(b.release.id, 'operator:bo', approval('operator:bo'), (d) => ({ ...d, status: 'approved' }));
  t.equal(store.listReleases().length, 2);
  t.same(store.listReleases({ projectIds: [a.project.id] }).map((r) => r.id), [a.release.id]);
  t.same(store.listReleases({ status: 'approved' }).map((r) => r.id), [b.release.id]);
  t.same(store.listReleases({ projectIds: [a.project.id], status: 'approved' }), []);
  t.same(store.listReleases({ projectIds: [] }), []);
});

t.test('openReleaseFile verifies the sha256 and answers null for unknown names', async (t) => {
  const { store, dataDir } = storeFixture(t);
  const { release } = buildRelease(store);
  const file = path.join(dataDir, 'releases', release.id, 'persons.arrow');
  const bytesOf = async (name: string) => {
    const opened = await store.openReleaseFile(release.id, name);
    const chunks: Buffer[] = [];
    for await (const chunk of opened!.byteStream()) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  t.ok((await bytesOf('persons')).equals(fs.readFileSync(file)));
  t.ok((await bytesOf('persons.arrow')).equals(fs.readFileSync(file)));
  t.equal((await (await store.openReleaseFile(release.id, 'persons'))!.table()).numRows, 12);
  t.equal(await store.openReleaseFile(release.id, 'manifest.json'), null, 'only data files are served');
  t.equal(await store.openReleaseFile(release.id, '../../koppel.db'), null);
  t.equal(await store.openReleaseFile(release.id, 'nope'), null);
  t.equal(await store.openReleaseFile('rel_00000000000000000000', 'persons'), null);
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 30] ^= 0x80;
  fs.writeFileSync(file, bytes);
  await t.rejects(store.openReleaseFile(release.id, 'persons'), { code: 'KOPPEL_ERR_STORE_CORRUPT' });
  fs.rmSync(file);
  await t.rejects(store.openReleaseFile(release.id, 'persons'), { code: 'KOPPEL_ERR_STORE_CORRUPT' });
});

t.test('a manifest.json left out of step by a crash during approval is rewritten from the record at startup', async (t) => {
  const fx = storeFixture(t);
  const { release } = buildRelease(fx.store);
  const file = path.join(fx.dataDir, 'releases', release.id, 'manifest.json');
  fs.writeFileSync(file, JSON.stringify({ ...release.manifest, status: 'approved', approved_by: 'operator:zz' }));
  fx.store.close();
  fx.reopen();
  t.same(JSON.parse(fs.readFileSync(file, 'utf8')), release.manifest);
});

t.test('a release written into the store\'s staging dir by another writer is adopted, hashed as written, and published', async (t) => {
  const { store, dataDir } = storeFixture(t);
  const project = store.createProject(sampleProject(), 'operator:an');
  const job = store.createJob(project.id, {}, 'operator:an');
  const staging = store.stageRelease();
  // What a release worker does with the directory's path only.
  const written = [writeStagedTable({ dir: staging.dir }, 'persons', sampleTable(12, 1)), writeStagedBytes({ dir: staging.dir }, 'persons.parquet', Buffer.from('PAR1'))];
  const id = store.newReleaseId();
  const release = store.commitRelease(staging, { jobId: job.id, projectId: project.id, id, by: 'operator:an' }, written, () => draftManifest(), {
    documents: [{ name: 'quality.html', bytes: Buffer.from('<p>q</p>') }],
  });
  t.equal(release.id, id);
  const dir = path.join(dataDir, 'releases', id);
  t.same(ls(dir), ['manifest.json', 'persons.arrow', 'persons.parquet', 'quality.html']);
  const entry = (release.manifest.files as { name: string; sha256: string; parquet?: { sha256: string } }[])[0];
  t.equal(entry.sha256, sha256(path.join(dir, 'persons.arrow')), 'the writer\'s hash is the file\'s');
  t.equal(entry.parquet?.sha256, sha256(path.join(dir, 'persons.parquet')));
  t.same(ls(path.join(dataDir, 'staging')), []);
});

t.test('a staged release whose files are not as their writer reported is refused and leaves nothing', async (t) => {
  const { store, dataDir } = storeFixture(t);
  const project = store.createProject(sampleProject(), 'operator:an');
  const job = store.createJob(project.id, {}, 'operator:an');
  const keys = (id: string) => ({ jobId: job.id, projectId: project.id, id, by: 'operator:an' });
  const short = store.stageRelease();
  const file = writeStagedTable({ dir: short.dir }, 'persons', sampleTable(12, 1));
  t.throws(() => store.commitRelease(short, keys(store.newReleaseId()), [{ ...file, bytes: file.bytes + 1 }], () => ({})), /has \d+ bytes, not the \d+/);
  const missing = store.stageRelease();
  t.throws(() => store.commitRelease(missing, keys(store.newReleaseId()), [file], () => ({})), { code: 'ENOENT' });
  const otherProject = store.createProject(sampleProject(), 'operator:an');
  const wrongJob = store.stageRelease();
  const ok = writeStagedTable({ dir: wrongJob.dir }, 'persons', sampleTable(2, 1));
  t.throws(() => store.commitRelease(wrongJob, { ...keys(store.newReleaseId()), projectId: otherProject.id }, [ok], () => ({})), { code: 'KOPPEL_ERR_STORE_NOT_FOUND' });
  t.same(ls(path.join(dataDir, 'staging')), [], 'every staging dir was removed');
  t.same(ls(path.join(dataDir, 'releases')), []);
  t.same(store.listReleases(), []);
});
