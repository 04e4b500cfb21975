import t from 'tap';
import fc from 'fast-check';
import { Dictionary, Float64, Int32, Utf8, makeData, vectorFromArray } from 'apache-arrow';
import { buildDimension, rawCodes, treeFromDescription } from '../../../../src/release/tables/table-dimensions.js';
import { utf8FromStrings } from '../../../../src/util/arrow-columns.js';

t.test('text, dictionary and numeric columns become codes with one label per distinct value; nulls are -1', async (t) => {
  const text = await rawCodes('nis', [utf8FromStrings(['11002', null, '44021', '11002'])]);
  t.same([...text.codes], [0, -1, 1, 0]);
  t.same(text.labels, ['11002', '44021']);
  const dict = makeData({ type: new Dictionary(new Utf8(), new Int32()), length: 3, nullCount: 0, data: Int32Array.from([1, 0, 1]), dictionary: vectorFromArray(['F', 'M'], new Utf8()) });
  const sex = await rawCodes('sex', [dict]);
  t.same([[...sex.codes], sex.labels], [[1, 0, 1], ['F', 'M']]);
  const years = vectorFromArray([1987, 1990, 1984, Number.NaN], new Float64()).data[0];
  const banded = await rawCodes('birth_year', [years], 5);
  t.same(banded.labels, ['1985-1989', '1990-1994', '1980-1984']);
  t.same([...banded.codes], [0, 1, 2, -1], 'NaN is a missing value');
  const ints = vectorFromArray([3, 3, 7], new Int32()).data[0];
  t.same((await rawCodes('n', [ints])).labels, ['3', '7']);
});

t.test('bands of a text column, and a column of another type, are refused naming the dimension', async (t) => {
  await t.rejects(rawCodes('sex', [utf8FromStrings(['M'])], 5), { code: 'KOPPEL_ERR_RELEASE_BAD_TABLE', message: /dimension sex: bands need a numeric column/ });
  const bools = vectorFromArray([true, false]).data[0];
  await t.rejects(rawCodes('flag', [bools]), { code: 'KOPPEL_ERR_RELEASE_BAD_TABLE', message: /dimension flag: a Bool column cannot be a table dimension/ });
  await t.rejects(buildDimension({ variable: 'nis' }, { codes: Int32Array.from([-1]), labels: [] }), { code: 'KOPPEL_ERR_RELEASE_BAD_TABLE', message: /no record has a value/ });
});

t.test('a prefix at the leaves and a prefix hierarchy above: municipality < district < province, sorted leaves', async (t) => {
  const raw = await rawCodes('nis', [utf8FromStrings(['44021', '11002', '11004', '44019', '21001'])]);
  const d = await buildDimension({ variable: 'nis', hierarchy: { prefixes: [2, 1] } }, raw);
  t.same(d.tree.labels, ['11002', '11004', '21001', '44019', '44021', '11', '21', '44', '1', '2', '4', 'Total']);
  t.same([...d.leaves], [4, 0, 1, 3, 2]);
  const parentLabel = (label: string) => d.tree.labels[d.tree.parent[d.tree.labels.indexOf(label)]];
  t.same([parentLabel('44021'), parentLabel('44'), parentLabel('4')], ['44', '4', 'Total']);
  t.same(treeFromDescription(d.description).labels, d.tree.labels, 'the ledger\'s description rebuilds the same tree');
});

t.test('declared categories make zero cells and leave other values out; groups recode the leaves', async (t) => {
  const raw = await rawCodes('nat', [utf8FromStrings(['BE', 'MA', 'NL', 'XX'])]);
  const d = await buildDimension({ variable: 'nat', groups: { BE: 'EU', NL: 'EU', MA: 'non-EU' }, categories: ['EU', 'non-EU', 'unknown'] }, raw);
  t.same(d.tree.labels, ['EU', 'non-EU', 'unknown', 'Total']);
  t.same([...d.leaves], [0, 1, 0, -1], 'XX is not a declared category: left out');
});

t.test('property: every leaf\'s ancestors are its hierarchy labels, for any codes and prefix hierarchy', async (t) => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.stringMatching(/^[1-9][0-9]{4}$/), { minLength: 1, maxLength: 60 }),
    fc.integer({ min: 2, max: 4 }),
    async (codes, p) => {
      const d = await buildDimension({ variable: 'nis', hierarchy: { prefixes: [p, 1] } }, await rawCodes('nis', [utf8FromStrings(codes)]));
      return codes.every((code, i) => {
        const leaf = d.leaves[i];
        const up = d.tree.parent[leaf];
        return d.tree.labels[leaf] === code && d.tree.labels[up] === code.slice(0, p)
          && d.tree.labels[d.tree.parent[up]] === code.slice(0, 1) && d.tree.parent[d.tree.parent[up]] === d.tree.root;
      });
    },
  ), { numRuns: 200 });
});
