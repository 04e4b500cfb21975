import t from 'tap';
import { tableFromArrays } from 'apache-arrow';
import { reviewQuality } from '../../../src/pipeline/review-quality.js';

const links = (weights: (number | null)[], probabilities: number[]) => tableFromArrays({
  match_probability: Float64Array.from(probabilities),
  match_weight: weights.map((w) => w) as (number | null)[],
});

t.test('precision and recall come from the reviewed pairs on each side of the threshold, with the model outside the band', async (t) => {
  // 10 probabilistic links (2 above the band's upper end, p = 0.99 each) and one deterministic.
  const table = links([null, 20, 20, 1, 1, 1, 1, 1, 1, 1, 1], [1, 0.99, 0.99, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]);
  const q = reviewQuality({ pairs: 8, reviewed: 4, matches: 3 }, { pairs: 10, reviewed: 5, matches: 1 }, table, 10);
  // FP = 8 * 0.25 + 2 * 0.01 = 2.02; precision = (10 - 2.02) / 10; FN = 10 * 0.2 = 2; recall = 7.98 / 9.98
  t.equal(q.precision, Math.round((7.98 / 10) * 1e5) / 1e5);
  t.equal(q.recall, Math.round((7.98 / 9.98) * 1e5) / 1e5);
  t.same(q.linked_pairs, { pairs: 8, reviewed: 4, matches: 3 }, 'the sample sizes are reported');
});

t.test('without reviewed pairs on a side, its estimate is null', async (t) => {
  const table = links([1, 1], [0.7, 0.7]);
  t.match(reviewQuality({ pairs: 2, reviewed: 0, matches: 0 }, { pairs: 3, reviewed: 2, matches: 1 }, table, 10), { precision: null, recall: null });
  t.match(reviewQuality({ pairs: 2, reviewed: 2, matches: 2 }, { pairs: 3, reviewed: 0, matches: 0 }, table, 10), { precision: 1, recall: null });
});
