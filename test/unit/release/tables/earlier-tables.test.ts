import t, { type Test } from 'tap';
import { loadLpSolver } from '../../../../src/release/tables/lp-solver.js';
import { dimensionTree, type DimensionTree } from '../../../../src/release/tables/dimension-tree.js';
import { REASON_EARLIER } from '../../../../src/release/tables/earlier-tables.js';
import { PRIMARY, PUBLISHED } from '../../../../src/release/tables/primary-suppression.js';
import { suppressTable, type EarlierTable, type SuppressedTable } from '../../../../src/release/tables/suppress-table.js';
import { jointAudit, type PublishedTable } from '../../../fixtures/linked-tables.js';

const highs = await loadLpSolver();

const muni = dimensionTree('municipality', ['m1', 'm2', 'm3', 'm4'], [{ codeOf: Int32Array.from([0, 0, 1, 1]), labels: ['d1', 'd2'] }]);
const age = dimensionTree('age', ['0-24', '25-49', '50+']);
const sex = dimensionTree('sex', ['F', 'M']);

/** Persons with one leaf per dimension each: `rows` lists [count, ...leaf per dimension]. */
function persons(rows: readonly (readonly number[])[]) {
  const dims = rows[0].length - 1;
  const leaves: number[][] = Array.from({ length: dims }, () => []);
  for (const [count, ...coords] of rows) for (let k = 0; k < count; k++) coords.forEach((v, d) => leaves[d].push(v));
  const n = leaves[0].length;
  return { leaves: leaves.map((l) => Int32Array.from(l)), contributor: Int32Array.from({ length: n }, (_, i) => i), contributors: n, value: null };
}

const earlierOf = (dimensions: readonly DimensionTree[], r: SuppressedTable): EarlierTable => ({ dimensions, measure: 'persons', values: r.values, status: r.status });
const published = (dimensions: readonly DimensionTree[], r: SuppressedTable): PublishedTable => ({ dimensions, values: r.values, status: r.status, upper: r.upper, lower: r.lower });

/** Every primary cell of the pair keeps its protection interval against the attacker who has both tables. */
function checkPair(t: Test, tables: PublishedTable[]) {
  const joint = jointAudit(highs, tables);
  let primaries = 0;
  for (let v = 0; v < joint.values.length; v++) {
    if (joint.status[v] !== PRIMARY) continue;
    primaries++;
    const tol = 1e-6 * Math.max(1, joint.values[v]);
    t.ok(joint.audit.max[v] - joint.values[v] >= joint.upper[v] - tol && joint.values[v] - joint.audit.min[v] >= joint.lower[v] - tol,
      `primary cell ${v} keeps its interval given both tables`);
  }
  t.ok(primaries > 0, 'the pair has sensitive cells');
  t.equal(joint.audit.failed, 0);
}

// Persons by municipality, age and quarter: municipality m1 is small in both quarters.
const quarterRows = (quarters: number) => {
  const rows: number[][] = [];
  for (let q = 0; q < quarters; q++) {
    for (let m = 0; m < 4; m++) for (let a = 0; a < 3; a++) rows.push([m === 0 ? 2 + a + q : 12 + 3 * m + 2 * a + 5 * q, m, a, q]);
  }
  return rows;
};

