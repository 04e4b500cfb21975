import t from 'tap';
import fc from 'fast-check';
import { generatePairs, type SourcePair } from '../../../src/link/blocking.js';
import { combineKeys, countRulePairs, ruleKeys } from '../../../src/link/rule-keys.js';
import { TokenTable } from '../../../src/link/token-table.js';
import { chooseBlockingRules } from '../../../src/link/blocking-choice.js';
import { indexFields } from '../../../src/link/field-index.js';
import { encodeRows, encodedBelgianWithoutNationalIds } from './link-fixtures.js';

t.test('automatic blocking keeps the true pairs while cutting the pairs by orders of magnitude', async (t) => {
  const { sources, data } = encodedBelgianWithoutNationalIds(3000, 3);
  const index = indexFields(sources);
  const pairs: SourcePair[] = [{ left: 0, right: 1 }];
  const budget = 2 * (sources[0].size + sources[1].size);
  const rules = chooseBlockingRules(index, 2, pairs, budget);
  t.ok(rules.length >= 3, `${rules.length} rules`);
  for (const r of rules) t.ok(r.estimatedPairs <= budget, "each rule under budget");
  const { pairs: lists } = generatePairs(rules.map((r) => ruleKeys(r.rule, index, 2)), pairs, { maxBlockPairs: 1e9 });
  const produced = new Set<number>();
  for (let p = 0; p < lists[0].length; p++) produced.add(lists[0].a[p] * 1e6 + lists[0].b[p]);
  t.equal(produced.size, lists[0].length, 'no pair produced twice');
  const personLeft = new Map<number, number>();
  data.sources[0].person.forEach((p, i) => personLeft.set(p, i));
  let truePairs = 0; let kept = 0;
  data.sources[1].person.forEach((p, j) => {
    const i = personLeft.get(p);
    if (i === undefined) return;
    truePairs++;
    if (produced.has(i * 1e6 + j)) kept++;
  });
  const comparable = sources[0].size * sources[1].size;
  t.ok(kept / truePairs >= 0.99, `recall of blocking ${(kept / truePairs).toFixed(4)}`);
  t.ok(lists[0].length * 100 < comparable, `${lists[0].length} candidate pairs of ${comparable}`);
});

t.test('oversized blocks are skipped and reported; a later rule still produces their pairs', async (t) => {
  const rows = Array.from({ length: 40 }, (_, i) => ({ city: 'Gent', surname: i < 20 ? 'Peeters' : `Name${i}` }));
  const sources = encodeRows([{ name: 'a', rows }, { name: 'b', rows }], [{ name: 'city', type: 'text' }, { name: 'surname', type: 'surname' }]);
  const index = indexFields(sources);
  const sp: SourcePair[] = [{ left: 0, right: 1 }];
  const byCity = ruleKeys([{ field: 0, slot: 0 }], index, 2);
  const bySurname = ruleKeys([{ field: 1, slot: 0 }], index, 2);
  t.equal(countRulePairs(byCity, sp), 1600);
  const { pairs, outcomes } = generatePairs([byCity, bySurname], sp, { maxBlockPairs: 1000 });
  t.same(outcomes[0], { pairs: 0, skippedBlocks: 1, skippedPairs: 1600 });
  t.equal(outcomes[1].pairs, 20 * 20 + 20, 'the surname rule produces the pairs the skipped block held');
  t.equal(pairs[0].length, 420);
});

t.test('deduplication produces each unordered pair once and never a record with itself', async (t) => {
  const rows = [{ s: 'Maes' }, { s: 'Maes' }, { s: 'Maes' }, { s: 'Aerts' }];
  const sources = encodeRows([{ name: 'a', rows }], [{ name: 's', type: 'surname' }]);
  const index = indexFields(sources);
  const { pairs } = generatePairs([ruleKeys([{ field: 0, slot: 0 }], index, 1)], [{ left: 0, right: 0 }], { maxBlockPairs: 100 });
  const got = [...pairs[0].a.subarray(0, pairs[0].length)].map((a, i) => `${a}-${pairs[0].b[i]}`).sort();
  t.same(got, ['0-1', '0-2', '1-2']);
});

