import t from 'tap';
import { loadLpSolver } from '../../../../src/release/tables/lp-solver.js';
import { dimensionTree } from '../../../../src/release/tables/dimension-tree.js';
import { auditSuppression } from '../../../../src/release/tables/suppression-audit.js';
import { hypercubeBaseline } from '../../../../src/release/tables/hypercube-baseline.js';
import { PRIMARY, PUBLISHED, SECONDARY } from '../../../../src/release/tables/primary-suppression.js';
import { suppressTable, type TableSpec } from '../../../../src/release/tables/suppress-table.js';
import { tableConstraints, tableShape } from '../../../../src/release/tables/table-shape.js';
import { fillTotals } from '../../../fixtures/table-constraints.js';

const highs = await loadLpSolver();

// Four municipalities in two districts, by three age bands: a person table.
const muni = dimensionTree('municipality', ['m1', 'm2', 'm3', 'm4'], [{ codeOf: Int32Array.from([0, 0, 1, 1]), labels: ['d1', 'd2'] }]);
const age = dimensionTree('age', ['0-24', '25-49', '50+']);
const cell = (m: string, a: string) => muni.labels.indexOf(m) * age.size + age.labels.indexOf(a);

function persons(counts: readonly (readonly number[])[]) {
  const m: number[] = [];
  const a: number[] = [];
  counts.forEach((row, i) => row.forEach((n, j) => { for (let k = 0; k < n; k++) { m.push(i); a.push(j); } }));
  return { leaves: [Int32Array.from(m), Int32Array.from(a)], contributor: Int32Array.from(m, (_, i) => i), contributors: m.length, value: null };
}

const COUNTS = [[3, 20, 15], [12, 14, 30], [25, 11, 40], [18, 22, 19]];
const spec: TableSpec = { dimensions: [muni, age], measure: 'persons' };

t.test('a cell below the threshold is suppressed, and its row and column each get a secondary suppression', async (t) => {
  const r = suppressTable(highs, spec, persons(COUNTS));
  t.equal(r.status[cell('m1', '0-24')], PRIMARY);
  t.equal(r.primaries, 1);
  const inRow = age.labels.filter((a) => a !== '0-24' && r.status[cell('m1', a)] === SECONDARY);
  const inColumn = muni.labels.filter((m) => m !== 'm1' && r.status[cell(m, '0-24')] === SECONDARY);
  t.ok(inRow.length >= 1, 'the row of the primary cell holds a complementary suppression');
  t.ok(inColumn.length >= 1, 'so does its column');
  t.equal(r.audit.narrow, 0);
  t.equal(r.audit.certified, 1, 'the build proves the primary cell protected by a checked deviation');
  const lp = auditSuppression(highs, { values: r.values, status: r.status, upper: r.upper, lower: r.lower, constraints: tableConstraints(r.shape), cells: 'all' });
  const c = cell('m1', '0-24');
  t.ok(lp.max[c] - 3 >= 7 - 1e-6, 'the attacker cannot show the cell is below the threshold');
  t.ok(3 - lp.min[c] >= 3 - 1e-6, 'nor pin it above zero');
  t.equal(r.status[cell('Total', 'Total')], PUBLISHED, 'the grand total stays published');
});

t.test('a table with no sensitive cell publishes everything', async (t) => {
  const r = suppressTable(highs, spec, persons(COUNTS.map((row) => row.map((n) => n + 10))));
  t.equal(r.primaries, 0);
  t.equal(r.secondary.secondaries, 0);
  t.equal(r.audit.suppressed, 0);
});

t.test('a mean table suppresses on sums and publishes means', async (t) => {
  const input = persons(COUNTS);
  const value = Float64Array.from(input.contributor, (i) => 1000 + (i % 7) * 100);
  const r = suppressTable(highs, { ...spec, measure: 'mean' }, { ...input, value });
  const c = cell('m4', '50+');
  t.ok(Math.abs(r.published[c] - r.values[c] / 19) < 1e-9);
  t.equal(r.status[cell('m1', '0-24')], PRIMARY);
  t.equal(r.audit.narrow, 0);
});

