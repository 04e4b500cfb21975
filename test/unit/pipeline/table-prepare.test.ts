import t from 'tap';
import { summarise } from '../../../src/pipeline/table-prepare.js';
import { dimensionTree } from '../../../src/release/tables/dimension-tree.js';
import { loadLpSolver } from '../../../src/release/tables/lp-solver.js';
import { SECONDARY } from '../../../src/release/tables/primary-suppression.js';
import { suppressTable } from '../../../src/release/tables/suppress-table.js';

const highs = await loadLpSolver();

// Four municipalities in two districts, by three age bands, one cell under the threshold.
const muni = dimensionTree('municipality', ['m1', 'm2', 'm3', 'm4'], [{ codeOf: Int32Array.from([0, 0, 1, 1]), labels: ['d1', 'd2'] }]);
const age = dimensionTree('age', ['0-24', '25-49', '50+']);
const COUNTS = [[3, 20, 15], [12, 14, 30], [25, 11, 40], [18, 22, 19]];
const m: number[] = [];
const a: number[] = [];
COUNTS.forEach((row, i) => row.forEach((n, j) => { for (let k = 0; k < n; k++) { m.push(i); a.push(j); } }));
const input = { leaves: [Int32Array.from(m), Int32Array.from(a)], contributor: Int32Array.from(m, (_, i) => i), contributors: m.length, value: null };

t.test('the manifest summary states the loss minimised and the persons held in complementary cells', async (t) => {
  for (const loss of [undefined, 'cells', 'value'] as const) {
    const r = suppressTable(highs, { dimensions: [muni, age], measure: 'persons', ...(loss === undefined ? {} : { loss }) }, input);
    const summary = summarise(r);
    t.equal(summary.loss, loss ?? 'value', `loss ${loss ?? 'by default'}`);
    const expected = r.values.reduce((sum, v, c) => sum + (r.status[c] === SECONDARY ? v : 0), 0);
    t.ok(expected > 0, 'the small cell needed complementary cells');
    t.equal(summary.secondary_value, expected);
    t.ok(summary.suppressed_value >= summary.secondary_value + 3, 'all suppressed cells hold the primary cell too');
  }
});
