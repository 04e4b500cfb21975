import t from 'tap';
import fc from 'fast-check';
import { dimensionTree } from '../../../../src/release/tables/dimension-tree.js';
import { loadLpSolver } from '../../../../src/release/tables/lp-solver.js';
import { ProtectionLp } from '../../../../src/release/tables/protection-lp.js';
import { protectionWindow } from '../../../../src/release/tables/protection-window.js';
import { decompose } from '../../../../src/release/tables/subtables.js';
import { tableConstraints, tableShape } from '../../../../src/release/tables/table-shape.js';
import { fillTotals, keepsRowsAdditive } from '../../../fixtures/table-constraints.js';

const highs = await loadLpSolver();

// 9 municipalities in 2 districts, by 10 age bands and sex: the district subtables are wider
// than a window (a margin, the cell's node and four siblings per dimension).
const labels = (p: string, k: number) => Array.from({ length: k }, (_, i) => `${p}${i}`);
const muni = dimensionTree('municipality', labels('m', 9), [{ codeOf: Int32Array.from([0, 0, 0, 0, 0, 0, 0, 1, 1]), labels: ['d0', 'd1'] }]);
const age = dimensionTree('age', labels('a', 10));
const sex = dimensionTree('sex', ['F', 'M']);
const shape = tableShape([muni, age, sex]);
const constraints = tableConstraints(shape);
const { subtables } = decompose(shape);
const d0 = subtables.find((s) => s.parents[0] === muni.labels.indexOf('d0'));
if (d0 === undefined) throw new Error('no subtable for d0');

/** A consistent table from random leaf counts: every total the sum of its parts. */
function table(leafCounts: readonly number[]): Float64Array {
  const values = new Float64Array(shape.cells);
  let i = 0;
  for (let m = 0; m < muni.leaves; m++) for (let a = 0; a < age.leaves; a++) for (let s = 0; s < sex.leaves; s++) values[m * shape.strides[0] + a * shape.strides[1] + s] = leafCounts[i++ % leafCounts.length];
  fillTotals(values, constraints);
  return values;
}

t.test('a window keeps the margin, the cell and four siblings per dimension, and every row through them', async (t) => {
  const values = table([5, 12, 30, 0, 8]);
  const local = d0.cells.indexOf(muni.labels.indexOf('m2') * shape.strides[0] + age.labels.indexOf('a3') * shape.strides[1]);
  const w = protectionWindow(shape, d0, local, values, new Uint8Array(shape.cells));
  t.equal(w.region.cells[w.local], d0.cells[local], 'the sensitive cell is in the window');
  // d0 and its 7 municipalities: 1 + 1 + 4 kept; age: the total and 10 bands: 1 + 1 + 4; sex: all 3.
  t.equal(w.region.cells.length, 6 * 6 * 3);
  t.ok(w.region.cells.length < d0.cells.length / 2, `${w.region.cells.length} of ${d0.cells.length} cells`);
  for (let j = 0; j < w.region.cells.length; j++) t.equal(w.region.marginAbove[j], d0.marginAbove[d0.cells.indexOf(w.region.cells[j])]);
});

t.test('a protection found in a window is a deviation of the whole table (property)', async (t) => {
  let solved = 0;
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 20, maxLength: 20 }),
    fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.boolean(),
    (counts, m, a, level, up) => {
      const values = table(counts);
      const suppressed = Uint8Array.from(values, (v, c) => (c % 7 === 0 ? 1 : 0));
      const local = d0.cells.indexOf(m * shape.strides[0] + a * shape.strides[1]);
      const w = protectionWindow(shape, d0, local, values, suppressed);
      const lp = new ProtectionLp(highs, w.region, values, new Float64Array(shape.cells).fill(1), suppressed);
      const target = up ? level : -Math.min(level, values[d0.cells[local]]);
      let moves: number[] | null;
      try { moves = lp.solve([w.local], [target]); } finally { lp.dispose(); }
      if (moves === null) return true; // no protection in the window: the whole subtable is tried next
      solved++;
      const y = new Float64Array(shape.cells);
      for (let i = 0; i < moves.length; i += 2) y[moves[i]] = moves[i + 1];
      if (Math.abs(y[d0.cells[local]] - target) > 1e-6) return false;
      for (let c = 0; c < shape.cells; c++) if (values[c] + y[c] < -1e-6) return false;
      if (!keepsRowsAdditive(y, constraints)) return false;
      return true;
    },
  ), { numRuns: 60 });
  t.ok(solved > 20, `${solved} windows held a protection`);
});

t.test('a move carried down over a window around the moved margins is a deviation of the subtable with those margins held (property)', async (t) => {
  let solved = 0;
  const at = (m: number, a: number, s: number) => d0.cells.indexOf(m * shape.strides[0] + a * shape.strides[1] + s);
  const d0Node = muni.labels.indexOf('d0');
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 20, maxLength: 20 }),
    fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 6 }),
    (counts, a1, a2, size) => {
      if (a1 === a2) return true;
      const values = table(counts);
      const suppressed = new Uint8Array(shape.cells);
      // The subtable above moved district d0 by a 2 x 2 box: ages a1, a2 by sex.
      const fixed = [at(d0Node, a1, 0), at(d0Node, a1, 1), at(d0Node, a2, 0), at(d0Node, a2, 1)];
      const move = [size, -size, -size, size];
      if (fixed.some((j, i) => values[d0.cells[j]] + move[i] < 0)) return true;
      const w = protectionWindow(shape, d0, fixed[0], values, suppressed, fixed);
      t.ok(fixed.every((j) => w.inWindow[j] >= 0), 'every moved margin is in the window');
      const lp = new ProtectionLp(highs, w.region, values, new Float64Array(shape.cells).fill(1), suppressed);
      let moves: number[] | null;
      try { moves = lp.solve(fixed.map((j) => w.inWindow[j]), move); } finally { lp.dispose(); }
      if (moves === null) return true;
      solved++;
      const y = new Float64Array(d0.cells.length);
      for (let i = 0; i < moves.length; i += 2) y[d0.cells.indexOf(moves[i])] = moves[i + 1];
      for (let j = 0; j < d0.cells.length; j++) {
        const k = fixed.indexOf(j);
        if (k >= 0 ? Math.abs(y[j] - move[k]) > 1e-6 : d0.marginAbove[j] === 1 && Math.abs(y[j]) > 1e-6) return false;
        if (values[d0.cells[j]] + y[j] < -1e-6) return false;
      }
      if (!keepsRowsAdditive(y, d0)) return false;
      return true;
    },
  ), { numRuns: 60 });
  t.ok(solved > 20, `${solved} carry-downs solved in the window`);
});