t.test('bad specifications are refused with every problem listed', async (t) => {
  t.throws(() => suppressTable(highs, { ...spec, policy: { minFrequency: 0, pPercent: 200 } }, persons(COUNTS)), {
    code: 'KOPPEL_ERR_RELEASE_BAD_TABLE',
  });
  t.throws(() => suppressTable(highs, { ...spec, measure: 'median' as 'sum' }, persons(COUNTS)), { code: 'KOPPEL_ERR_RELEASE_BAD_TABLE' });
  t.throws(() => suppressTable(highs, { ...spec, measure: 'sum' }, persons(COUNTS)), { code: 'KOPPEL_ERR_RELEASE_BAD_TABLE' }, 'a sum needs values');
  const twice = persons(COUNTS);
  twice.contributor[1] = 0; // one person in two age bands: person counts no longer add up
  twice.leaves[1][1] = 2;
  t.throws(() => suppressTable(highs, spec, twice), { code: 'KOPPEL_ERR_RELEASE_BAD_TABLE' }, 'a person in two cells of a person count');
  t.doesNotThrow(() => suppressTable(highs, { ...spec, measure: 'records' }, twice), 'records add up');
});

t.test('the audit finds a primary cell that the published cells give away', async (t) => {
  const shape = tableShape([muni, age]);
  const values = new Float64Array(shape.cells);
  const flat = COUNTS.flat();
  // Fill the leaves, then every total, from the constraints (totals come after their parts in each row).
  COUNTS.forEach((row, i) => row.forEach((n, j) => { values[i * age.size + j] = n; }));
  const constraints = tableConstraints(shape);
  fillTotals(values, constraints);
  t.equal(values[cell('Total', 'Total')], flat.reduce((a, b) => a + b, 0));
  const status = new Uint8Array(shape.cells);
  const upper = new Float64Array(shape.cells);
  const lower = new Float64Array(shape.cells);
  const c = cell('m1', '0-24');
  status[c] = PRIMARY;
  upper[c] = 7;
  lower[c] = 3;
  const alone = auditSuppression(highs, { values, status, upper, lower, constraints, cells: 'all' });
  t.equal(alone.narrow, 1, 'a lone suppression is recomputed from its row');
  t.equal(alone.exact, 1);
  t.equal(alone.min[c], 3);
  t.equal(alone.max[c], 3);
  // The baseline closes every row and column with one suppression.
  const added = hypercubeBaseline(values, status, constraints);
  t.ok(added >= 3, 'the baseline adds complements');
  const after = auditSuppression(highs, { values, status, upper, lower, constraints, cells: 'primary' });
  t.equal(after.exact, 0, 'no suppressed cell is recomputable exactly after the baseline');
});

t.test('a certificate that breaks a sum, or moves a published cell, proves nothing', async (t) => {
  const r = suppressTable(highs, spec, persons(COUNTS));
  const constraints = tableConstraints(r.shape);
  const { deviations } = r.secondary;
  const broken = { ...deviations, moves: deviations.moves.map((y, i) => (i === 0 ? y * 2 : y)) };
  const audit = (certificates: typeof deviations, status = r.status) => auditSuppression(highs, {
    values: r.values, status, upper: r.upper, lower: r.lower, constraints, cells: 'primary', certificates,
  });
  const bad = audit(broken);
  t.ok(bad.rejectedCertificates >= 1);
  t.equal(bad.narrow, 0, 'the LP still finds the cell protected');
  const status = r.status.slice();
  status[deviations.cells[1]] = PUBLISHED;
  const published = audit(deviations, status);
  t.ok(published.rejectedCertificates >= 1, 'a deviation through a published cell is rejected');
});
