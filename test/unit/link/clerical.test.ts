import t from 'tap';
import fc from 'fast-check';
import { ConstrainedUnionFind, Union } from '../../../src/link/assignment.js';
import { DECISION_MATCH, DECISION_NON_MATCH, type ClericalDecisions } from '../../../src/link/clerical-decisions.js';
import { defaultBand } from '../../../src/link/clerical.js';
import { linkRecords } from '../../../src/link/link-records.js';
import { linkSettings } from '../../../src/link/link-settings.js';
import { encodedBelgianWithoutNationalIds } from './link-fixtures.js';

t.test('a forbidden pair never shares a cluster, whatever unions follow', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.nat(29), fc.nat(29)), { maxLength: 6 }),
    fc.array(fc.tuple(fc.nat(29), fc.nat(29)), { maxLength: 60 }),
    (forbidden, unions) => {
      const uf = new ConstrainedUnionFind(Int32Array.of(0, 30), [false]);
      const kept = forbidden.filter(([x, y]) => uf.forbid(x, y));
      for (const [x, y] of unions) uf.union(x, y);
      return kept.every(([x, y]) => uf.find(x) !== uf.find(y));
    },
  ), { numRuns: 300 });
  const uf = new ConstrainedUnionFind(Int32Array.of(0, 3), [false]);
  t.equal(uf.union(0, 1), Union.Merged);
  t.notOk(uf.forbid(0, 1), 'a pair already together cannot be forbidden (the caller counts it)');
  t.ok(uf.forbid(1, 2));
  t.equal(uf.union(0, 2), Union.Rejected, 'a union through another record of the cluster is refused too');
});

t.test('the default review band runs from match probability 0.2 to 0.9, widened to the threshold', async (t) => {
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;
  t.ok(near(defaultBand(0.5).lower, Math.log2(0.25)) && near(defaultBand(0.5).upper, Math.log2(9)), 'log2 odds of 0.2 and 0.9');
  t.ok(near(defaultBand(0.95).upper, Math.log2(19)), 'a threshold above 0.9 raises the upper end to it');
  t.ok(near(defaultBand(0.1).lower, Math.log2(1 / 9)), 'a threshold below 0.2 lowers the lower end to it');
});

t.test('the queue holds the band\'s pairs with each field\'s level and weight; decisions bind the next run', async (t) => {
  const { sources } = encodedBelgianWithoutNationalIds(1200, 33);
  const first = linkRecords(sources, linkSettings());
  const q = first.review!;
  t.ok(q.length > 10, `${q.length} pairs in the default band`);
  t.equal(q.truncated, 0);
  const F = q.fields.length;
  // The total is the prior plus the fields' weights: the same constant for every pair.
  const prior = q.weight[0] - q.fieldWeights.subarray(0, F).reduce((a, b) => a + b, 0);
  let inBand = true; let sums = true;
  for (let i = 0; i < q.length; i++) {
    if (q.weight[i] < q.band.lower || q.weight[i] > q.band.upper) inBand = false;
    const sum = q.fieldWeights.subarray(i * F, i * F + F).reduce((a, b) => a + b, 0);
    if (Math.abs(q.weight[i] - sum - prior) > 1e-9) sums = false;
  }
  t.ok(inBand, 'every pair lies in the band');
  t.ok(sums, 'per pair, the fields\' weights add up to the total (less the prior)');
  t.ok([...q.levels].every((l, i) => l < q.fields[i % F].levels.length), 'levels index their field\'s level names');
  const linkedAt = [...q.linked].indexOf(1);
  const unlinkedAt = [...q.linked].indexOf(0);
  t.ok(linkedAt >= 0 && unlinkedAt >= 0, 'the band holds pairs the threshold linked and pairs it did not');
  const cluster = (r: typeof first, s: number, rec: number) => r.clusters[r.offsets[s] + rec];
  const pick = (i: number) => [q.leftSource[i], q.leftRecord[i], q.rightSource[i], q.rightRecord[i]] as const;
  const [ls, lr, rs, rr] = pick(linkedAt);
  const [us, ur, vs, vr] = pick(unlinkedAt);
  t.equal(cluster(first, ls, lr), cluster(first, rs, rr));
  const decisions: ClericalDecisions = {
    leftSource: Int32Array.of(ls, us), leftRecord: Int32Array.of(lr, ur), rightSource: Int32Array.of(rs, vs), rightRecord: Int32Array.of(rr, vr),
    verdict: Uint8Array.of(DECISION_NON_MATCH, DECISION_MATCH),
  };
  const next = linkRecords(sources, linkSettings({ decisions }));
  t.not(cluster(next, ls, lr), cluster(next, rs, rr), 'a decided non-match is not linked');
  t.equal(cluster(next, us, ur), cluster(next, vs, vr), 'a decided match is linked');
  const asked = (r: typeof next, a: readonly number[]) => {
    for (let i = 0; i < r.review!.length; i++) if (r.review!.leftSource[i] === a[0] && r.review!.leftRecord[i] === a[1] && r.review!.rightSource[i] === a[2] && r.review!.rightRecord[i] === a[3]) return true;
    return false;
  };
  t.notOk(asked(next, [ls, lr, rs, rr]) || asked(next, [us, ur, vs, vr]), 'decided pairs are not queued again');
  t.equal(next.review!.length, q.length - 2, 'every other pair is queued as before');
  const small = linkRecords(sources, linkSettings({ maxReviewPairs: 5, review: { lower: -100, upper: 100 } }));
  t.equal(small.review!.length, 5, 'a full queue stops at its size');
  t.ok(small.review!.truncated > 0, 'and counts what it left out');
});
