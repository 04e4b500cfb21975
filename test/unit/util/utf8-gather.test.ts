import t from 'tap';
import fc from 'fast-check';
import { gatherUtf8, type Utf8Rows } from '../../../src/util/utf8-gather.js';
import { utf8Rows } from '../../fixtures/utf8-rows.js';

const text = new TextDecoder();

const column = (values: readonly string[]): Utf8Rows => utf8Rows(values);

function rowsOf(c: Utf8Rows): string[] {
  return Array.from({ length: c.length }, (_, i) => text.decode(c.values.subarray(c.offsets[i], c.offsets[i + 1])));
}

t.test('gathers rows in any order, with repeats, empty rows and multi-byte text', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.string({ unit: 'grapheme', maxLength: 6 }), { minLength: 1, maxLength: 60 }).chain((values) => fc.tuple(
      fc.constant(values), fc.array(fc.nat({ max: values.length - 1 }), { maxLength: 120 }),
    )),
    ([values, rows]) => {
      const got = gatherUtf8(column(values), Int32Array.from(rows));
      return got.length === rows.length && got.offsets[0] === 0 && JSON.stringify(rowsOf(got)) === JSON.stringify(rows.map((r) => values[r]));
    },
  ));
});

t.test('gathers a shuffled column larger than one bucket on both sides', async (t) => {
  const n = 40_000;
  const values = Array.from({ length: n }, (_, i) => `id-${i * 7}`);
  const rows = new Int32Array(n + 5000);
  let x = 12345;
  for (let k = 0; k < rows.length; k++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; rows[k] = x % n; }
  const got = rowsOf(gatherUtf8(column(values), rows));
  t.equal(got.length, rows.length);
  let wrong = 0;
  for (let k = 0; k < rows.length; k++) if (got[k] !== values[rows[k]]) wrong++;
  t.equal(wrong, 0, 'every row where it belongs');
});

t.test('an empty selection gives an empty column; a row out of range is refused', async (t) => {
  const c = column(['a', 'b']);
  const empty = gatherUtf8(c, new Int32Array(0));
  t.equal(empty.length, 0);
  t.same([...empty.offsets], [0]);
  t.throws(() => gatherUtf8(c, Int32Array.of(0, 2)), RangeError);
  t.throws(() => gatherUtf8(c, Int32Array.of(-1)), RangeError);
});
