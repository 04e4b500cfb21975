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

t.test('the radix order equals a byte-wise comparison sort, for shared prefixes, short strings and NUL bytes', async (t) => {
  const fc = (await import('fast-check')).default;
  // A small alphabet with NUL and a multi-byte letter, lengths around the 8-byte prefix.
  const word = fc.array(fc.constantFrom('\u0000', 'a', 'b', 'é'), { maxLength: 11 }).map((cs) => cs.join(''));
  fc.assert(fc.property(fc.array(word, { maxLength: 60 }), (words) => {
    const data = vectorFromArray(words, new Utf8()).data[0];
    const encoded = words.map((w) => Buffer.from(w, 'utf8'));
    const want = words.map((_, i) => i).sort((a, b) => Buffer.compare(encoded[a], encoded[b]) || a - b);
    return JSON.stringify(Array.from(pseudonymOrder(data))) === JSON.stringify(want);
  }), { numRuns: 500 });
});
