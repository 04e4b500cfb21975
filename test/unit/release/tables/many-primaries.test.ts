import t from 'tap';
import fc from 'fast-check';
import { BoxSearch } from '../../../../src/release/tables/box-search.js';
import { certifiedMoves } from '../../../../src/release/tables/deviation-certificates.js';
import { dimensionTree } from '../../../../src/release/tables/dimension-tree.js';
import { loadLpSolver } from '../../../../src/release/tables/lp-solver.js';
import { PRIMARY, SECONDARY } from '../../../../src/release/tables/primary-suppression.js';
import { suppressTable } from '../../../../src/release/tables/suppress-table.js';
import { tableConstraints, tableShape } from '../../../../src/release/tables/table-shape.js';
import { seededRandom } from '../../../../src/util/seeded-random.js';
import { fillTotals } from '../../../fixtures/table-constraints.js';

const highs = await loadLpSolver();

// The national benchmark's shape, smaller: 40 municipalities in 8 districts < 4 provinces <
// 2 regions, by 20 age bands, sex and quarter, every total (49 x 21 x 3 x 5 = 15,435 cells),
// over so few persons that 44% of the cells fall under the threshold. Before the cone boxes,
// the windows below and the cap on LP work, the benchmark's table at 500k persons left
// district cells to whole-table LPs that ran for minutes, and this one ran all 2,000 LPs.
const labels = (p: string, k: number) => Array.from({ length: k }, (_, i) => `${p}${i}`);
const district = Int32Array.from({ length: 40 }, (_, m) => Math.floor(m / 5));
const province = Int32Array.from({ length: 8 }, (_, d) => Math.floor(d / 2));
const muni = dimensionTree('municipality', labels('m', 40), [
  { codeOf: district, labels: labels('d', 8) },
  { codeOf: Int32Array.from(district, (d) => province[d]), labels: labels('p', 4) },
  { codeOf: Int32Array.from(district, (d) => Math.floor(province[d] / 2)), labels: labels('r', 2) },
]);
const age = dimensionTree('age band', labels('a', 20));
const sex = dimensionTree('sex', ['F', 'M']);
const quarter = dimensionTree('quarter', labels('Q', 4));

function population(n: number, seed: number) {
  const random = seededRandom(seed);
  const weights = Array.from({ length: 40 }, (_, i) => 1 / (i + 1) ** 0.9).sort(() => random() - 0.5);
  const sum = weights.reduce((a, b) => a + b, 0);
  const leaves = [new Int32Array(n), new Int32Array(n), new Int32Array(n), new Int32Array(n)];
  for (let i = 0; i < n; i++) {
    let u = random() * sum;
    let m = 0;
    while (m < 39 && (u -= weights[m]) > 0) m++;
    leaves[0][i] = m;
    leaves[1][i] = Math.min(19, Math.floor(-Math.log(random()) * 6));
    leaves[2][i] = random() < 0.5 ? 0 : 1;
    leaves[3][i] = Math.floor(random() * 4);
  }
  return { leaves, contributor: Int32Array.from({ length: n }, (_, i) => i), contributors: n, value: null };
}

t.test('a table in which half the cells are sensitive is built and proven safe without whole-table LPs', async (t) => {
  const started = Date.now();
  const r = suppressTable(highs, { dimensions: [muni, age, sex, quarter], measure: 'persons' }, population(40_000, 3));
  const seconds = (Date.now() - started) / 1000;
  t.ok(r.primaries > 0.4 * r.shape.cells, `${r.primaries} of ${r.shape.cells} cells sensitive`);
  t.equal(r.secondary.wholeTableFallbacks, 0, 'every protection found in the subtables or by a box');
  t.equal(r.secondary.unprotected, 0);
  t.equal(r.audit.narrow, 0, 'no sensitive cell narrower than required');
  t.equal(r.audit.certified, r.primaries, 'every sensitive cell proven by a checked deviation');
  t.equal(r.audit.linearProgrammes, 0);
  // LP work is capped by the table's size: before, all 2,000 LPs ran here (46 s on a loaded machine).
  t.ok(r.secondary.linearProgrammes < 1000, `${r.secondary.linearProgrammes} protection LPs`);
  t.ok(seconds < 40, `built in ${seconds.toFixed(1)} s`);
});

/** A consistent 3-dimension table from random leaf counts (totals summed up the trees). */
const small = tableShape([
  dimensionTree('municipality', labels('m', 6), [{ codeOf: Int32Array.from([0, 0, 0, 1, 1, 1]), labels: ['d0', 'd1'] }]),
  dimensionTree('age', labels('a', 3)), dimensionTree('sex', ['F', 'M']),
]);
const smallConstraints = tableConstraints(small);
function smallTable(leafCounts: readonly number[]): Float64Array {
  const values = new Float64Array(small.cells);
  const [m, a, s] = small.dims;
  let i = 0;
  for (let x = 0; x < m.leaves; x++) for (let y = 0; y < a.leaves; y++) for (let z = 0; z < s.leaves; z++) values[x * small.strides[0] + y * small.strides[1] + z] = leafCounts[i++];
  fillTotals(values, smallConstraints);
  return values;
}

t.test('the last resort of the box search moves any non-empty cell down by up to its value, as a checked deviation (property)', async (t) => {
  let checked = 0;
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 36, maxLength: 36 }), fc.nat(small.cells - 1), fc.double({ min: 0.05, max: 1, noNaN: true }),
    (counts, cell, fraction) => {
      const values = smallTable(counts);
      if (!(values[cell] > 0)) return;
      const down = fraction * values[cell];
      const status = new Uint8Array(small.cells);
      const boxes = new BoxSearch({ shape: small, values, suppressed: new Uint8Array(small.cells), locked: new Uint8Array(small.cells), weights: Float64Array.from(values, (v) => v + 1) });
      const box = boxes.find(cell, 0, down, true);
      t.not(box, null, `a box for cell ${cell}`);
      if (box === null) return;
      for (const c of box.cells) status[c] = SECONDARY;
      status[cell] = PRIMARY;
      const moves = Float64Array.from(box.signs, (s) => -down * s);
      const proof = certifiedMoves(values, status, smallConstraints, { start: Int32Array.from([0, box.cells.length]), cells: box.cells, moves });
      t.equal(proof.rejected, 0, 'the box keeps every total the sum of its parts and no cell below 0');
      t.ok(proof.down[cell] >= down - 1e-9, 'the cell moves down by the level asked');
      checked++;
    },
  ), { numRuns: 300, seed: 12 });
  t.ok(checked > 200, `${checked} boxes checked`);
});