t.test('two consecutive quarters: suppressed once stays suppressed, published stays published, and the pair gives nothing away', async (t) => {
  const q1 = dimensionTree('quarter', ['2024Q1']);
  const q12 = dimensionTree('quarter', ['2024Q1', '2024Q2']);
  const first = suppressTable(highs, { dimensions: [muni, age, q1], measure: 'persons' }, persons(quarterRows(1)));
  const second = suppressTable(highs, { dimensions: [muni, age, q12], measure: 'persons' }, persons(quarterRows(2)), {
    earlier: [earlierOf([muni, age, q1], first)],
  });
  t.equal(second.earlier.linked, 1);
  t.ok(second.earlier.sharedCells > 0);
  // Cell (municipality, age, 2024Q1) is the same cell in both.
  const cellOf = (r: SuppressedTable, m: number, a: number, q: number) => (m * age.size + a) * r.shape.dims[2].size + q;
  let kept = 0;
  for (let m = 0; m < muni.size; m++) {
    for (let a = 0; a < age.size; a++) {
      const before = first.status[cellOf(first, m, a, 0)];
      const after = second.status[cellOf(second, m, a, 0)];
      t.equal(after === PUBLISHED, before === PUBLISHED, `cell ${muni.labels[m]}/${age.labels[a]}/2024Q1 keeps its status`);
      if (before !== PUBLISHED && first.status[cellOf(first, m, a, 0)] !== PRIMARY) kept++;
    }
  }
  t.ok(first.status.some((s) => s !== PUBLISHED), 'the first quarter suppressed cells');
  void kept;
  checkPair(t, [published([muni, age, q1], first), published([muni, age, q12], second)]);
});

t.test('two tables sharing a marginal (municipality totals) leave no primary cell recomputable from the pair', async (t) => {
  const rows: number[][] = [];
  for (let m = 0; m < 4; m++) for (let a = 0; a < 3; a++) for (let s = 0; s < 2; s++) rows.push([m === 0 ? 1 + a : m === 1 && a === 2 ? 3 + s : 8 + m + a + s, m, a, s]);
  const input = persons(rows);
  const byAge = { ...input, leaves: [input.leaves[0], input.leaves[1]] };
  const bySex = { ...input, leaves: [input.leaves[0], input.leaves[2]] };
  const a = suppressTable(highs, { dimensions: [muni, age], measure: 'persons' }, byAge);
  const b = suppressTable(highs, { dimensions: [muni, sex], measure: 'persons' }, bySex, { earlier: [earlierOf([muni, age], a)] });
  t.equal(b.earlier.linked, 1);
  t.equal(b.earlier.sharedCells, muni.size, 'the municipality totals are shared');
  for (let m = 0; m < muni.size; m++) {
    const total = (r: SuppressedTable, size: number) => r.status[m * size + size - 1];
    t.equal(total(b, sex.size) === PUBLISHED, total(a, age.size) === PUBLISHED, `${muni.labels[m]} total has one status in both`);
  }
  checkPair(t, [published([muni, age], a), published([muni, sex], b)]);
  // Without the earlier table, the second table alone may well publish what the first suppressed.
  const alone = suppressTable(highs, { dimensions: [muni, sex], measure: 'persons' }, bySex);
  t.equal(alone.earlier.linked, 0);
});

t.test('a cell suppressed before is suppressed again with its own reason, and one published before stays published', async (t) => {
  const rows: number[][] = [];
  for (let m = 0; m < 4; m++) for (let a = 0; a < 3; a++) rows.push([15 + m + a, m, a]);
  const input = persons(rows);
  const first = suppressTable(highs, { dimensions: [muni, age], measure: 'persons' }, input);
  t.equal(first.primaries, 0);
  const status = first.status.slice();
  const m2old = 1 * age.size + 1; // m2 / 25-49: suppressed in an earlier table (say by a stricter policy)
  status[m2old] = PRIMARY;
  const rowsSmall = rows.map((r) => (r[1] === 0 && r[2] === 0 ? [4, 0, 0] : r)); // m1/0-24 now 4 persons: a different value, not shared
  const again = suppressTable(highs, { dimensions: [muni, age], measure: 'persons' }, persons(rowsSmall), {
    earlier: [{ dimensions: [muni, age], measure: 'persons', values: first.values, status }],
  });
  t.equal(again.status[m2old], PRIMARY, 'suppressed once, suppressed always');
  t.ok((again.reasons[m2old] & REASON_EARLIER) !== 0, 'marked with its own reason');
  t.equal(again.status[0], PRIMARY, 'a cell with another value now is judged on its own');
  t.ok(again.earlier.differing > 0, 'cells whose value changed are counted, not shared');
  t.equal(again.audit.narrow, 0);
  // A cell published before stays published even where the rules now flag it.
  const lower = { ...{ minFrequency: 30 } };
  const strict = suppressTable(highs, { dimensions: [muni, age], measure: 'persons', policy: lower }, input, {
    earlier: [{ dimensions: [muni, age], measure: 'persons', values: first.values, status: first.status }],
  });
  t.equal(strict.primaries, 0, 'every cell was public already');
  t.ok(strict.earlier.publishedBefore > 0);
  t.ok(strict.status.every((s) => s === PUBLISHED));
});

