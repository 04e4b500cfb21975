import t from 'tap';
import { dimensionTree } from '../../../../src/release/tables/dimension-tree.js';
import { buildCells } from '../../../../src/release/tables/table-cells.js';
import { coordinate, tableConstraints, tableShape } from '../../../../src/release/tables/table-shape.js';

// municipality < district < total; sex < total.
const muni = dimensionTree('municipality', ['m1', 'm2', 'm3'], [{ codeOf: Int32Array.from([0, 0, 1]), labels: ['d1', 'd2'] }]);
const sex = dimensionTree('sex', ['F', 'M']);
const shape = tableShape([muni, sex]);
const cell = (m: string, s: string) => muni.labels.indexOf(m) * sex.size + sex.labels.indexOf(s);

t.test('a dimension tree numbers leaves, groups and the root, and links parents and children', async (t) => {
  t.same(muni.labels, ['m1', 'm2', 'm3', 'd1', 'd2', 'Total']);
  t.same(Array.from(muni.parent), [3, 3, 4, 5, 5, -1]);
  t.same(Array.from(muni.depth), [2, 2, 2, 1, 1, 0]);
  t.same(Array.from(muni.children.subarray(muni.childStart[5], muni.childStart[6])), [3, 4]);
  t.doesNotThrow(() => dimensionTree('x', ['a', 'b'], [
    { codeOf: Int32Array.from([0, 1]), labels: ['g1', 'g2'] },
    { codeOf: Int32Array.from([0, 0]), labels: ['h'] },
  ]), 'a level that groups the level below is accepted');
  t.throws(() => dimensionTree('x', ['a', 'b'], [
    { codeOf: Int32Array.from([0, 0]), labels: ['g1'] },
    { codeOf: Int32Array.from([0, 1]), labels: ['h1', 'h2'] },
  ]), /not a grouping/, 'a level that splits a group of the level below is refused');
});

t.test('constraints: every total equals the sum of its parts along each dimension and level', async (t) => {
  const { rowStart, entries } = tableConstraints(shape);
  // municipality: 3 internal nodes x 3 sex nodes; sex: 1 internal node x 6 municipality nodes.
  t.equal(rowStart.length - 1, 9 + 6);
  const rows = [];
  for (let r = 0; r + 1 < rowStart.length; r++) rows.push(Array.from(entries.subarray(rowStart[r], rowStart[r + 1])));
  t.ok(rows.some((row) => row.join() === [cell('d1', 'F'), cell('m1', 'F'), cell('m2', 'F')].join()));
  t.ok(rows.some((row) => row.join() === [cell('m3', 'Total'), cell('m3', 'F'), cell('m3', 'M')].join()));
  t.equal(coordinate(shape, cell('d2', 'M'), 0), 4);
});

t.test('cells count each contributor once, with its records summed, in every cell it falls in', async (t) => {
  // Employer 0 has three records in m1/F (values 5, 7) and m2/M (3); employer 1 one in m3/F.
  const stats = buildCells(shape, {
    leaves: [Int32Array.from([0, 0, 1, 2, -1]), Int32Array.from([0, 0, 1, 0, 0])],
    contributor: Int32Array.from([0, 0, 0, 1, 1]), contributors: 2, value: Float64Array.from([5, 7, 3, 4, 100]),
  }, 2);
  t.equal(stats.recordsLeftOut, 1, 'a record without a leaf is left out and counted');
  t.equal(stats.contributors[cell('m1', 'F')], 1);
  t.equal(stats.total[cell('m1', 'F')], 12);
  t.equal(stats.contributors[cell('d1', 'Total')], 1, 'the employer counts once in the district total');
  t.equal(stats.total[cell('d1', 'Total')], 15);
  t.equal(stats.contributors[cell('Total', 'Total')], 2);
  t.same(Array.from(stats.top.subarray(cell('Total', 'Total') * 2, cell('Total', 'Total') * 2 + 2)), [15, 4], 'top contributions per contributor, largest first');
  t.same(Array.from(stats.top.subarray(cell('Total', 'F') * 2, cell('Total', 'F') * 2 + 2)), [12, 4]);
});

t.test('bad input: a contributor code out of range or columns of different lengths', async (t) => {
  t.throws(() => buildCells(shape, { leaves: [Int32Array.of(0), Int32Array.of(0)], contributor: Int32Array.of(3), contributors: 2, value: null }, 0), RangeError);
  t.throws(() => buildCells(shape, { leaves: [Int32Array.of(0, 1), Int32Array.of(0)], contributor: Int32Array.of(0, 1), contributors: 2, value: null }, 0), RangeError);
});
