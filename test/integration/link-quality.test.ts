/**
 * Linkage quality floors on generated data with fixed seeds (small sizes; `npm run bench --
 * linkage` measures the full-size benchmarks).
 */
import t from 'tap';
import { generateBelgian, belgianTruth, BELGIAN_JOB_FIELDS } from '../../benchmarks/data/belgian.js';
import { generateFebrlLike, FEBRL_COLUMNS, FEBRL_JOB_FIELDS } from '../../benchmarks/data/febrl-like.js';
import { linkKeys, linkRows, quality } from '../../benchmarks/linkage-eval.js';

t.test('Belgian-style extracts with 30% bad national numbers link with F1 above 0.99', async (t) => {
  const data = generateBelgian({ people: 6000, seed: 2024 });
  const { result, ids } = linkRows(data.sources.map((s) => ({ name: s.name, header: s.header, rows: s.rows, idColumn: 'record_id' })), BELGIAN_JOB_FIELDS);
  const q = quality(linkKeys(result, data.sources.map((s) => s.name), ids), new Set(belgianTruth(data).map((x) => x.join('|'))));
  t.ok(q.f1 >= 0.99, `F1 ${q.f1.toFixed(4)} (precision ${q.precision.toFixed(4)}, recall ${q.recall.toFixed(4)})`);
  // Exact matching on the national number alone: the baseline the probabilistic pass must beat.
  const exact = result.report.links.deterministic / q.truePairs;
  t.ok(q.recall > exact + 0.2, `recall ${q.recall.toFixed(3)} vs deterministic alone ${exact.toFixed(3)}`);
  const est = result.report.estimate;
  t.ok(Math.abs(est.precision - q.precision) < 0.05, `the model's precision estimate ${est.precision} is near the truth`);
});

t.test('FEBRL-4-like records and duplicates link with F1 above 0.99 without any identifier', async (t) => {
  const data = generateFebrlLike({ records: 2000, seed: 4 });
  const { result, ids } = linkRows([
    { name: 'a', header: FEBRL_COLUMNS, rows: data.a, idColumn: 'rec_id' },
    { name: 'b', header: FEBRL_COLUMNS, rows: data.b, idColumn: 'rec_id' },
  ], FEBRL_JOB_FIELDS);
  const q = quality(linkKeys(result, ['a', 'b'], ids), new Set(data.truth.map(([x, y]) => `a|${x}|b|${y}`)));
  t.ok(q.f1 >= 0.99, `F1 ${q.f1.toFixed(4)} (precision ${q.precision.toFixed(4)}, recall ${q.recall.toFixed(4)})`);
  t.equal(result.report.links.deterministic, 0);
});
