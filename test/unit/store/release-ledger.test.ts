import t from 'tap';
import { sampleProject, sampleTable, storeFixture } from './store-fixture.js';

const rows = [
  { pseudonym: 'a'.repeat(32), variable: 'sex', value: 'M', suppressed: false },
  { pseudonym: 'b'.repeat(32), variable: 'sex', value: null, suppressed: true },
];

t.test('ledger rows are written with the release and count once it is approved, withdrawn or not', async (t) => {
  const { store } = storeFixture(t);
  const project = store.createProject(sampleProject(), 'operator:an');
  const job = store.createJob(project.id, {}, 'operator:an');
  const release = store.createRelease(job.id, project.id, [{ name: 'persons', table: sampleTable(2, 1) }], { status: 'draft', files: [] }, 'operator:an', undefined, { ledger: rows });
  t.same(store.releaseLedger(project.id), { releases: [], rows: [] }, 'a draft does not count');
  store.approveRelease(release.id, 'operator:bo', { actor: 'operator:bo', action: 'release.approve', target: release.id, outcome: 'ok' }, (draft) => ({ ...draft, status: 'approved' }));
  t.same(store.releaseLedger(project.id), { releases: [release.id], rows }, 'an approved release does');
  t.equal(store.withdrawRelease(release.id, 'operator:bo', 'a reason of some length'), true);
  t.equal(store.withdrawRelease(release.id, 'operator:bo', 'a reason of some length'), false, 'withdrawn once');
  t.match(store.getRelease(release.id)?.withdrawn, { by: 'operator:bo', reason: 'a reason of some length' });
  t.same(store.ledgerReleases(project.id), [release.id], 'a withdrawn release still counts: its copies are out there');
});

t.test('documents and Parquet copies are stored with the release and hashed in its manifest', async (t) => {
  const { store } = storeFixture(t);
  const project = store.createProject(sampleProject(), 'operator:an');
  const job = store.createJob(project.id, {}, 'operator:an');
  const release = store.createRelease(job.id, project.id, [{ name: 'persons', table: sampleTable(2, 1) }], { status: 'draft', files: [{ name: 'persons', rows: 2, columns: [] }] }, 'operator:an', undefined, {
    documents: [{ name: 'persons.parquet', bytes: Buffer.from('PAR1') }, { name: 'quality.html', bytes: Buffer.from('<p>q</p>') }],
  });
  const manifest = release.manifest as { files: { name: string; parquet?: { file: string; bytes: number } }[]; documents: { file: string; bytes: number }[] };
  t.match(manifest.files[0].parquet, { file: 'persons.parquet', bytes: 4 });
  t.match(manifest.documents, [{ file: 'quality.html', bytes: 8 }]);
  const opened = await store.openReleaseFile(release.id, 'quality.html');
  t.ok(opened, 'a document opens by its name');
  await opened?.close();
  t.equal(await store.openReleaseFile(release.id, 'other.html'), null);
});
