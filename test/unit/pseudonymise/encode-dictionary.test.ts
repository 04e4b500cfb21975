import t from 'tap';
import fc from 'fast-check';
import { Utf8, vectorFromArray, type Data } from 'apache-arrow';
import { dictionaryOfStrings, dictionaryOfUtf8 } from '../../../src/pseudonymise/encode-dictionary.js';

const chunksOf = (rows: (string | null)[], size: number): Data<Utf8>[] => {
  const out: Data<Utf8>[] = [];
  for (let i = 0; i < rows.length; i += size) out.push(vectorFromArray(rows.slice(i, i + size), new Utf8()).data[0] as Data<Utf8>);
  return out;
};

t.test('codes Utf8 chunks by their bytes exactly as strings are coded: trimmed values, blanks and nulls as -1', async (t) => {
  const rows = ['Jan', ' Jan', 'Jan', '', '   ', null, 'Élodie', 'Elodie', 'élodie', 'Jan ', 'Jan'];
  const got = dictionaryOfUtf8(chunksOf(rows, 4));
  t.same(got, dictionaryOfStrings(rows));
  t.equal(got.codes[0], got.codes[2], 'the same bytes, the same code');
  t.equal(got.codes[3], -1); t.equal(got.codes[4], -1); t.equal(got.codes[5], -1);
  t.not(got.codes[6], got.codes[7], 'accents are not folded here (normalisation comes later)');
});

t.test('agrees with the string dictionary on random text, over many distinct values and chunk sizes', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.option(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('a', 'b', ' a', 'ë', '名前')), { nil: null }), { maxLength: 300 }),
    fc.integer({ min: 1, max: 50 }),
    (rows, size) => {
      const got = dictionaryOfUtf8(chunksOf(rows, size));
      const want = dictionaryOfStrings(rows);
      return got.values.length === want.values.length && got.values.every((v, i) => v === want.values[i])
        && got.codes.every((c, i) => c === want.codes[i]);
    },
  ), { seed: 12, numRuns: 300 });
  t.pass('300 random columns');
});

t.test('grows past its first table and store without losing a value', async (t) => {
  const rows = Array.from({ length: 20_000 }, (_, i) => `value-${i % 9000}-${'x'.repeat(i % 13)}`);
  const got = dictionaryOfUtf8(chunksOf(rows, 4096));
  t.same(got, dictionaryOfStrings(rows));
});
