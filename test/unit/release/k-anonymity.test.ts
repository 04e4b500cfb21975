import t from 'tap';
import fc from 'fast-check';
import { enforceKAnonymity, type KeyVariableCodes } from '../../../src/release/k-anonymity.js';
import { groupByCodes } from '../../../src/release/group-codes.js';

function vars(columns: number[][], cards: number[]): KeyVariableCodes[] {
  return columns.map((c, i) => ({ name: `v${i}`, codes: Int32Array.from(c), cardinality: cards[i] }));
}

/** Group sizes by a naive string key: the oracle for the property. */
function naiveGroupSizes(codes: readonly Int32Array[], n: number): Map<string, number> {
  const sizes = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const key = codes.map((c) => c[i]).join(',');
    sizes.set(key, (sizes.get(key) ?? 0) + 1);
  }
  return sizes;
}

const populationArb = fc.integer({ min: 1, max: 4 }).chain((nVars) => fc.record({
  cards: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: nVars, maxLength: nVars }),
  n: fc.integer({ min: 0, max: 80 }),
  k: fc.integer({ min: 1, max: 12 }),
  seed: fc.integer(),
}));

function population(cards: number[], n: number, seed: number): number[][] {
  let x = seed | 1;
  const next = (): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 2 ** 32; };
  // Skewed draws (squared uniform) so both large and tiny groups occur; some nulls.
  return cards.map((card) => Array.from({ length: n }, () => (next() < 0.1 ? -1 : Math.floor(next() ** 2 * card))));
}

t.test('groups tuples like a naive string-keyed map, null first, rows in order', async (t) => {
  const codes = [Int32Array.from([1, -1, 1, 0, -1]), Int32Array.from([0, 2, 0, 0, 2])];
  const g = groupByCodes(codes, [2, 3], 5);
  t.equal(g.count, 3);
  t.same(Array.from(g.order), [1, 4, 3, 0, 2], '(-1,2) then (0,0) then (1,0)');
  t.same(Array.from(g.size), [2, 1, 2]);
  t.same(Array.from(g.groupOf), [2, 0, 2, 1, 0]);
});

t.test('after suppression every combination occurs >= k times and only values became null', async (t) => {
  fc.assert(fc.property(populationArb, ({ cards, n, k, seed }) => {
    const input = vars(population(cards, n, seed), cards);
    const { codes, report } = enforceKAnonymity(input, k);
    let suppressedTotal = 0;
    for (let v = 0; v < input.length; v++) {
      for (let i = 0; i < n; i++) {
        const before = input[v].codes[i];
        const after = codes[v][i];
        if (after !== before && after !== -1) return false; // a value changed into another value
        if (after !== before) suppressedTotal++;
      }
      if (report.suppressed_values[`v${v}`] !== input[v].codes.filter((c, i) => c !== codes[v][i]).length) return false;
    }
    const sizes = naiveGroupSizes(codes, n);
    if (n < k) {
      // The population itself is below k: all suppressed, and reported.
      return n === 0 || (report.population_below_k && sizes.size === 1 && codes.every((c) => c.every((x) => x === -1)));
    }
    if (report.population_below_k) return false;
    for (const size of sizes.values()) if (size < k) return false;
    const before = naiveGroupSizes(input.map((v) => v.codes), n);
    const violating = [...before.values()].filter((s) => s < k).length;
    return report.groups_before_violating === violating && report.records === n && report.k === k
      && (suppressedTotal === 0) === (report.records_affected === 0);
  }), { numRuns: 400 });
  t.pass('400 random populations are k-anonymous after suppression');
});

t.test('suppresses the variable with most distinct values among the violators first', async (t) => {
  // 6 records share (a=0, b=0); 2 violators differ in b only with distinct b values.
  const a = [0, 0, 0, 0, 0, 0, 0, 0];
  const b = [0, 0, 0, 0, 0, 0, 1, 2];
  const { codes, report } = enforceKAnonymity(vars([a, b], [1, 3]), 2);
  t.same(Array.from(codes[0]), a, 'a is untouched');
  t.same(Array.from(codes[1]), [0, 0, 0, 0, 0, 0, -1, -1]);
  t.same(report.suppressed_values, { v0: 0, v1: 2 });
  t.equal(report.records_affected, 2);
  t.equal(report.groups_before_violating, 2);
  t.equal(report.info_loss_share, 2 / 16);
});

t.test('treats a suppressed value as its own category, not a wildcard', async (t) => {
  // One record already null in b: it must not count towards the (0,0) group.
  const { codes } = enforceKAnonymity(vars([[0, 0, 0], [0, 0, -1]], [1, 1]), 2);
  const sizes = naiveGroupSizes(codes, 3);
  for (const s of sizes.values()) t.ok(s >= 2, 'every group has >= 2');
  t.same(Array.from(codes[1]), [-1, -1, -1]);
  t.same(Array.from(codes[0]), [-1, -1, -1], 'the all-null group took a whole group');
});

t.test('fills a short all-null group from the surplus of compliant groups', async (t) => {
  // k=3: group (0) has 5 records (surplus 2), one record is null already.
  const { codes, report } = enforceKAnonymity(vars([[0, 0, 0, 0, 0, -1]], [1]), 3);
  t.same(Array.from(codes[0]), [0, 0, 0, -1, -1, -1], 'the last two surplus records were moved');
  t.equal(report.records_affected, 2);
  t.equal(report.population_below_k, false);
});

t.test('suppresses everything and reports it when the population is below k', async (t) => {
  const { codes, report } = enforceKAnonymity(vars([[0, 1], [1, 1]], [2, 2]), 5);
  t.same(codes.map((c) => Array.from(c)), [[-1, -1], [-1, -1]]);
  t.equal(report.population_below_k, true);
  t.equal(report.info_loss_share, 1);
});

t.test('leaves a k-anonymous population alone and does not modify its input', async (t) => {
  const input = vars([[0, 0, 1, 1], [2, 2, 0, 0]], [2, 3]);
  const { codes, report } = enforceKAnonymity(input, 2);
  t.same(codes.map((c) => Array.from(c)), [[0, 0, 1, 1], [2, 2, 0, 0]]);
  t.equal(report.records_affected, 0);
  t.equal(report.info_loss_share, 0);
  codes[0][0] = -1;
  t.equal(input[0].codes[0], 0, 'input codes are copied');
});

t.test('handles no key variables with an explicit population size', async (t) => {
  t.equal(enforceKAnonymity([], 5, 3).report.population_below_k, true);
  t.equal(enforceKAnonymity([], 5, 10).report.population_below_k, false);
});

t.test('rejects a k below 1 by code and a code outside the dictionary', async (t) => {
  t.throws(() => enforceKAnonymity(vars([[0]], [1]), 0), { code: 'KOPPEL_ERR_RELEASE_BAD_POLICY' });
  t.throws(() => enforceKAnonymity(vars([[0]], [1]), 2.5), { code: 'KOPPEL_ERR_RELEASE_BAD_POLICY' });
  t.throws(() => enforceKAnonymity(vars([[3]], [2]), 1), RangeError);
});
