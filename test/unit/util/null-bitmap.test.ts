import t from 'tap';
import { Int32, Utf8, makeData, vectorFromArray } from 'apache-arrow';
import { isBitSet, isValidAt, validityBitmap } from '../../../src/util/null-bitmap.js';

t.test('a slice reads its rows at bit offset + i of the shared bitmap', async (t) => {
  const data = vectorFromArray(['a', null, 'b', null, 'c', 'd', null, 'e', 'f', null], new Utf8()).data[0];
  const sliced = data.slice(3, 6); // rows 3..8: null, c, d, null, e, f
  t.equal(sliced.offset, 3);
  t.same([0, 1, 2, 3, 4, 5].map((i) => isValidAt(sliced, i)), [false, true, true, false, true, true]);
  const bitmap = validityBitmap(sliced);
  t.not(bitmap, null);
  t.same([0, 1, 2, 3, 4, 5].map((i) => isBitSet(bitmap!, sliced.offset + i)), [false, true, true, false, true, true]);
});

t.test('a column without nulls has no bitmap to read, whatever it carries', async (t) => {
  const noBitmap = makeData({ type: new Int32(), length: 3, nullCount: 0, data: Int32Array.of(1, 2, 3) });
  t.equal(validityBitmap(noBitmap), null);
  t.equal(isValidAt(noBitmap, 2), true);
  // A bitmap of zeros with a null count of 0: Arrow says every row is valid.
  const stale = makeData({ type: new Int32(), length: 3, nullCount: 0, nullBitmap: new Uint8Array(1), data: Int32Array.of(1, 2, 3) });
  t.equal(validityBitmap(stale), null);
  t.equal(isValidAt(stale, 0), true);
});

t.test('isBitSet reads least significant bit first across bytes', async (t) => {
  const bits = Uint8Array.of(0b0000_0101, 0b1000_0000);
  t.same([0, 1, 2, 7, 8, 15].map((k) => isBitSet(bits, k)), [true, false, true, false, false, true]);
});
