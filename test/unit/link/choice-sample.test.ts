import t from 'tap';
import fc from 'fast-check';
import type { BlockingRule, SourcePair } from '../../../src/link/blocking.js';
import { countRulePairs, ruleKeys } from '../../../src/link/rule-keys.js';
import { chooseBlockingRules } from '../../../src/link/blocking-choice.js';
import { FULL_SAMPLE_ABOVE, fullLinkSample, sampledRows, incrementalSample } from '../../../src/link/choice-sample.js';
import type { FieldIndex } from '../../../src/link/field-index.js';
import type { LinkFrame } from '../../../src/link/link-frame.js';

/**
 * Two sources holding the same N people in the same order (row p of each is person p), the
 * case where taking every k-th record of both sides keeps each true pair with probability 1/k.
 * Field 0 is selective (one id per person; 2% of source 1's values mistyped, so unmatched),
 * field 1 coarse (40 values), field 2 in between (100,000 values, spread by a multiplier).
 */
function sameOrderIndex(n: number): FieldIndex[] {
  const column = (s: number, key: (p: number) => number) => Int32Array.from({ length: n }, (_, p) => key(p) + (s === 1 && key === selective && p % 50 === 7 ? n : 0));
  const selective = (p: number) => p;
  const keys = [selective, (p: number) => p % 40, (p: number) => (p * 7919) % 100_000];
  return keys.map((key, f) => ({
    field: f, name: `f${f}`, type: 'code' as const, ids: [[column(0, key), column(1, key)]],
    wholeCounts: new Int32Array(0), present: 2 * n, globalIds: null,
  }));
}

const N = 1_500_000;
const index = sameOrderIndex(N);
const pairs: SourcePair[] = [{ left: 0, right: 1 }];
const sample = fullLinkSample(index, [N, N])!;
const exact = (rule: BlockingRule) => countRulePairs(ruleKeys(rule, index, 2), pairs);
const estimate = (rule: BlockingRule) => countRulePairs(ruleKeys(rule, sample.index, 2), pairs, sample.weights);
/** Every k-th record of both sources, weighted k each: the sample this module must not take. */
const everyKth = (rule: BlockingRule) => {
  const k = Math.round(N / sample.index[0].ids[0][0].length);
  const cut = (c: Int32Array) => c.filter((_, r) => r % k === 0);
  const keys = ruleKeys(rule, index, 2).map(cut);
  return countRulePairs(keys, pairs, [k, k]);
};

t.test('a full link over large sources counts rule pairs on an unbiased sample, whatever the sources\' row order', async (t) => {
  t.ok(sample.index[0].ids[0][0].length < N / 8, `the sample keeps ${sample.index[0].ids[0][0].length} of ${N} records per source`);
  const selective: BlockingRule = [{ field: 0, slot: 0 }];
  const coarse: BlockingRule = [{ field: 1, slot: 0 }];
  const conjunction: BlockingRule = [{ field: 1, slot: 0 }, { field: 2, slot: 0 }];
  // Tolerances: the selective rule's sample holds about N p^2 = 11,000 pairs (1% standard
  // error), the coarse ones many more; 5% is several standard errors.
  for (const [name, rule] of [['selective', selective], ['coarse', coarse], ['conjunction', conjunction]] as const) {
    const want = exact(rule);
    const got = estimate(rule);
    t.ok(Math.abs(got / want - 1) < 0.05, `${name}: estimate ${Math.round(got)} within 5% of the exact ${want}`);
  }
  // What the test guards against: a sample of every k-th row of both sides counts each true
  // pair of same-ordered sources k times too often.
  t.ok(everyKth(selective) / exact(selective) > 5, 'every k-th row of both sources overestimates the selective rule');
});

t.test('an incremental run counts its rule pairs on a sample of the spine and of the new records, unbiased and bounded', async (t) => {
  // Source 0 the spine, source 1 the new delivery: both sampled, whatever their size.
  const inc = incrementalSample(index, [{ size: N }, { size: N }] as unknown as LinkFrame['sources']);
  for (const s of [0, 1]) t.ok(inc.index[0].ids[0][s].length < 140_000, `source ${s}: ${inc.index[0].ids[0][s].length} of ${N} records counted`);
  for (const rule of [[{ field: 0, slot: 0 }], [{ field: 1, slot: 0 }, { field: 2, slot: 0 }]] as BlockingRule[]) {
    const want = exact(rule);
    const got = countRulePairs(ruleKeys(rule, inc.index, 2), pairs, inc.weights);
    t.ok(Math.abs(got / want - 1) < 0.1, `estimate ${Math.round(got)} within 10% of the exact ${want}`);
  }
  const small = incrementalSample(index, [{ size: N }, { size: 1000 }] as unknown as LinkFrame['sources']);
  t.equal(small.index[0].ids[0][1], index[0].ids[0][1], 'a small new delivery is counted whole');
  t.equal(small.weights[1], 1);
});

t.test('the rules chosen on the sample are the rules chosen on every record', async (t) => {
  const budget = 20 * 2 * N;
  const id = (rules: { rule: BlockingRule }[]) => rules.map((r) => r.rule.map((k) => k.field).join('&')).sort();
  const onSample = chooseBlockingRules(sample.index, 2, pairs, budget, sample.weights);
  const onAll = chooseBlockingRules(index, 2, pairs, budget);
  t.same(id(onSample), id(onAll), `chosen: ${id(onAll).join(', ')}`);
  t.ok(id(onAll).includes('0'), 'the selective rule is chosen');
});

t.test('a deduplication\'s pairs within one sampled source are estimated without bias too', async (t) => {
  const coarse = ruleKeys([{ field: 2, slot: 0 }], index, 2);
  const within: SourcePair[] = [{ left: 0, right: 0 }];
  const want = countRulePairs(coarse, within);
  const got = countRulePairs(ruleKeys([{ field: 2, slot: 0 }], sample.index, 2), within, sample.weights);
  t.ok(Math.abs(got / want - 1) < 0.05, `estimate ${Math.round(got)} within 5% of ${want}`);
});

t.test('sources at or under the threshold are not sampled: the choice stays exact', async (t) => {
  t.equal(fullLinkSample(index, [FULL_SAMPLE_ABOVE, 1000]), null);
  const one = fullLinkSample(index, [N, FULL_SAMPLE_ABOVE])!;
  t.equal(one.index[0].ids[0][1], index[0].ids[0][1], 'the small source is whole');
  t.equal(one.weights[1], 1);
  t.ok(Math.abs(one.weights[0] * one.index[0].ids[0][0].length - N) < 1e-6, 'the weight scales the sample back to the source');
});

t.test('sampled rows: ascending, deterministic, nested as the share grows, independent between sources', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (s, n, a, b) => {
    const [lo, hi] = a < b ? [a, b] : [b, a];
    const small = sampledRows(s, n, lo);
    const large = sampledRows(s, n, hi);
    const kept = new Set(large);
    return small.every((r) => kept.has(r)) && large.every((r, i) => r >= 0 && r < n && (i === 0 || r > large[i - 1]))
      && sampledRows(s, n, hi).join() === large.join();
  }));
  // Same rows of two sources: kept together about share^2 of the time, not share.
  const a = new Set(sampledRows(0, 200_000, 0.1));
  const both = [...sampledRows(1, 200_000, 0.1)].filter((r) => a.has(r)).length;
  t.ok(Math.abs(both / 200_000 - 0.01) < 0.001, `${both} rows kept in both sources (expected about 2,000)`);
});
