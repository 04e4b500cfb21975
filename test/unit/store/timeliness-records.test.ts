import t from 'tap';
import { sampleSchema, storeFixture } from './store-fixture.js';

t.test('refused uploads are kept per dataset and period with their code, and survive a reopen', async (t) => {
  const fx = storeFixture(t);
  fx.store.createDataset(sampleSchema(), 'operator:o');
  fx.store.recordRefusedUpload('vdab_jobseekers', '2024Q1', 'KOPPEL_ERR_INGEST_HEADER', 'supplier:vdab');
  fx.store.recordRefusedUpload('vdab_jobseekers', '2024Q2', 'KOPPEL_ERR_INGEST_EMPTY', 'supplier:vdab');
  fx.store.close();
  const refusals = fx.reopen().listRefusedUploads();
  t.same(refusals.map((r) => [r.dataset, r.period, r.code, r.by]), [
    ['vdab_jobseekers', '2024Q1', 'KOPPEL_ERR_INGEST_HEADER', 'supplier:vdab'],
    ['vdab_jobseekers', '2024Q2', 'KOPPEL_ERR_INGEST_EMPTY', 'supplier:vdab'],
  ]);
  t.match(refusals[0].at, /^\d{4}-\d{2}-\d{2}T/);
});

t.test('a refusal for a dataset that does not exist is not recorded', async (t) => {
  const fx = storeFixture(t);
  t.throws(() => fx.store.recordRefusedUpload('nope', '2024Q1', 'KOPPEL_ERR_INGEST_EMPTY', 'supplier:vdab'), /FOREIGN KEY/);
  t.same(fx.store.listRefusedUploads(), []);
});

t.test('a timeliness notice is added once per dataset, period and status, and stays unposted until marked', async (t) => {
  const fx = storeFixture(t);
  fx.store.createDataset(sampleSchema(), 'operator:o');
  t.equal(fx.store.addTimelinessNotice('vdab_jobseekers', '2024Q1', 'missing', 3), true, 'new');
  t.equal(fx.store.addTimelinessNotice('vdab_jobseekers', '2024Q1', 'missing', 4), false, 'the same notice again is not new');
  t.equal(fx.store.addTimelinessNotice('vdab_jobseekers', '2024Q1', 'late', 9), true, 'a later status is a new notice');
  const unposted = fx.store.unpostedTimelinessNotices().map((n) => [n.period, n.status, n.days_late]);
  t.same(unposted.sort((a, b) => String(a[1]).localeCompare(String(b[1]))), [['2024Q1', 'late', 9], ['2024Q1', 'missing', 3]], 'the first days_late is kept');
  fx.store.timelinessNoticePosted('vdab_jobseekers', '2024Q1', 'missing');
  t.same(fx.store.unpostedTimelinessNotices().map((n) => n.status), ['late']);
});
