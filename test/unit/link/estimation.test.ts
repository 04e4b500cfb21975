import t from 'tap';
import { chooseBlockingRules } from '../../../src/link/blocking-choice.js';
import { generatePairs } from '../../../src/link/blocking.js';
import { compareField, comparisonSpecs } from '../../../src/link/comparison.js';
import { estimateModel } from '../../../src/link/estimation.js';
import { indexFields } from '../../../src/link/field-index.js';
import { sampleU } from '../../../src/link/u-sampling.js';
import { PatternCounter } from '../../../src/link/pattern-histogram.js';
import { seededRandom } from '../../../src/util/seeded-random.js';
import { encodedBelgianWithoutNationalIds } from './link-fixtures.js';

t.test('counting each rule over its own and earlier rules\' pairs only gives the model a full scan gives, skipped blocks or not', async (t) => {
  const { sources } = encodedBelgianWithoutNationalIds(3000, 6);
  const index = indexFields(sources);
  const specs = comparisonSpecs(index);
  const sourcePairs = [{ left: 0, right: 1 }];
  const chosen = chooseBlockingRules(index, 2, sourcePairs, 2 * (sources[0].size + sources[1].size));
  // Once with every block, once with a block limit that makes some rules skip blocks.
  for (const maxBlockPairs of [1e9, 40]) {
    const { pairs: lists, outcomes } = generatePairs(chosen.map((c) => c.keys), sourcePairs, { maxBlockPairs });
    const listLevels = lists.map((list) => specs.map((spec) => { const out = new Uint8Array(list.length); compareField(spec, index, sources, list, out); return out; }));
    const input = {
      specs, rules: chosen.map((c) => c.rule), ruleKeys: chosen.map((c) => c.keys), lists, listLevels,
      uSample: sampleU(sources, sourcePairs, index, specs, 50_000), startM: null, fixedM: specs.map(() => false),
      comparablePairs: sources[0].size * sources[1].size, allPairs: sources[0].size * sources[1].size, knownMatches: 0,
    };
    const bounded = estimateModel({ ...input, skippedBlocks: outcomes.map((o) => o.skippedBlocks) });
    const full = estimateModel(input);
    t.same(bounded, full, `block limit ${maxBlockPairs}: ${outcomes.reduce((s, o) => s + o.skippedBlocks, 0)} blocks skipped`);
  }
});

t.test('u\'s random pairs, compared in the order of the larger source\'s records, give the histogram of comparing them in draw order', async (t) => {
  const { sources } = encodedBelgianWithoutNationalIds(4000, 5);
  const index = indexFields(sources);
  const specs = comparisonSpecs(index);
  const want = 5000;
  const sample = sampleU(sources, [{ left: 0, right: 1 }], index, specs, want);
  // The same draws (sampleU's seed and formula), compared one by one in draw order.
  const random = seededRandom(0x5eed);
  const list = { left: 0, right: 1, a: new Int32Array(want), b: new Int32Array(want), length: want };
  for (let i = 0; i < want; i++) { list.a[i] = Math.floor(random() * sources[0].size); list.b[i] = Math.floor(random() * sources[1].size); }
  const levels = specs.map((spec) => { const out = new Uint8Array(want); compareField(spec, index, sources, list, out); return out; });
  const counter = new PatternCounter(specs.map((s) => s.levels.length));
  counter.addPairs(levels, want, null);
  const expected = counter.histogram();
  t.same(Array.from(sample.histogram.levels), Array.from(expected.levels), 'the same patterns in the same order');
  t.same(Array.from(sample.histogram.counts), Array.from(expected.counts), 'with the same counts');
});
