import t from 'tap';
import fc from 'fast-check';
import {
  Bool, Data, Dictionary, Float32, Float64, Int32, Int64, Int8, Utf8, FixedSizeBinary, DateDay, Vector,
  makeData, vectorFromArray, tableFromIPC, tableToIPC, Table,
} from 'apache-arrow';
import { takeRows, takeKind, chunksOf } from '../../../src/release/take.js';
import { locateRows } from '../../../src/release/row-location.js';

const utf8 = (values: (string | null)[]): Data => vectorFromArray(values, new Utf8()).data[0];

t.test('gathers Utf8 rows across chunks, sliced chunks and dictionary chunks, -1 as null', async (t) => {
  const a = utf8(['zero', null, 'two', 'three']).slice(1, 3); // [null, 'two', 'three'], offset 1
  const b = vectorFromArray(['x', 'y', null, 'x'], new Dictionary(new Utf8(), new Int32())).data[0];
  const c = utf8(['a much longer string of more than thirty-two bytes, é']);
  const chunks = [a, b, c];
  t.equal(takeKind(chunks), 'utf8');
  const out = takeRows(chunks, Int32Array.from([7, 0, 1, -1, 3, 5, 2, 6, 4]));
  t.same(new Vector([out]).toArray(), ['a much longer string of more than thirty-two bytes, é', null, 'two', null, 'x', null, 'three', 'x', 'y']);
  t.equal(out.offset, 0);
});

t.test('gathers Utf8 like a per-row oracle on random data', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.array(fc.option(fc.string({ maxLength: 40 }), { nil: null }), { maxLength: 12 }), { minLength: 1, maxLength: 4 }),
    fc.array(fc.nat(), { maxLength: 30 }),
    (chunkValues, picks) => {
      const flat = chunkValues.flat();
      const rows = Int32Array.from(picks.map((p) => (flat.length === 0 || p % 7 === 0 ? -1 : p % flat.length)));
      const out = takeRows(chunkValues.map(utf8), rows);
      const expected = Array.from(rows, (r) => (r < 0 ? null : flat[r]));
      return JSON.stringify(new Vector([out]).toArray()) === JSON.stringify(expected);
    },
  ), { numRuns: 200 });
  t.pass('agrees with the oracle');
});

t.test('gathers Utf8 rows taken in order (runs copied at once) like a per-row oracle', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.array(fc.option(fc.string({ maxLength: 30 }), { nil: null }), { maxLength: 20 }), { minLength: 1, maxLength: 3 }),
    fc.array(fc.nat(), { maxLength: 40 }),
    fc.nat(),
    (chunkValues, picks, from) => {
      const flat = chunkValues.flat();
      if (flat.length === 0) return true;
      // Ascending rows with repeats and gaps, then one consecutive stretch across chunk ends.
      const sorted = picks.map((p) => p % flat.length).sort((a, b) => a - b);
      const stretch = Array.from({ length: flat.length - (from % flat.length) }, (_, k) => (from % flat.length) + k);
      const rows = Int32Array.from([...sorted, ...stretch]);
      const out = takeRows(chunkValues.map(utf8), rows);
      const expected = Array.from(rows, (r) => flat[r]);
      return JSON.stringify(new Vector([out]).toArray()) === JSON.stringify(expected);
    },
  ), { numRuns: 300 });
  t.pass('agrees with the oracle');
});

t.test('copies fixed-width values of one type as bytes, keeping the type', async (t) => {
  const ints = [vectorFromArray([1, null, 3], new Int32()).data[0], vectorFromArray([40, 50], new Int32()).data[0].slice(1, 1)];
  t.equal(takeKind(ints), 'fixed');
  const out = takeRows(ints, Int32Array.from([3, 2, 1, 0, -1]));
  t.ok(out.type instanceof Int32);
  t.same(Array.from(new Vector([out]).toArray() as unknown as ArrayLike<number | null>), [50, 3, 0, 1, 0]);
  t.same([0, 1, 2, 3, 4].map((i) => new Vector([out]).isValid(i)), [true, true, false, true, false]);

  const big = vectorFromArray([10n, -20n], new Int64()).data[0];
  t.same(Array.from(new Vector([takeRows([big], Int32Array.from([1, 0]))]).toArray() as BigInt64Array), [-20n, 10n]);

  const fsb = makeData({ type: new FixedSizeBinary(3), length: 2, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) });
  const taken = new Vector([takeRows([fsb], Int32Array.from([1, 0]))]);
  t.same(Array.from(taken.get(0)!), [4, 5, 6]);

  const days = vectorFromArray([new Date(Date.UTC(2024, 0, 2))], new DateDay()).data[0];
  const takenDays = takeRows([days], Int32Array.from([0, -1]));
  t.ok(takenDays.type instanceof DateDay);
  t.same(tableFromIPC(tableToIPC(new Table({ d: new Vector([takenDays]) }))).getChild('d')!.get(0), new Vector([days]).get(0));
});

t.test('widens a mix of numeric types to Float64', async (t) => {
  const chunks = [vectorFromArray([1, 2], new Int8()).data[0], vectorFromArray([0.5], new Float32()).data[0], vectorFromArray([7n], new Int64()).data[0]];
  t.equal(takeKind(chunks), 'float64');
  const out = takeRows(chunks, Int32Array.from([3, 2, 0]));
  t.ok(out.type instanceof Float64);
  t.same(Array.from(new Vector([out]).toArray() as Float64Array), [7, 0.5, 1]);
});

t.test('gathers Bool bits with the offset of a sliced chunk', async (t) => {
  const b = vectorFromArray([true, false, null, true, false], new Bool()).data[0].slice(2, 3); // [null, true, false]
  const out = new Vector([takeRows([b], Int32Array.from([1, 0, 2, 1]))]);
  t.same(out.toArray(), [true, null, false, true]);
});

t.test('refuses mixes it cannot combine and rows beyond the column', async (t) => {
  const mixed = [utf8(['a']), vectorFromArray([1], new Int32()).data[0]];
  t.equal(takeKind(mixed), null);
  t.throws(() => takeRows(mixed, Int32Array.from([0])), TypeError);
  t.throws(() => takeRows([utf8(['a'])], Int32Array.from([1])), RangeError);
  t.equal(chunksOf(vectorFromArray(['a'], new Utf8())).length, 1);
});

t.test('a location made once serves every column of the same chunks, and one made for other chunks is not used', async (t) => {
  const a = [utf8(['a', 'b', 'c']), utf8(['d', 'e'])];
  const b = [utf8(['A', 'B', 'C']), utf8(['D', 'E'])];
  const other = [utf8(['x', 'y']), utf8(['z', 'w', 'v'])];
  const rows = Int32Array.of(4, 0, 3, -1, 2);
  const at = locateRows(a, rows);
  const read = (chunks: typeof a) => new Vector([takeRows(chunks, rows, at)]).toArray();
  t.same(read(a), ['e', 'a', 'd', null, 'c']);
  t.same(read(b), ['E', 'A', 'D', null, 'C']);
  t.same(read(other), ['v', 'x', 'w', null, 'z'], 'other chunk lengths: located afresh');
});
