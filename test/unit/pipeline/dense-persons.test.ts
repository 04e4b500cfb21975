import t from 'tap';
import fc from 'fast-check';
import { densePersons } from '../../../src/pipeline/dense-persons.js';

/** The plain answer: distinct ids sorted, each record's position among them. */
function reference(ids: number[]): { persons: number[]; indexOf: number[] } {
  const persons = [...new Set(ids)].sort((a, b) => a - b);
  return { persons, indexOf: ids.map((id) => persons.indexOf(id)) };
}

t.test('dense person indices are the sorted distinct ids, for dense, sparse and fractional ids alike', async (t) => {
  const ids = fc.oneof(
    fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 80 }), // a counter's ids: the table path
    fc.array(fc.integer({ min: 1, max: 2 ** 40 }), { maxLength: 30 }), // sparse: the sort path
    fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 30 }), // not integers
  );
  fc.assert(fc.property(ids, (list) => {
    const got = densePersons(Float64Array.from(list));
    const want = reference(list.map((x) => (Object.is(x, -0) ? 0 : x)));
    return JSON.stringify(Array.from(got.persons)) === JSON.stringify(want.persons)
      && JSON.stringify(Array.from(got.indexOf)) === JSON.stringify(want.indexOf);
  }), { numRuns: 300 });
});

t.test('a job\'s person ids far from 0 still take the table path and come back whole', async (t) => {
  const got = densePersons(Float64Array.of(5_000_003, 5_000_001, 5_000_003, 5_000_002));
  t.same(Array.from(got.persons), [5_000_001, 5_000_002, 5_000_003]);
  t.same(Array.from(got.indexOf), [2, 0, 2, 1]);
});
