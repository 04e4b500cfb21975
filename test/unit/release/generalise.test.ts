import t from 'tap';
import { Int32, makeVector, vectorFromArray, Utf8, Dictionary, makeData } from 'apache-arrow';
import fc from 'fast-check';
import { canGeneralise, generaliseColumn } from '../../../src/release/generalise.js';

function labels(data: ReturnType<typeof generaliseColumn>): (string | null)[] {
  return [...makeVector(data)].map((v) => (v === null ? null : String(v)));
}

t.test('numbers fall into bands labelled by their bounds; nulls stay null', async (t) => {
  const years = vectorFromArray([1987, 1985, null, 1990, 1989], new Int32());
  t.same(labels(generaliseColumn(years, { band: 5 })), ['1985-1989', '1985-1989', null, '1990-1994', '1985-1989']);
});

t.test('codes keep their prefix, also from dictionary-encoded columns', async (t) => {
  const nis = vectorFromArray(['11002', '11005', '44021', null, '4'], new Utf8());
  t.same(labels(generaliseColumn(nis, { prefix: 2 })), ['11', '11', '44', null, '4']);
  const dict = makeData({ type: new Dictionary(new Utf8(), new Int32()), length: 3, nullCount: 0, data: new Int32Array([1, 0, 1]), dictionary: vectorFromArray(['71016', '24062'], new Utf8()) });
  t.same(labels(generaliseColumn(dict, { prefix: 1 })), ['2', '7', '2']);
});

t.test('a rule that does not fit the column type is refused before any work', async (t) => {
  t.notOk(canGeneralise(new Utf8(), { band: 5 }));
  t.notOk(canGeneralise(new Int32(), { prefix: 2 }));
  t.throws(() => generaliseColumn(vectorFromArray(['a'], new Utf8()), { band: 5 }), TypeError);
});

t.test('generalising never splits a group: equal inputs give equal outputs', async (t) => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 1900, max: 2030 }), { maxLength: 200 }), fc.integer({ min: 2, max: 20 }), (values, band) => {
    const out = labels(generaliseColumn(vectorFromArray(values, new Int32()), { band }));
    for (let i = 0; i < values.length; i++) {
      const lo = Math.floor(values[i] / band) * band;
      if (out[i] !== `${lo}-${lo + band - 1}`) return false;
    }
    return new Set(out).size <= new Set(values).size;
  }));
  t.pass('property holds');
});
