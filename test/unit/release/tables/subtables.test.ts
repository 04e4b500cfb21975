import t from 'tap';
import { dimensionTree } from '../../../../src/release/tables/dimension-tree.js';
import { decompose, subtablesBelow } from '../../../../src/release/tables/subtables.js';
import { tableShape } from '../../../../src/release/tables/table-shape.js';

// municipality < district < total (4 munis, 2 districts), by sex.
const muni = dimensionTree('municipality', ['m1', 'm2', 'm3', 'm4'], [{ codeOf: Int32Array.from([0, 0, 1, 1]), labels: ['d1', 'd2'] }]);
const sex = dimensionTree('sex', ['F', 'M']);
const shape = tableShape([muni, sex]);
const cell = (m: string, s: string) => muni.labels.indexOf(m) * sex.size + sex.labels.indexOf(s);

t.test('one subtable per internal node of every dimension, top-down, each cell owned by exactly one', async (t) => {
  const { subtables } = decompose(shape);
  t.same(subtables.map((s) => Array.from(s.parents).map((v, d) => shape.dims[d].labels[v]).join(' x ')), [
    'Total x Total', 'd1 x Total', 'd2 x Total',
  ]);
  const owners = new Int32Array(shape.cells);
  for (const s of subtables) s.cells.forEach((c, j) => { if (s.marginAbove[j] === 0) owners[c]++; });
  t.same(Array.from(owners), new Array(shape.cells).fill(1));
  const d1 = subtables[1];
  t.equal(d1.cells.length, 3 * 3, 'd1 and its two municipalities, by F, M and the total');
  t.equal(d1.marginAbove[d1.cells.indexOf(cell('d1', 'F'))], 1, 'the district row is a margin from above');
  t.equal(d1.rowStart.length - 1, 3 + 3, 'three municipality sums and three sex sums');
});

t.test('a district cell is a margin from above in its own district subtable only', async (t) => {
  const decomposition = decompose(shape);
  t.same(subtablesBelow(shape, decomposition, cell('d2', 'M')), [2]);
  t.same(subtablesBelow(shape, decomposition, cell('m1', 'F')), [], 'a leaf has nothing below');
  t.same(subtablesBelow(shape, decomposition, cell('Total', 'F')), [], 'the total row is its own subtable\'s margin');
});
