import t from 'tap';
import { FaultTally, emptyNationalIdCounts } from '../../../src/ingest/quality-report.js';

t.test('tallies faults per reason and column, keeps ten first rows, marks rejects', async (t) => {
  const tally = new FaultTally();
  const n = 30;
  const rows = Uint32Array.from({ length: n }, (_, i) => 101 + i);
  const bad = new Uint8Array(n);
  for (let i = 0; i < n; i += 2) bad[i] = 1;
  const reject = new Uint8Array(n);
  tally.addMarked('not_a_number', 'loon', bad, rows, reject);
  tally.addMarked('not_a_number', 'loon', Uint8Array.of(1), Uint32Array.of(500), new Uint8Array(1));
  tally.setFieldCount(2, [{ row: 3, expected: 4, actual: 5 }, { row: 9, expected: 4, actual: 1 }]);
  t.same(reject, bad);
  const list = tally.list();
  t.same(list, [
    { reason: 'field_count', count: 2, first_rows: [3, 9], expected_fields: 4, actual_fields: [5, 1] },
    { reason: 'not_a_number', column: 'loon', count: 16, first_rows: [101, 103, 105, 107, 109, 111, 113, 115, 117, 119] },
  ]);
  list[1].first_rows.push(1);
  t.equal(tally.list()[1].first_rows.length, 10, 'the list is a copy');
  t.same(emptyNationalIdCounts(), { valid: 0, missing: 0, malformed: 0, bad_date: 0, bad_check: 0 });
});
