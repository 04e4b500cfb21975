import t from 'tap';
import { Int32, Utf8, vectorFromArray } from 'apache-arrow';
import { enforceKAnonymity, type KeyVariableCodes } from '../../../src/release/k-anonymity.js';
import { groupByCodes } from '../../../src/release/group-codes.js';
import { codeKeyVariable } from '../../../src/release/key-variables.js';

function vars(columns: number[][], cards: number[]): KeyVariableCodes[] {
  return columns.map((c, i) => ({ name: `v${i}`, codes: Int32Array.from(c), cardinality: cards[i] }));
}

function groupSizes(codes: readonly Int32Array[], n: number): Map<string, number> {
  const sizes = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const key = codes.map((c) => c[i]).join(',');
    sizes.set(key, (sizes.get(key) ?? 0) + 1);
  }
  return sizes;
}

t.test('groups tuples like a naive string-keyed map, null first, rows in order', async (t) => {
  const codes = [Int32Array.from([1, -1, 1, 0, -1]), Int32Array.from([0, 2, 0, 0, 2])];
  const g = groupByCodes(codes, [2, 3], 5);
  t.equal(g.count, 3);
  t.same(Array.from(g.order), [1, 4, 3, 0, 2], '(-1,2) then (0,0) then (1,0)');
  t.same(Array.from(g.size), [2, 1, 2]);
  t.same(Array.from(g.groupOf), [2, 0, 2, 1, 0]);
});

t.test('suppresses one value of a violator to join a compliant group, not a whole column', async (t) => {
  // (0,0) x3 and (0,null) x3 comply at k=3; record 6 = (0,1) joins (0,null) by losing v1.
  // Null is its own category: losing v1 could not have put it into (0,0).
  const a = [0, 0, 0, 0, 0, 0, 0];
  const b = [0, 0, 0, -1, -1, -1, 1];
  const { codes, report } = enforceKAnonymity(vars([a, b], [1, 2]), { k: 3, suppressionLimit: 1 });
  t.same(Array.from(codes[0]), a, 'the other variable is untouched');
  t.same(Array.from(codes[1]), [0, 0, 0, -1, -1, -1, -1]);
  t.same(report.suppressed_values, { v0: 0, v1: 1 });
  t.equal(report.records_affected, 1);
  t.equal(report.groups_before_violating, 1);
  t.equal(report.info_loss_share, 1 / 11);
  t.equal(report.information_loss, 1 / 11, 'one suppressed cell of the 11 that had a value loses 1');
  t.equal(report.null_semantics, 'own-category');
});

t.test('the order of the key variables is their importance: the later ones are suppressed first', async (t) => {
  // Record 12 = (0,1) can join (0,null) by losing b or (null,1) by losing a.
  const a = [0, 0, 0, -1, -1, -1, 0, 0, 0, 1, 1, 1, 0];
  const b = [-1, -1, -1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1];
  const forward = enforceKAnonymity(vars([a, b], [2, 2]), { k: 3, suppressionLimit: 1 });
  t.same(forward.report.suppressed_values, { v0: 0, v1: 1 });
  const swapped = enforceKAnonymity(vars([b, a], [2, 2]), { k: 3, suppressionLimit: 1 });
  t.same(swapped.report.suppressed_values, { v0: 0, v1: 1 }, 'swapped, the other variable is the one suppressed');
  t.equal(swapped.codes[1][12], -1);
  t.equal(swapped.codes[0][12], 1);
});

t.test('treats a suppressed value as its own category, not a wildcard', async (t) => {
  // One record already null in b: it must not count towards the (0,0) group.
  const { codes } = enforceKAnonymity(vars([[0, 0, 0], [0, 0, -1]], [1, 1]), { k: 2, suppressionLimit: 1 });
  for (const s of groupSizes(codes, 3).values()) t.ok(s >= 2, 'every group has >= 2');
  t.same(Array.from(codes[1]), [-1, -1, -1]);
  t.same(Array.from(codes[0]), [-1, -1, -1], 'the all-null group took a whole group');
});

t.test('fills a short all-null group from the surplus of compliant groups and reports the limit', async (t) => {
  const { codes, report } = enforceKAnonymity(vars([[0, 0, 0, 0, 0, -1]], [1]), { k: 3 });
  t.same(Array.from(codes[0]), [0, 0, 0, -1, -1, -1], 'the last two surplus records were moved');
  t.equal(report.records_affected, 2);
  t.equal(report.population_below_k, false);
  t.equal(report.suppression_limit_exceeded, true, '2 of 6 records is past 1%');
});

t.test('suppresses everything and reports it when the population is below k', async (t) => {
  const { codes, report } = enforceKAnonymity(vars([[0, 1], [1, 1]], [2, 2]), { k: 5 });
  t.same(codes.map((c) => Array.from(c)), [[-1, -1], [-1, -1]]);
  t.equal(report.population_below_k, true);
  t.equal(report.info_loss_share, 1);
  t.equal(report.information_loss, 1);
});

t.test('leaves a k-anonymous population alone and does not modify its input', async (t) => {
  const input = vars([[0, 0, 1, 1], [2, 2, 0, 0]], [2, 3]);
  const { codes, report } = enforceKAnonymity(input, { k: 2 });
  t.same(codes.map((c) => Array.from(c)), [[0, 0, 1, 1], [2, 2, 0, 0]]);
  t.equal(report.records_affected, 0);
  t.equal(report.information_loss, 0);
  t.same(report.generalisation_levels, { v0: 'value', v1: 'value' });
  codes[0][0] = -1;
  t.equal(input[0].codes[0], 0, 'input codes are copied');
});

