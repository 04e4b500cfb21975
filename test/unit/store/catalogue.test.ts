import t from 'tap';
import { sampleProject, sampleSchema, storeFixture } from './store-fixture.js';

t.test('a dataset is stored with its schema and provenance and listed by name', async (t) => {
  const { store } = storeFixture(t);
  const created = store.createDataset(sampleSchema('rsz_wages'), 'operator:an');
  store.createDataset(sampleSchema('agodi_diplomas'), 'operator:an');
  t.equal(created.name, 'rsz_wages');
  t.equal(created.supplier, 'vdab');
  t.equal(created.created_by, 'operator:an');
  t.same(created.schema, sampleSchema('rsz_wages'));
  t.same(store.getDataset('rsz_wages'), created);
  t.same(store.listDatasets().map((d) => d.name), ['agodi_diplomas', 'rsz_wages']);
  t.equal(store.getDataset('nope'), null);
});

t.test('a second dataset of the same name is KOPPEL_ERR_SCHEMA_EXISTS and the first is kept', async (t) => {
  const { store } = storeFixture(t);
  store.createDataset(sampleSchema('x'), 'operator:an');
  t.throws(() => store.createDataset({ ...sampleSchema('x'), supplier: 'rsz' }, 'operator:bo'), { code: 'KOPPEL_ERR_SCHEMA_EXISTS' });
  t.equal(store.getDataset('x')?.supplier, 'vdab');
});

t.test('a project gets an immutable prj_ id that a spec cannot override', async (t) => {
  const { store } = storeFixture(t);
  const spec = { ...sampleProject(), id: 'prj_evil', created_by: 'someone' } as ReturnType<typeof sampleProject>;
  const project = store.createProject(spec, 'operator:an');
  t.match(project.id, /^prj_[0-9a-f]{20}$/);
  t.equal(project.created_by, 'operator:an');
  t.equal(project.title, sampleProject().title);
  t.same(store.getProject(project.id), project);
  t.equal(store.getProject('prj_evil'), null);
  const other = store.createProject(sampleProject(), 'operator:an');
  t.not(other.id, project.id);
  t.equal(store.listProjects().length, 2);
});
