import t from 'tap';
import { Int32, Utf8, vectorFromArray } from 'apache-arrow';
import { batchedTable, pseudonymOrder, ranksOf, rowsByPersonRank } from '../../../src/release/release-order.js';

t.test('orders persons by pseudonym bytes, shorter prefix first, ties by index', async (t) => {
  const data = vectorFromArray(['b', 'ab', 'a', 'b', 'ä'], new Utf8()).data[0];
  const order = pseudonymOrder(data);
  t.same(Array.from(order), [2, 1, 0, 3, 4]);
  t.same(Array.from(ranksOf(order)), [2, 1, 0, 3, 4]);
});

t.test('orders rows by their person rank and keeps row order within a person', async (t) => {
  const rank = Int32Array.from([2, 0, 1]);
  t.same(Array.from(rowsByPersonRank(Int32Array.from([0, 1, 0, 2, 1]), rank)), [1, 4, 3, 0, 2]);
});

t.test('cuts a table into batches that share the column buffers', async (t) => {
  const col = vectorFromArray([1, 2, 3, 4, 5], new Int32()).data[0];
  const table = batchedTable(['n'], [col], 2);
  t.same(table.batches.map((b) => b.numRows), [2, 2, 1]);
  t.same(Array.from(table.getChild('n')!.toArray()), [1, 2, 3, 4, 5]);
  const empty = batchedTable(['n'], [col.slice(0, 0)], 2);
  t.equal(empty.batches.length, 1);
  t.equal(empty.numRows, 0);
});
