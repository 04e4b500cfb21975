import t from 'tap';
import { loadLpSolver } from '../../../../src/release/tables/lp-solver.js';
import { dimensionTree } from '../../../../src/release/tables/dimension-tree.js';
import { PRIMARY, SECONDARY } from '../../../../src/release/tables/primary-suppression.js';
import { suppressTable, type SuppressedTable, type TableSpec } from '../../../../src/release/tables/suppress-table.js';
import { seededRandom } from '../../../../src/util/seeded-random.js';

const highs = await loadLpSolver();

// 24 municipalities in 6 districts in 3 provinces, by 6 age bands and sex: 5,000 persons,
// municipality sizes skewed (Zipf-like) so that small municipalities hold many cells under
// the threshold, as in the national benchmark but small enough for a unit test.
const labels = (p: string, k: number) => Array.from({ length: k }, (_, i) => `${p}${i}`);
const district = Int32Array.from({ length: 24 }, (_, m) => Math.floor(m / 4));
const muni = dimensionTree('municipality', labels('m', 24), [
  { codeOf: district, labels: labels('d', 6) },
  { codeOf: Int32Array.from(district, (d) => Math.floor(d / 2)), labels: labels('p', 3) },
]);
const age = dimensionTree('age', labels('a', 6));
const sex = dimensionTree('sex', ['F', 'M']);

function population(n: number) {
  const random = seededRandom(1);
  const weights = Array.from({ length: 24 }, (_, i) => 1 / (i + 1) ** 0.9).sort(() => random() - 0.5);
  const sum = weights.reduce((a, b) => a + b, 0);
  const leaves = [new Int32Array(n), new Int32Array(n), new Int32Array(n)];
  for (let i = 0; i < n; i++) {
    let u = random() * sum;
    let m = 0;
    while (m < 23 && (u -= weights[m]) > 0) m++;
    leaves[0][i] = m;
    leaves[1][i] = Math.min(5, Math.floor(-Math.log(random()) * 2));
    leaves[2][i] = random() < 0.5 ? 0 : 1;
  }
  return { leaves, contributor: Int32Array.from({ length: n }, (_, i) => i), contributors: n, value: null };
}

const input = population(5000);
const spec: TableSpec = { dimensions: [muni, age, sex], measure: 'persons' };

function lost(r: SuppressedTable) {
  let cells = 0;
  let persons = 0;
  let national = 0;
  for (let c = 0; c < r.status.length; c++) {
    if (r.status[c] !== SECONDARY) continue;
    cells++;
    persons += r.values[c];
    if (Math.floor(c / r.shape.strides[0]) % muni.size === muni.root) national++;
  }
  return { cells, persons, national };
}

t.test('small cells are protected by cells inside the table: no national total is suppressed to protect them', async (t) => {
  const r = suppressTable(highs, spec, input);
  t.ok(r.primaries > 150, `${r.primaries} sensitive cells`);
  const loss = lost(r);
  t.equal(loss.national, 0, 'every national cell (all municipalities, any age and sex) stays published');
  t.equal(r.status[r.shape.cells - 1], 0, 'the grand total stays published');
  // The boxes that moved totals up to the root hid 18,512 persons in 211 cells here.
  t.ok(loss.persons <= 6000, `${loss.persons} persons in complementary cells`);
  t.ok(loss.cells <= 160, `${loss.cells} complementary cells`);
  t.equal(r.audit.narrow, 0, 'every sensitive cell keeps its protection interval');
  t.equal(r.secondary.unprotected, 0);
});

t.test('loss "cells" is as safe, and hides at least as many persons as the default loss by value', async (t) => {
  const byValue = lost(suppressTable(highs, spec, input));
  const r = suppressTable(highs, { ...spec, loss: 'cells' }, input);
  const byCells = lost(r);
  t.ok(byCells.persons >= byValue.persons, `persons hidden: ${byValue.persons} by value (default), ${byCells.persons} by cells`);
  t.equal(r.audit.narrow, 0);
  t.equal(r.status.filter((s) => s === PRIMARY).length, r.primaries);
});
