import t from 'tap';
import { Utf8, makeVector, vectorFromArray } from 'apache-arrow';
import { filterFixed, filterUtf8, filterValidity, utf8FromStrings, utf8ToStrings } from '../../../src/util/arrow-columns.js';

t.test('hand-built Utf8 columns read the same through Arrow', async (t) => {
  const strings = ['a', null, 'éé', '', '😀'];
  const data = utf8FromStrings(strings);
  t.same([...makeVector(data)], strings);
  t.same(utf8ToStrings(data), strings);
});

t.test('reads and filters a slice through its offset', async (t) => {
  const data = vectorFromArray(['a', null, 'b', null, 'c'], new Utf8()).data[0];
  const sliced = data.slice(1, 3);
  t.same(utf8ToStrings(sliced), [null, 'b', null]);
  const reject = Uint8Array.of(1, 0, 0);
  t.same(utf8ToStrings(filterUtf8(sliced, reject, 2)), ['b', null]);
});

t.test('filters rows out of Utf8, fixed-width and validity buffers alike', async (t) => {
  const reject = Uint8Array.of(0, 1, 0, 1, 0);
  t.same(utf8ToStrings(filterUtf8(utf8FromStrings(['a', 'b', null, 'd', 'e']), reject, 3)), ['a', null, 'e']);
  t.same([...filterFixed(Int32Array.of(1, 2, 3, 4, 5), 1, reject, 3)], [1, 3, 5]);
  t.same([...filterFixed(Uint8Array.of(1, 1, 2, 2, 3, 3, 4, 4, 5, 5), 2, reject, 3)], [1, 1, 3, 3, 5, 5]);
  const v = filterValidity(Uint8Array.of(0b10101), reject, 3);
  t.same([...v.validity], [0b111]);
  t.equal(v.nullCount, 0);
});
