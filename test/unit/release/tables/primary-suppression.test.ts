import t from 'tap';
import { dimensionTree } from '../../../../src/release/tables/dimension-tree.js';
import { buildCells } from '../../../../src/release/tables/table-cells.js';
import { tableShape } from '../../../../src/release/tables/table-shape.js';
import {
  DEFAULT_TABLE_POLICY, policyProblems, primarySuppression, PRIMARY, PUBLISHED, REASON_DOMINANCE, REASON_P_PERCENT,
  REASON_THRESHOLD, REASON_ZERO, topContributionsNeeded, type SuppressionPolicy,
} from '../../../../src/release/tables/primary-suppression.js';

const sector = dimensionTree('sector', ['A', 'B']);
const shape = tableShape([sector]);

/** One cell per sector from (sector, contributor, value) records. */
function table(records: readonly [number, number, number][], policy: SuppressionPolicy, magnitude: boolean) {
  const contributors = Math.max(...records.map((r) => r[1])) + 1;
  const stats = buildCells(shape, {
    leaves: [Int32Array.from(records, (r) => r[0])], contributor: Int32Array.from(records, (r) => r[1]), contributors,
    value: magnitude ? Float64Array.from(records, (r) => r[2]) : null,
  }, topContributionsNeeded(policy, magnitude));
  const values = magnitude ? stats.total : Float64Array.from(stats.contributors);
  return { values, ...primarySuppression(values, stats, policy, magnitude) };
}

t.test('threshold rule: a count below T is primary, with protection up to T and down to min(n, T - n)', async (t) => {
  const records: [number, number, number][] = [];
  for (let i = 0; i < 3; i++) records.push([0, i, 1]);
  for (let i = 3; i < 13; i++) records.push([1, i, 1]);
  const r = table(records, DEFAULT_TABLE_POLICY, false);
  t.equal(r.status[0], PRIMARY);
  t.equal(r.reasons[0], REASON_THRESHOLD);
  t.equal(r.upper[0], 7);
  t.equal(r.lower[0], 3);
  t.equal(r.status[1], PUBLISHED, 'exactly T persons is published');
  t.equal(r.status[2], PUBLISHED, 'the total of 13 is published');
});

t.test('one dominant contributor is primary under (1,85) and under p% = 10', async (t) => {
  // Sector A: 12 employers, one with 1000 and eleven with 10 each (1000 / 1110 = 90%).
  const records: [number, number, number][] = [[0, 0, 1000]];
  for (let i = 1; i < 12; i++) records.push([0, i, 10]);
  // Sector B: 12 equal employers, safe under every rule.
  for (let i = 12; i < 24; i++) records.push([1, i, 50]);
  const dominance = table(records, { ...DEFAULT_TABLE_POLICY, dominance: { n: 1, k: 85 }, pPercent: null }, true);
  t.equal(dominance.status[0], PRIMARY);
  t.equal(dominance.reasons[0], REASON_DOMINANCE);
  t.ok(Math.abs(dominance.upper[0] - ((100 / 85) * 1000 - 1110)) < 1e-9, 'upper level: (100/k) x1 - X');
  t.equal(dominance.status[1], PUBLISHED);
  // p%: X - x1 - x2 = 100 >= 0.1 * 1000, so A is safe under p% = 10 ... 
  const pSafe = table(records, { ...DEFAULT_TABLE_POLICY, dominance: null, pPercent: 10 }, true);
  t.equal(pSafe.status[0], PUBLISHED, 'the others add up to more than p% of the largest');
  // ... but with the others adding to less than 10% of the largest it is not.
  const tight: [number, number, number][] = [[0, 0, 1000]];
  for (let i = 1; i < 12; i++) tight.push([0, i, 8]);
  const p = table(tight, { ...DEFAULT_TABLE_POLICY, dominance: null, pPercent: 10 }, true);
  t.equal(p.status[0], PRIMARY);
  t.equal(p.reasons[0], REASON_P_PERCENT);
  t.ok(Math.abs(p.upper[0] - (100 - 80)) < 1e-9, 'upper level: (p/100) x1 - (X - x1 - x2)');
});

t.test('one employer with many records is one contributor', async (t) => {
  // Sector A: one employer's 20 records; under the threshold rule it is 1 contributor, not 20.
  const records: [number, number, number][] = [];
  for (let i = 0; i < 20; i++) records.push([0, 0, 5]);
  for (let i = 1; i < 13; i++) records.push([1, i, 5]);
  const r = table(records, DEFAULT_TABLE_POLICY, true);
  t.equal(r.status[0], PRIMARY);
  t.ok((r.reasons[0] & REASON_THRESHOLD) !== 0);
});

t.test('zero cells are published by default and suppressed when the policy says so', async (t) => {
  const records: [number, number, number][] = [];
  for (let i = 0; i < 12; i++) records.push([1, i, 1]);
  t.equal(table(records, DEFAULT_TABLE_POLICY, false).status[0], PUBLISHED);
  const r = table(records, { ...DEFAULT_TABLE_POLICY, zeroCells: 'suppress' }, false);
  t.equal(r.status[0], PRIMARY);
  t.equal(r.reasons[0], REASON_ZERO);
});

t.test('policy problems are all listed', async (t) => {
  t.same(policyProblems(DEFAULT_TABLE_POLICY), []);
  const problems = policyProblems({ minFrequency: 0, dominance: { n: 0, k: 120 }, pPercent: -1, zeroCells: 'maybe' as 'publish' });
  t.equal(problems.length, 4);
});
