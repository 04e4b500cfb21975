import t from 'tap';
import { Float64, Int32, Utf8, vectorFromArray, type Data } from 'apache-arrow';
import { buildHierarchy, canTakeHierarchy, hierarchyProblems, levelNames } from '../../../src/release/hierarchy.js';
import { valueCodes } from '../../../src/release/value-codes.js';
import { suppressionPatterns } from '../../../src/release/local-suppression.js';

function levelsOf(data: Data, spec: Parameters<typeof buildHierarchy>[2]) {
  const leaf = valueCodes(data);
  const hierarchy = buildHierarchy(data, leaf, spec);
  // Per level, the label of each row's group (null at the top or for a null value).
  return hierarchy.map((level) => Array.from(leaf.codes, (c) => (c < 0 || level.codeOf[c] < 0 ? null : level.labels[level.codeOf[c]])));
}

t.test('bands nest: year -> 5-year band -> 10-year band -> *', async (t) => {
  const years = vectorFromArray([1987, 1983, null, 1991, 1989], new Int32()).data[0];
  t.same(levelsOf(years, { bands: [5, 10] }), [
    ['1985-1989', '1980-1984', null, '1990-1994', '1985-1989'],
    ['1980-1989', '1980-1989', null, '1990-1999', '1980-1989'],
    [null, null, null, null, null],
  ]);
  t.same(levelNames({ bands: [5, 10] }), ['bands of 5', 'bands of 10', '*']);
});

t.test('NIS prefixes: municipality -> arrondissement -> province digit -> *, counting the values each covers', async (t) => {
  const nis = vectorFromArray(['11002', '11001', '44021', '21004', '11002'], new Utf8()).data[0];
  t.same(levelsOf(nis, { prefixes: [2, 1] }).slice(0, 2), [['11', '11', '44', '21', '11'], ['1', '1', '4', '2', '1']]);
  const hierarchy = buildHierarchy(nis, valueCodes(nis), { prefixes: [2, 1] });
  t.same(Array.from(hierarchy[0].leaves), [2, 1, 1], '"11" covers two municipalities');
  t.equal(hierarchy[2].groups, 0, 'the top level has no labelled group');
});

t.test('code-list groups map the labels of the level below; unlisted labels stay their own group', async (t) => {
  const nat = vectorFromArray(['BE', 'NL', 'MA', 'XX'], new Utf8()).data[0];
  t.same(levelsOf(nat, { groups: [{ NL: 'EU', MA: 'non-EU' }, { EU: 'foreign', 'non-EU': 'foreign' }] }).slice(0, 2), [
    ['BE', 'EU', 'non-EU', 'XX'],
    ['BE', 'foreign', 'foreign', 'XX'],
  ]);
});

t.test('checks that levels nest and that the column type fits', async (t) => {
  t.same(hierarchyProblems({ bands: [5, 10, 20] }), []);
  t.match(hierarchyProblems({ bands: [5, 12] })[0], 'not a multiple');
  t.match(hierarchyProblems({ prefixes: [2, 3] })[0], 'not shorter');
  t.match(hierarchyProblems({ groups: [] })[0], 'at least one level');
  t.ok(canTakeHierarchy(new Float64(), { bands: [5] }));
  t.notOk(canTakeHierarchy(new Utf8(), { bands: [5] }));
  t.ok(canTakeHierarchy(new Int32(), { prefixes: [2] }));
  t.throws(() => buildHierarchy(vectorFromArray(['a'], new Utf8()).data[0], valueCodes(vectorFromArray(['a'], new Utf8()).data[0]), { bands: [5] }), TypeError);
});

t.test('suppression patterns: fewest values first, then the least important (last) variables', async (t) => {
  t.same(Array.from(suppressionPatterns(3)), [0b100, 0b010, 0b001, 0b110, 0b101, 0b011, 0b111]);
  t.equal(suppressionPatterns(20).length, 256, 'capped for many variables');
  t.equal(suppressionPatterns(20)[0], 1 << 19, 'the last variable first');
});