t.test('pairs with a side that can take no further link are not produced', async (t) => {
  const rows = [{ s: 'Maes' }, { s: 'Maes' }];
  const sources = encodeRows([{ name: 'a', rows }, { name: 'b', rows }], [{ name: 's', type: 'surname' }]);
  const index = indexFields(sources);
  const saturated = () => Uint8Array.of(1, 0);
  const { pairs } = generatePairs([ruleKeys([{ field: 0, slot: 0 }], index, 2)], [{ left: 0, right: 1 }], { maxBlockPairs: 100, saturated });
  t.equal(pairs[0].length, 1, "only the pair of the two unsaturated records");
});

t.test('a sampled source\'s pair counts scale by its weight', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 30 }), fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 30 }), fc.integer({ min: 1, max: 9 }),
    (left, right, w) => {
      const keys = [Int32Array.from(left), Int32Array.from(right)];
      return countRulePairs(keys, [{ left: 0, right: 1 }], [1, w]) === w * countRulePairs(keys, [{ left: 0, right: 1 }]);
    },
  ), { seed: 5, numRuns: 200 });
  t.pass('200 random key sets');
});

t.test('combined keys equal the ids a hash table hands out in record order, for random keys', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.array(fc.tuple(fc.integer({ min: -1, max: 6 }), fc.integer({ min: -1, max: 4 })), { maxLength: 40 }), { minLength: 1, maxLength: 3 }),
    (sources) => {
      // Dense inputs, as field ids are: renumber each side's keys in order of first use.
      const dense = (side: 0 | 1) => {
        const ids = new Map<number, number>();
        return sources.map((rows) => Int32Array.from(rows, (row) => {
          const v = row[side];
          if (v < 0) return -1;
          if (!ids.has(v)) ids.set(v, ids.size);
          return ids.get(v)!;
        }));
      };
      const xs = dense(0); const ys = dense(1);
      const got = combineKeys(xs, ys);
      const table = new TokenTable(16);
      return xs.every((x, s) => x.every((xv, r) => got[s][r] === (xv < 0 || ys[s][r] < 0 ? -1 : table.add(xv, ys[s][r]))));
    },
  ), { seed: 9, numRuns: 300 });
  t.pass('300 random key sets');
});

t.test('when only birth-date conjunctions fit the budget, a conjunction of other fields is added, so one date error does not lose a pair', async (t) => {
  const { sources } = encodedBelgianWithoutNationalIds(3000, 3);
  const index = indexFields(sources);
  const date = index.findIndex((fi) => fi.type === 'date');
  // A budget so tight that, of the single-field rules' conjunctions, only those with the date fit.
  const budget = 0.25 * (sources[0].size + sources[1].size);
  const rules = chooseBlockingRules(index, 2, [{ left: 0, right: 1 }], budget);
  const withDate = rules.filter((r) => r.rule.some((k) => k.field === date));
  const withoutDate = rules.filter((r) => !r.rule.some((k) => k.field === date));
  t.ok(withDate.length >= 2, `${withDate.length} rules on the date`);
  t.equal(withoutDate.length, 1, 'one rule without the date');
  t.same(withoutDate[0].rule.map((k) => index[k.field].name).sort(), ['given_name', 'postcode', 'surname'], 'the coarsest conjunction of other fields that fits');
  t.ok(withoutDate[0].estimatedPairs <= budget);
});

