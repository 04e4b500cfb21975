import t from 'tap';
import { comparisonSpecs } from '../../../src/link/comparison.js';
import { indexFields } from '../../../src/link/field-index.js';
import { termFrequencyWeights } from '../../../src/link/scoring.js';
import { encodeRows } from './link-fixtures.js';

t.test('term frequencies lower the weight of agreeing on a common surname and raise it on a rare one', async (t) => {
  const rows = [
    ...Array.from({ length: 60 }, () => ({ surname: 'Peeters' })),
    ...Array.from({ length: 30 }, (_, i) => ({ surname: `Name${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}x` })),
    { surname: 'Vandekerckhove' },
  ];
  const sources = encodeRows([{ name: 'a', rows }, { name: 'b', rows }], [{ name: 'surname', type: 'surname' }]);
  const index = indexFields(sources);
  comparisonSpecs(index);
  const mExact = 0.95;
  // The field's average exact-agreement u: sum of squared shares.
  const total = index[0].present;
  let uExact = 0;
  for (const c of index[0].wholeCounts) uExact += (c / total) ** 2;
  const average = Math.log2(mExact / uExact);
  const tf = termFrequencyWeights(index[0], mExact, uExact);
  const idOf = (row: number) => index[0].ids[0][0][row];
  t.ok(tf[idOf(0)] < average, `common: ${tf[idOf(0)].toFixed(2)} < ${average.toFixed(2)}`);
  t.ok(tf[idOf(rows.length - 1)] > average, `rare: ${tf[idOf(rows.length - 1)].toFixed(2)} > ${average.toFixed(2)}`);
});
