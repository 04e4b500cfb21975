import t from 'tap';
import { compareIncremental } from '../../../benchmarks/incremental.js';

t.test('on the linkage benchmark data, the incremental path and a full relink differ in F1 by at most 0.0005', async (t) => {
  const c = compareIncremental(3000, 800, 1, 11);
  t.ok(c.spinePersons > 2500 && c.newRecords > 600, 'a spine and new records of about the asked sizes');
  t.ok(c.full.f1 > 0.95, `the full relink links well (F1 ${c.full.f1})`);
  t.ok(Math.abs(c.incremental.f1 - c.full.f1) <= 0.0005, `F1 ${c.incremental.f1} incremental vs ${c.full.f1} full`);
});
