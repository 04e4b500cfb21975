import t from 'tap';
import { deliver, sampleProject, sampleSchema, storeFixture } from './store-fixture.js';

t.test('a decision is kept per pair of records whichever side comes first, the latest in force, and survives a reopen', async (t) => {
  const fx = storeFixture(t);
  fx.store.createDataset(sampleSchema(), 'operator:o');
  const { delivery: a } = await deliver(fx.store, fx.keyring, { period: '2024Q1', body: 'a'.repeat(64) });
  const { delivery: b } = await deliver(fx.store, fx.keyring, { period: '2024Q2', body: 'b'.repeat(64) });
  const { delivery: c } = await deliver(fx.store, fx.keyring, { period: '2024Q3', body: 'c'.repeat(64) });
  const project = fx.store.createProject(sampleProject(), 'operator:o');
  const job = fx.store.createJob(project.id, { deliveries: [a.id, b.id] }, 'operator:o');
  const [first, second] = [a.id, b.id].sort();
  fx.store.reviews.decide({ delivery: second, row: 4 }, { delivery: first, row: 7 }, 'non-match', 'reviewer:rita', { id: job.id, pair: 3 });
  fx.store.reviews.decide({ delivery: first, row: 7 }, { delivery: second, row: 4 }, 'match', 'operator:olivia', { id: job.id, pair: 3 });
  fx.store.reviews.decide({ delivery: first, row: 1 }, { delivery: c.id, row: 1 }, 'unsure', 'reviewer:rita', { id: job.id, pair: 5 });
  fx.store.close();
  const store = fx.reopen();
  const among = store.reviews.among([a.id, b.id]);
  t.same(among.map((d) => [d.left_delivery, d.left_row, d.right_delivery, d.right_row, d.decision, d.decided_by]), [[first, 7, second, 4, 'match', 'operator:olivia']], 'one row per pair, smaller reference first, the latest decision');
  t.equal(store.reviews.among([a.id, b.id, c.id]).length, 2, 'a decision counts among deliveries holding both its records');
  t.throws(() => store.reviews.decide({ delivery: 'dlv_00000000000000000000', row: 1 }, { delivery: a.id, row: 1 }, 'match', 'reviewer:rita', { id: job.id, pair: 1 }), /FOREIGN KEY/, 'a decision names stored deliveries only');
});
