import t from 'tap';
import { compareIncremental } from '../../../benchmarks/incremental.js';
import { encodeSupplier } from '../../../benchmarks/data/turnaround-sources.js';
import { encodingKeysFrom } from '../../../src/pseudonymise/encode-source.js';

t.test('on the turnaround population, the incremental path and a full relink both link well and differ in F1 by at most 0.0005', async (t) => {
  const c = compareIncremental(4000, 1000, 1, 11, 'turnaround');
  t.equal(c.data, 'turnaround');
  t.ok(c.spinePersons > 3900 && c.spinePersons <= 4100, `a spine of about 4000 persons (${c.spinePersons})`);
  t.ok(c.newRecords > 900 && c.newRecords < 1100, `about 1000 new records (${c.newRecords})`);
  t.ok(c.firstTimeRecords > 50 && c.firstTimeRecords < 150, `about a tenth of them of persons not in the spine (${c.firstTimeRecords})`);
  t.ok(c.full.f1 > 0.99, `the full relink links well (F1 ${c.full.f1})`);
  t.ok(c.incremental.f1 > 0.99, `the incremental run links well (F1 ${c.incremental.f1})`);
  t.ok(Math.abs(c.incremental.f1 - c.full.f1) <= 0.0005, `F1 ${c.incremental.f1} incremental vs ${c.full.f1} full`);
  t.ok(c.full.candidatePairs > 0 && c.incremental.candidatePairs > 0, 'candidate pairs counted');
});

t.test('a source encoded in batches is the source encoded at once, every array and count', async (t) => {
  const keys = encodingKeysFrom(new Uint8Array(32).fill(5));
  const pop = { people: 2500, seed: 3 };
  const include = (p: number) => p % 7 !== 0;
  const once = encodeSupplier(pop, 2, keys, include, 1 << 20);
  const batched = encodeSupplier(pop, 2, keys, include, 301);
  t.same(batched.truth, once.truth, 'the same persons in the same order');
  t.equal(batched.source.size, once.source.size);
  t.ok(once.source.size > 2000, `rows of the included persons (${once.source.size})`);
  t.same(batched.source.pseudonyms, once.source.pseudonyms, 'pseudonyms');
  once.source.fields.forEach((f, i) => {
    const b = batched.source.fields[i];
    t.same([b.name, b.type, b.slots, b.bloomWords], [f.name, f.type, f.slots, f.bloomWords], `${f.name}: shape`);
    t.same(b.present, f.present, `${f.name}: present`);
    t.same(b.tokens, f.tokens, `${f.name}: tokens`);
    t.same(b.bloom, f.bloom, `${f.name}: bloom`);
    t.same(b.bloomPop, f.bloomPop, `${f.name}: bloomPop`);
    t.same(b.quality, f.quality, `${f.name}: nulls and invalid counts`);
  });
  t.ok(once.source.fields[0].quality.nulls > 0, 'some national numbers missing, as the supplier writes them');
});