t.test('earlier tables of another measure, or with no shared cell, are not linked; a malformed one is refused', async (t) => {
  const rows: number[][] = [];
  for (let m = 0; m < 4; m++) for (let a = 0; a < 3; a++) rows.push([m === 0 && a === 0 ? 3 : 15 + m + a, m, a]);
  const input = persons(rows);
  const first = suppressTable(highs, { dimensions: [muni, age], measure: 'persons' }, input);
  const records = suppressTable(highs, { dimensions: [muni, age], measure: 'persons' }, input, {
    earlier: [{ ...earlierOf([muni, age], first), measure: 'records' }],
  });
  t.equal(records.earlier.linked, 0);
  const other = dimensionTree('region', ['r1']);
  const unrelated = suppressTable(highs, { dimensions: [muni, age], measure: 'persons' }, input, {
    earlier: [{ dimensions: [other], measure: 'persons', values: Float64Array.of(5, 5), status: new Uint8Array(2) }],
  });
  t.equal(unrelated.earlier.linked, 0);
  t.throws(() => suppressTable(highs, { dimensions: [muni, age], measure: 'persons' }, input, {
    earlier: [{ dimensions: [muni, age], measure: 'persons', values: new Float64Array(3), status: new Uint8Array(3) }],
  }), { code: 'KOPPEL_ERR_RELEASE_BAD_TABLE' });
});

t.test('a municipality total the first table suppressed is not published by a second table that shares it', async (t) => {
  // m1/0-24 holds 3 persons; the first table protected it through the m1 and m2 totals.
  const rows: number[][] = [];
  for (let m = 0; m < 4; m++) for (let a = 0; a < 3; a++) for (let s = 0; s < 2; s++) rows.push([m === 0 && a === 0 ? 1 + s : 10 + m + a + s, m, a, s]);
  const input = persons(rows);
  const byAge = { ...input, leaves: [input.leaves[0], input.leaves[1]] };
  const bySex = { ...input, leaves: [input.leaves[0], input.leaves[2]] };
  const a = suppressTable(highs, { dimensions: [muni, age], measure: 'persons', policy: { minFrequency: 1 } }, byAge);
  const at = (m: string, g: string) => muni.labels.indexOf(m) * age.size + age.labels.indexOf(g);
  const status = new Uint8Array(a.values.length);
  status[at('m1', '0-24')] = PRIMARY;
  for (const c of [at('m2', '0-24'), at('m1', 'Total'), at('m2', 'Total')]) status[c] = 2;
  const upper = new Float64Array(a.values.length);
  const lower = new Float64Array(a.values.length);
  upper[at('m1', '0-24')] = 7;
  lower[at('m1', '0-24')] = 3;
  const first: PublishedTable = { dimensions: [muni, age], values: a.values, status, upper, lower };
  const alone = suppressTable(highs, { dimensions: [muni, sex], measure: 'persons' }, bySex);
  const exposed = jointAudit(highs, [first, published([muni, sex], alone)]);
  const m1young = exposed.ids[0][at('m1', '0-24')];
  t.equal(exposed.audit.max[m1young] - exposed.audit.min[m1young], 0, 'built alone, the second table gives the cell away');
  const b = suppressTable(highs, { dimensions: [muni, sex], measure: 'persons' }, bySex, {
    earlier: [{ dimensions: [muni, age], measure: 'persons', values: a.values, status }],
  });
  t.not(b.status[0 * sex.size + sex.size - 1], PUBLISHED, 'm1 total stays suppressed');
  t.not(b.status[1 * sex.size + sex.size - 1], PUBLISHED, 'm2 total stays suppressed');
  checkPair(t, [first, published([muni, sex], b)]);
});
