import t from 'tap';
import fc from 'fast-check';
import { KEY_COPY_LAMBDA, KEY_COPY_MIN_PERSONS, findKeyCopies, predictiveGain, type PersonKeyCodes, type ReleasedColumnCodes } from '../../../src/release/key-copies.js';

const codes = (xs: number[]) => Int32Array.from(xs);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** One row per person: the column's code per person. */
function column(name: string, values: number[], cardinality: number): ReleasedColumnCodes {
  return { dataset: 'ds', column: name, codes: codes(values), cardinality, personOfRow: codes(range(values.length)) };
}

t.test('lambda is 1 for a copy, 0 when the column does not help, 0 for a constant key', async (t) => {
  const key = codes(range(40).map((i) => i % 4));
  t.equal(predictiveGain(key, 4, key, 4, 40).lambda, 1, 'a copy');
  const unrelated = codes(range(40).map((i) => Math.floor(i / 4) % 2)); // each value holds every key value equally
  t.equal(predictiveGain(unrelated, 2, key, 4, 40).lambda, 0);
  t.equal(predictiveGain(key, 4, new Int32Array(40), 1, 40).lambda, 0, 'nothing to predict');
  const unique = codes(range(40));
  t.same(predictiveGain(unique, 40, key, 4, 40), { lambda: 0, counted: 0 }, 'groups of one person are not counted');
});

t.test('refuses a renamed copy, a finer recoding and a coarser recoding; names the column and the key', async (t) => {
  const n = 100;
  const nis = codes(range(n).map((i) => i % 10));
  const keys: PersonKeyCodes[] = [{ name: 'nis_code', codes: nis, cardinality: 10 }];
  const findings = findKeyCopies(keys, [
    column('gemeente', range(n).map((i) => (i % 10) * 3 + 1), 31),
    column('straat', range(n).map((i) => i % 20), 20), // finer: every street lies in one municipality
    column('provincie', range(n).map((i) => (i % 10) % 3), 3), // coarser
    column('loon', range(n).map((i) => i), n),
  ], n);
  t.same(findings.map((f) => [f.column, f.key_variable, f.direction]), [
    ['gemeente', 'nis_code', 'determines'], ['straat', 'nis_code', 'determines'], ['provincie', 'nis_code', 'recodes'],
  ]);
});

t.test('a copy with a few errors is still refused; a handful of coincidental ties is not', async (t) => {
  const n = 200;
  const key: PersonKeyCodes = { name: 'k', codes: codes(range(n).map((i) => i % 5)), cardinality: 5 };
  const noisy = range(n).map((i) => (i % 37 === 0 ? (i + 1) % 5 : i % 5));
  t.equal(findKeyCopies([key], [column('c', noisy, 5)], n).length, 1, 'about 3% errors');
  // 8 coincidental pairs that agree on the key, everyone else unique: below the minimum.
  // Persons i and i + 40 (same key) share value 1000 + i, for i < 8.
  const ties = range(n).map((i) => (i < 8 ? 1000 + i : i >= 40 && i < 48 ? 1000 + i - 40 : i));
  t.ok(KEY_COPY_MIN_PERSONS > 16);
  t.equal(predictiveGain(codes(ties), 1008, key.codes, 5, n).lambda, 1, 'the ties alone look like a copy');
  t.same(findKeyCopies([key], [column('c', ties, 1008)], n), [], 'but 16 persons are too few to refuse on');
});

t.test('counts persons, not rows: a person\'s repeated rows are one pair', async (t) => {
  // 30 persons, 4 rows each of one shared value per person pair: the values pair persons of equal key.
  const persons = 30;
  const key: PersonKeyCodes = { name: 'k', codes: codes(range(persons).map((p) => p % 3)), cardinality: 3 };
  const personOfRow = codes(range(persons * 4).map((r) => r % persons));
  const values = codes(range(persons * 4).map((r) => r % persons)); // unique per person, repeated per row
  const c: ReleasedColumnCodes = { dataset: 'ds', column: 'c', codes: values, cardinality: persons, personOfRow };
  t.same(findKeyCopies([key], [c], persons), [], 'a per-person unique column is not a copy, however many rows repeat it');
});

t.test('random unrelated columns are never refused', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 30 }), (seed) => {
    let x = seed;
    const rnd = () => { x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff; return x / 0x7fffffff; };
    const n = 300;
    const key: PersonKeyCodes = { name: 'k', codes: codes(range(n).map(() => Math.floor(rnd() * 4))), cardinality: 4 };
    const c = column('c', range(n).map(() => Math.floor(rnd() * 6)), 6);
    return findKeyCopies([key], [c], n).length === 0;
  }), { seed: 10, numRuns: 50 });
  t.ok(KEY_COPY_LAMBDA < 1);
});

t.test('predictive gain equals a plain count over pairs, on dense and on grouped contingency tables', async (t) => {
  const fc = (await import('fast-check')).default;
  const naive = (by: number[], target: number[]) => {
    const groups = new Map<number, Map<number, number>>();
    by.forEach((b, i) => {
      const g = groups.get(b) ?? new Map<number, number>();
      g.set(target[i], (g.get(target[i]) ?? 0) + 1);
      groups.set(b, g);
    });
    let counted = 0;
    let correct = 0;
    const perTarget = new Map<number, number>();
    for (const g of groups.values()) {
      const size = [...g.values()].reduce((a, b) => a + b, 0);
      if (size < 2) continue;
      counted += size;
      correct += Math.max(...g.values());
      for (const [v, n] of g) perTarget.set(v, (perTarget.get(v) ?? 0) + n);
    }
    if (counted === 0) return { lambda: 0, counted };
    const baseline = Math.max(...perTarget.values()) / counted;
    return { lambda: baseline >= 1 ? 0 : (correct / counted - baseline) / (1 - baseline), counted };
  };
  for (const [byCard, targetCard] of [[7, 5], [5000, 1000]]) {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 4 })), { maxLength: 60 }),
      (pairs) => {
        // Spread the small values over the whole code space so the grouped path sees large codes.
        const by = pairs.map(([b]) => Math.floor((b * (byCard - 1)) / 6));
        const target = pairs.map(([, v]) => Math.floor((v * (targetCard - 1)) / 4));
        const got = predictiveGain(Int32Array.from(by), byCard, Int32Array.from(target), targetCard, pairs.length);
        const want = naive(by, target);
        return got.counted === want.counted && Math.abs(got.lambda - want.lambda) < 1e-12;
      },
    ), { numRuns: 200 });
  }
});
