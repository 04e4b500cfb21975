import t from 'tap';
import { BoxSearch } from '../../../../src/release/tables/box-search.js';
import { dimensionTree } from '../../../../src/release/tables/dimension-tree.js';
import { loadLpSolver } from '../../../../src/release/tables/lp-solver.js';
import { PRIMARY, PUBLISHED, SECONDARY } from '../../../../src/release/tables/primary-suppression.js';
import { pruneSecondaries } from '../../../../src/release/tables/prune-secondaries.js';
import { suppressTable } from '../../../../src/release/tables/suppress-table.js';
import { auditSuppression } from '../../../../src/release/tables/suppression-audit.js';
import { tableConstraints, tableShape } from '../../../../src/release/tables/table-shape.js';

const highs = await loadLpSolver();
const row = dimensionTree('row', ['r0', 'r1', 'r2']);
const col = dimensionTree('col', ['c0', 'c1', 'c2']);

/** Leaf counts [row][col] with every total filled in. */
function table(leaves: number[][]) {
  const shape = tableShape([row, col]);
  const at = (r: number, c: number) => r * shape.strides[0] + c * shape.strides[1];
  const values = new Float64Array(shape.cells);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      const v = leaves[r][c];
      for (const rr of [r, 3]) for (const cc of [c, 3]) values[at(rr, cc)] += v;
    }
  }
  return { shape, at, values };
}

t.test('of two boxes protecting the same cell, the pruning publishes the one through large cells and keeps the small one', async (t) => {
  const { shape, at, values } = table([[3, 20, 500], [20, 20, 30], [500, 30, 500]]);
  const p = at(0, 0);
  const small = [at(0, 1), at(1, 0), at(1, 1)];
  const large = [at(0, 2), at(2, 0), at(2, 2)];
  const status = new Uint8Array(shape.cells);
  status[p] = PRIMARY;
  for (const c of [...small, ...large]) status[c] = SECONDARY;
  const upper = new Float64Array(shape.cells);
  const lower = new Float64Array(shape.cells);
  upper[p] = 7;
  lower[p] = 3;
  // Each box as two deviations: up by 7, down by 3 (+p, -beside in the row, -beside in the column, +opposite).
  const cells: number[] = [];
  const moves: number[] = [];
  const start = [0];
  for (const [a, b, c] of [small, large]) {
    for (const size of [7, -3]) {
      cells.push(p, a, b, c);
      moves.push(size, -size, -size, size);
      start.push(cells.length);
    }
  }
  const suppressed = Uint8Array.from(status, (s) => (s === PUBLISHED ? 0 : 1));
  const locked = new Uint8Array(shape.cells);
  const boxes = new BoxSearch({ shape, values, suppressed, locked, weights: new Float64Array(shape.cells).fill(1) });
  const deviations = { start: Int32Array.from(start), cells: Int32Array.from(cells), moves: Float64Array.from(moves) };
  const pruned = pruneSecondaries({ values, status, upper, lower, suppressed, locked, boxes, deviations, candidates: [...small, ...large] });
  t.equal(pruned.republished, 3);
  t.same(large.map((c) => status[c]), [PUBLISHED, PUBLISHED, PUBLISHED], 'the cells of 500 persons are published again');
  t.same(small.map((c) => status[c]), [SECONDARY, SECONDARY, SECONDARY], 'the small box stays: without it the cell of 3 would be open');
  const audit = auditSuppression(highs, { values, status, upper, lower, constraints: tableConstraints(shape), cells: 'primary', certificates: pruned.deviations });
  t.equal(audit.narrow, 0, 'the attacker still cannot narrow the cell of 3');
  t.equal(audit.certified, 1, 'the kept deviations certify it');
});

t.test('after pruning, every complementary cell is moved by a deviation the audit checks, and the audit passes', async (t) => {
  const muni = dimensionTree('municipality', ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'], [{ codeOf: Int32Array.from([0, 0, 0, 1, 1, 1]), labels: ['d1', 'd2'] }]);
  const age = dimensionTree('age', ['a1', 'a2', 'a3', 'a4']);
  const leaves: number[][] = [[], []];
  let seed = 7;
  const next = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  for (let m = 0; m < 6; m++) {
    for (let a = 0; a < 4; a++) {
      const n = next() < 0.3 ? 1 + Math.floor(next() * 8) : 10 + Math.floor(next() * 400);
      for (let k = 0; k < n; k++) { leaves[0].push(m); leaves[1].push(a); }
    }
  }
  const count = leaves[0].length;
  const result = suppressTable(highs, { dimensions: [muni, age], measure: 'persons' }, {
    leaves: leaves.map((l) => Int32Array.from(l)), contributor: Int32Array.from({ length: count }, (_, i) => i), contributors: count, value: null,
  });
  t.ok(result.primaries > 0);
  t.equal(result.audit.narrow, 0);
  const moved = new Set(result.secondary.deviations.cells);
  const secondaries = [...result.status.keys()].filter((c) => result.status[c] === SECONDARY);
  t.equal(secondaries.length, result.secondary.secondaries, 'the report counts the cells left suppressed');
  t.ok(secondaries.every((c) => moved.has(c)), 'no complementary cell is suppressed for nothing');
});