t.test('generalises along a hierarchy when that loses less than suppressing', async (t) => {
  // 40 persons, birth years 1980..1999 two each: every year is a group of 2 < k = 4; 5-year
  // bands hold 10 each. Bands lose (5-1)/(20-1) per cell; suppressing would lose far more.
  const years = Array.from({ length: 40 }, (_, i) => 1980 + (i >> 1));
  const v = codeKeyVariable('birth_year', vectorFromArray(years, new Int32()).data[0], { bands: [5, 10] });
  const { codes, levels, report } = enforceKAnonymity([v], { k: 4 });
  t.equal(levels[0], 1);
  t.same(report.generalisation_levels, { birth_year: 'bands of 5' });
  t.equal(report.generalised_values.birth_year, 40);
  t.equal(report.suppressed_values.birth_year, 0);
  t.ok(Math.abs(report.information_loss - 4 / 19) < 1e-12, 'each cell loses (5 - 1) / (20 - 1)');
  t.same(v.hierarchy![0].labels.slice(0, 2), ['1980-1984', '1985-1989']);
  for (const s of groupSizes(codes, 40).values()) t.ok(s >= 10);
  t.same(report.lattice.nodes, 4, 'value, 5, 10, *');
});

t.test('respects the suppression limit: suppresses past it only when no node fits, and says so', async (t) => {
  // Without a hierarchy the only node is the values themselves.
  const sex = codeKeyVariable('sex', vectorFromArray(['M', 'M', 'M', 'F'], new Utf8()).data[0], undefined);
  const { report } = enforceKAnonymity([sex], { k: 2, suppressionLimit: 0 });
  t.equal(report.suppression_limit, 0);
  t.equal(report.suppression_limit_exceeded, true);
  t.equal(report.records_affected, 2, 'F and one M form the all-null group');
  const ok = enforceKAnonymity([sex], { k: 1, suppressionLimit: 0 });
  t.equal(ok.report.suppression_limit_exceeded, false);
});

t.test('l-diversity: a group with fewer than l distinct sensitive values is a violator', async (t) => {
  const a = [0, 0, 0, 1, 1, 1];
  const wage = Int32Array.from([1, 2, 3, 4, 4, 4]);
  const plain = enforceKAnonymity(vars([a], [2]), { k: 3 });
  t.equal(plain.report.records_affected, 0, 'k alone is satisfied');
  const { codes, report } = enforceKAnonymity(vars([a], [2]), { k: 3, suppressionLimit: 1, diversity: { name: 'wage', codes: wage, cardinality: 5, l: 2 } });
  t.same(Array.from(codes[0]), [-1, -1, -1, -1, -1, -1], 'the undiverse group merged with a diverse one');
  t.same(report.l_diversity, { attribute: 'wage', l: 2 });
  t.equal(report.groups_before_violating, 1);
  const none = enforceKAnonymity(vars([a], [2]), { k: 3, diversity: { name: 'wage', codes: new Int32Array(6), cardinality: 1, l: 2 } });
  t.equal(none.report.population_below_k, true, 'one sensitive value in all: unattainable, all suppressed');
});

t.test('handles no key variables with an explicit population size', async (t) => {
  t.equal(enforceKAnonymity([], { k: 5, records: 3 }).report.population_below_k, true);
  t.equal(enforceKAnonymity([], { k: 5, records: 10 }).report.population_below_k, false);
});

t.test('rejects a bad k, limit or l by code and a code outside the dictionary', async (t) => {
  t.throws(() => enforceKAnonymity(vars([[0]], [1]), { k: 0 }), { code: 'KOPPEL_ERR_RELEASE_BAD_POLICY' });
  t.throws(() => enforceKAnonymity(vars([[0]], [1]), { k: 2.5 }), { code: 'KOPPEL_ERR_RELEASE_BAD_POLICY' });
  t.throws(() => enforceKAnonymity(vars([[0]], [1]), { k: 2, suppressionLimit: 1.5 }), { code: 'KOPPEL_ERR_RELEASE_BAD_POLICY' });
  t.throws(() => enforceKAnonymity(vars([[0]], [1]), { k: 2, diversity: { name: 's', codes: Int32Array.from([0]), cardinality: 1, l: 0 } }), { code: 'KOPPEL_ERR_RELEASE_BAD_POLICY' });
  t.throws(() => enforceKAnonymity(vars([[3]], [2]), { k: 1 }), RangeError);
  t.throws(() => enforceKAnonymity(vars([[0]], [1]), { k: 1, diversity: { name: 's', codes: Int32Array.from([0, 0]), cardinality: 1, l: 1 } }), RangeError);
});

t.test('prefers forming a group with one value each over joining the all-null group with three', async (t) => {
  // Three persons with no key values form a compliant all-null group at k = 3; three more
  // differ only in c: losing c gives them (0, 0, null) together, one value each.
  const a = [-1, -1, -1, 0, 0, 0];
  const b = [-1, -1, -1, 0, 0, 0];
  const c = [-1, -1, -1, 1, 2, 3];
  const { codes, report } = enforceKAnonymity(vars([a, b, c], [1, 1, 4]), { k: 3, suppressionLimit: 1 });
  t.same(codes.map((x) => Array.from(x)), [a, b, [-1, -1, -1, -1, -1, -1]]);
  t.same(report.suppressed_values, { v0: 0, v1: 0, v2: 3 });
});
