import t from 'tap';
import fc from 'fast-check';
import { Bool, Float64, Int32, Utf8, vectorFromArray } from 'apache-arrow';
import { valueCodes } from '../../../src/release/value-codes.js';

t.test('codes equal strings equally in first-appearance order, null as -1', async (t) => {
  const { codes, cardinality } = valueCodes(vectorFromArray(['b', 'a', null, 'b', '', 'a'], new Utf8()).data[0]);
  t.same(Array.from(codes), [0, 1, -1, 0, 2, 1]);
  t.equal(cardinality, 3, 'the empty string is a value, not null');
});

t.test('codes strings like a Map on random data, across table growth', async (t) => {
  fc.assert(fc.property(fc.array(fc.option(fc.string({ maxLength: 6 }), { nil: null, freq: 8 }), { maxLength: 300 }), (values) => {
    const { codes, cardinality } = valueCodes(vectorFromArray(values, new Utf8()).data[0]);
    const seen = new Map<string, number>();
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null) { if (codes[i] !== -1) return false; continue; }
      if (!seen.has(v)) seen.set(v, seen.size);
      if (codes[i] !== seen.get(v)) return false;
    }
    return cardinality === seen.size;
  }), { numRuns: 200 });
  t.pass('agrees with a Map');
});

t.test('codes numbers by their bytes and booleans by their bit', async (t) => {
  t.same(Array.from(valueCodes(vectorFromArray([1990, null, 1985, 1990], new Int32()).data[0]).codes), [0, -1, 1, 0]);
  t.same(Array.from(valueCodes(vectorFromArray([2.5, 2.5, 1], new Float64()).data[0]).codes), [0, 0, 1]);
  const b = valueCodes(vectorFromArray([true, null, false, true], new Bool()).data[0]);
  t.same(Array.from(b.codes), [0, -1, 1, 0]);
  t.equal(b.cardinality, 2);
});

t.test('refuses a sliced column', async (t) => {
  t.throws(() => valueCodes(vectorFromArray(['a', 'b'], new Utf8()).data[0].slice(1, 1)), RangeError);
});