t.test('pairs equal a brute-force union of the rules, in rule, block and record order, for random keys, limits and saturation', async (t) => {
  // Dense keys, or sparse ones (most records without a key, as on an incremental run's spine):
  // the two paths of generatePairs.
  const keysArb = (n: number) => fc.tuple(fc.boolean(), fc.array(fc.integer({ min: -1, max: 4 }), { minLength: n, maxLength: n }))
    .map(([sparse, a]) => Int32Array.from(a, (k, i) => (sparse && i % 6 !== 0 ? -1 : k)));
  const sizes = [5, 7, 4];
  const input = fc.record({
    rules: fc.array(fc.tuple(keysArb(sizes[0]), keysArb(sizes[1]), keysArb(sizes[2])), { minLength: 1, maxLength: 3 }),
    sat: fc.tuple(...sizes.map((n) => fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }).map((a) => Uint8Array.from(a, (v) => (v === 0 ? 1 : 0))))),
    max: fc.integer({ min: 0, max: 12 }),
    dedupe: fc.boolean(),
  });
  fc.assert(fc.property(input, ({ rules, sat, max, dedupe }) => {
    const sp: SourcePair[] = [];
    for (let l = 0; l < 3; l++) { if (dedupe) sp.push({ left: l, right: l }); for (let r = l + 1; r < 3; r++) sp.push({ left: l, right: r }); }
    // Source 2 takes no further record of source 0 or 1 where marked; the others are free.
    const saturated = (s: number, u: number) => (u === 2 || s === 2 ? sat[s] : null);
    const got = generatePairs(rules, sp, { maxBlockPairs: max, saturated });
    const outcomes = rules.map(() => ({ pairs: 0, skippedBlocks: 0, skippedPairs: 0 }));
    const want = sp.map(({ left, right }) => {
      const out: string[] = [];
      const skipped = rules.map(() => new Set<number>());
      rules.forEach((rule, r) => {
        for (let k = 0; k <= 4; k++) {
          const nl = rule[left].filter((x) => x === k).length;
          const nr = rule[right].filter((x) => x === k).length;
          const size = left === right ? (nl * (nl - 1)) / 2 : nl * nr;
          if (size > max) { skipped[r].add(k); outcomes[r].skippedBlocks++; outcomes[r].skippedPairs += size; continue; }
          for (let a = 0; a < sizes[left]; a++) {
            if (rule[left][a] !== k || saturated(left, right)?.[a] === 1) continue;
            for (let b = 0; b < sizes[right]; b++) {
              if (rule[right][b] !== k || saturated(right, left)?.[b] === 1 || (left === right && b <= a)) continue;
              const earlier = rules.slice(0, r).some((e, i) => e[left][a] >= 0 && e[left][a] === e[right][b] && !skipped[i].has(e[left][a]));
              if (!earlier) { out.push(`${r}:${a}-${b}`); outcomes[r].pairs++; }
            }
          }
        }
      });
      return out;
    });
    const listed = got.pairs.map((l) => Array.from({ length: l.length }, (_, p) => `${rules.findIndex((_, r) => p < l.ruleEnd![r])}:${l.a[p]}-${l.b[p]}`));
    t.same(listed, want);
    t.same(got.outcomes, outcomes);
  }), { numRuns: 300 });
});

t.test('with more earlier rules than a bit mask holds, a pair an earlier rule produced is still not produced again', async (t) => {
  const keys = [Int32Array.from([0, 1, 2, -1, 1]), Int32Array.from([1, 1, 2, 0, -1])];
  // 40 rules: the first 39 never agree, the last agrees with the first on every key.
  const never = [Int32Array.from([-1, -1, -1, -1, -1]), Int32Array.from([-1, -1, -1, -1, -1])];
  const rules = [keys, ...Array.from({ length: 38 }, () => never), keys];
  const { outcomes, pairs } = generatePairs(rules, [{ left: 0, right: 1 }], { maxBlockPairs: 100 });
  t.equal(outcomes[0].pairs, 6, 'the first rule produces its pairs');
  t.equal(outcomes[39].pairs, 0, 'the 40th rule, the same keys, produces none again');
  t.equal(pairs[0].length, 6);
});
